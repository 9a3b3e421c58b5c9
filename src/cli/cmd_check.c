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
#include "scan/indicators.h"

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

static void print_item(const struct mg_job *job, const struct mg_item *it, int depth)
{
    printf("%*s%s\n", depth * 2, "", it->path);
    printf("%*s  %s: %s (%s)%s\n", depth * 2, "", _("type"), mg_type_class_name(it->type.cls),
           it->type.mime, it->type.mismatch ? _(" — the name claims another type") : "");
    if (it->ind_before.count > 0) {
        printf("%*s  %s:", depth * 2, "", _("indicators"));
        uint32_t n = it->ind_before.count < 64 ? it->ind_before.count : 64;
        const struct mg_indicator_set *set = mg_engine_indicators(mg_job_engine(job));
        for (uint32_t i = 0; i < n; i++) {
            const struct mg_indicator *ind = mg_indicators_get(set, it->ind_before.ids[i]);
            printf(" %s", ind ? ind->name : "?");
        }
        printf("\n");
    }
    if (it->av_signature)
        printf("%*s  %s: %s\n", depth * 2, "", _("antivirus"), it->av_signature);
    printf("%*s  %s: %s", depth * 2, "", _("verdict"), mg_verdict_name(it->verdict));
    if (it->verdict == MG_BLOCKED || it->verdict == MG_TEMPFAIL)
        printf(" — %s%s%s%s", mg_job_gettext(job, mg_reason_msgid(it->reason)),
               it->reason_detail ? " (" : "", it->reason_detail ? it->reason_detail : "",
               it->reason_detail ? ")" : "");
    printf("\n");
    for (size_t i = 0; i < it->n_actions; i++)
        printf("%*s  - %s: %s\n", depth * 2, "", mg_action_keyword(it->actions[i].action),
               it->actions[i].detail);
    if (depth < 64)
        for (size_t i = 0; i < it->n_children; i++)
            print_item(job, it->children[i], depth + 1);
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
    mg_engine_set_describe(e, true);
    int rc = MG_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        struct mg_job *job = mg_job_new(e, NULL);
        if (job == NULL) {
            rc = MG_EXIT_ERROR;
            break;
        }
        size_t len = 0;
        uint8_t *data = mg_cli_read_file(argv[i], (size_t)mg_engine_policy(e)->limits.max_item_size, &len);
        char *base = g_path_get_basename(argv[i]);
        struct mg_item *root;
        if (data == NULL) {
            int err = errno;
            mg_cli_error("%s: %s", argv[i], strerror(err));
            root = mg_job_reject(job, base, err == EFBIG ? MG_R_LIMIT_SIZE : MG_R_UNREADABLE, strerror(err));
        } else {
            root = mg_job_run(job, base, data, len, MG_TC_UNKNOWN);
        }
        if (json) {
            struct mg_buf out;
            mg_buf_init(&out);
            mg_report_json(job, &out, true);
            fputs(mg_buf_cstr(&out), stdout);
            mg_buf_free(&out);
        } else {
            print_item(job, root, 0);
        }
        if (root->verdict == MG_TEMPFAIL)
            rc = MG_EXIT_ERROR;
        else if (root->verdict == MG_BLOCKED && rc == MG_EXIT_OK)
            rc = MG_EXIT_BLOCKED;
        g_free(base);
        free(data);
        mg_job_free(job);
    }
    mg_engine_free(e);
    return rc;
}
