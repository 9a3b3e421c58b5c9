/* mugai check: analysis only. Runs the whole engine on each file but writes
 * nothing; prints the type, the indicators found and what sanitizing would
 * do, item by item. */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/report.h"
#include "sandbox/sandbox.h"

static const char help[] = N_(
    "Usage: mugai check [OPTIONS] FILE...\n"
    "\n"
    "Analyses each FILE without writing anything: its detected type (and a\n"
    "name that disagrees with it), the active-content indicators found, the\n"
    "antivirus result, and what sanitizing would do to it and to every item\n"
    "inside it (attachments, archive members ...).\n"
    "\n"
    "Options:\n"
    "  -j, --json           print the JSON report of each file instead\n"
    "  -c, --config FILE    configuration (default /etc/mugai/mugai.conf if\n"
    "                       present, else the built-in defaults)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 every file would pass clean or sanitized, 1 something would\n"
    "be blocked, 2 usage or fatal error.\n");

static void print_node(const struct mg_sandbox_node *n)
{
    int depth = n->depth < 64 ? (int)n->depth : 64;
    printf("%*s%s\n", depth * 2, "", n->path);
    printf("%*s  %s: %s (%s)%s\n", depth * 2, "", _("type"), n->type_class, n->mime ? n->mime : "",
           n->mismatch ? _(" — the name claims another type") : "");
    if (*n->indicators)
        printf("%*s  %s: %s\n", depth * 2, "", _("indicators"), n->indicators);
    if (n->av_signature)
        printf("%*s  %s: %s\n", depth * 2, "", _("antivirus"), n->av_signature);
    printf("%*s  %s: %s", depth * 2, "", _("verdict"), mg_verdict_name(n->verdict));
    if (n->verdict == MG_BLOCKED || n->verdict == MG_TEMPFAIL)
        printf(" — %s%s%s%s", n->reason_text, n->reason_detail ? " (" : "",
               n->reason_detail ? n->reason_detail : "", n->reason_detail ? ")" : "");
    printf("\n");
    /* actions: "keyword: detail" lines */
    const char *p = n->actions;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        printf("%*s  - %.*s\n", depth * 2, "", (int)l, p);
        p += l + (nl != NULL);
    }
}

int mg_cmd_check(int argc, char **argv);
int mg_cmd_check(int argc, char **argv)
{
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' }, { "config", required_argument, NULL, 'c' }, { 0 },
    };
    const char *config = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jc:", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'c': config = optarg; break;
        default:
            fputs(_("Run \"mugai check --help\" for usage.\n"), stderr);
            return MG_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        mg_cli_error("%s", _("check needs at least one file (see --help)"));
        return MG_EXIT_USAGE;
    }
    struct mg_engine *e = mg_cli_engine(config);
    if (e == NULL)
        return MG_EXIT_ERROR;
    /* Set before the workers start: they inherit the engine as it is now. */
    mg_engine_set_describe(e, true);
    struct mg_sandbox *sb = mg_cli_sandbox(e);
    if (sb == NULL) {
        mg_engine_free(e);
        return MG_EXIT_ERROR;
    }
    int rc = MG_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        size_t len = 0;
        uint8_t *data = mg_cli_read_file(argv[i], (size_t)mg_engine_policy(e)->limits.max_item_size, &len);
        char *base = g_path_get_basename(argv[i]);
        struct mg_sandbox_result res;
        if (data == NULL) {
            int err = errno;
            mg_cli_error("%s: %s", argv[i], strerror(err));
            mg_sandbox_reject(sb, base, err == EFBIG ? MG_R_LIMIT_SIZE : MG_R_UNREADABLE, strerror(err), &res);
        } else if (!mg_sandbox_run(sb, base, data, len, MG_TC_UNKNOWN, &res)) {
            mg_cli_error(_("%s: the sandboxed check failed (%s); try again"), argv[i],
                         res.worker_failure ? res.worker_failure : "?");
        }
        if (json) {
            fputs(res.report_pretty, stdout);
        } else {
            for (size_t k = 0; k < res.n_nodes; k++)
                print_node(&res.nodes[k]);
        }
        if (res.verdict == MG_TEMPFAIL)
            rc = MG_EXIT_ERROR;
        else if (res.verdict == MG_BLOCKED && rc == MG_EXIT_OK)
            rc = MG_EXIT_BLOCKED;
        g_free(base);
        free(data);
        mg_sandbox_result_clear(&res);
    }
    mg_sandbox_free(sb);
    mg_engine_free(e);
    return rc;
}
