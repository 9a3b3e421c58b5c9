/* `mugai mail IN.eml [-o OUT.eml] [--report FILE.json] [-c CONFIG]`: one
 * message through the mail sanitizer. Reads stdin and writes stdout when no
 * file is named. Output files are written whole or not at all (temporary
 * file, then rename). Exit codes as in cli.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/audit.h"
#include "engine/quarantine.h"
#include "engine/report.h"
#include "sandbox/sandbox.h"

int mg_cmd_mail(int argc, char **argv);

static const char help[] = N_(
    "Usage: mugai mail [IN.eml|-] [-o OUT.eml] [--report FILE.json] [-c CONFIG]\n"
    "\n"
    "Sanitizes one mail message: the result has text/plain bodies only (HTML\n"
    "converted to text), attachments sanitized by type or replaced by notices,\n"
    "and a notice at the top of the body listing every change. Reads standard\n"
    "input and writes standard output when no file is named. The original\n"
    "goes to the quarantine directory under the job id when anything was\n"
    "changed or removed.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE    where to write the sanitized message (default stdout)\n"
    "  -r, --report FILE    write the JSON report to FILE\n"
    "  -c, --config FILE    configuration (default /etc/mugai/mugai.conf if\n"
    "                       present, else the built-in defaults)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 message written, nothing removed; 1 message written with\n"
    "parts removed, or the whole message blocked (nothing written); 2 usage\n"
    "error, fatal or temporary error (nothing written).\n");

static bool put(const char *path, const uint8_t *p, size_t len)
{
    if (path != NULL && strcmp(path, "-") != 0)
        return mg_cli_write_file(path, p, len);
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

int mg_cmd_mail(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"report", required_argument, NULL, 'r'},
        {"config", required_argument, NULL, 'c'},
        {"policy", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    const char *out_path = NULL, *report_path = NULL, *conf = NULL;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:r:c:", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out_path = optarg;
            break;
        case 'r':
            report_path = optarg;
            break;
        case 'c':
            conf = optarg;
            break;
        default:
            mg_cli_error("%s", _(help));
            return MG_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        mg_cli_error("%s", _(help));
        return MG_EXIT_USAGE;
    }
    const char *in_path = optind < argc ? argv[optind] : "-";

    struct mg_engine *eng = mg_cli_engine(conf);
    if (eng == NULL)
        return MG_EXIT_USAGE;
    const struct mg_policy *pol = mg_engine_policy(eng);
    size_t max = pol->limits.max_item_size > SIZE_MAX ? SIZE_MAX
                                                        : (size_t)pol->limits.max_item_size;
    size_t len = 0;
    /* One byte over the limit is enough to know it is too big. */
    uint8_t *data = mg_cli_read_file(in_path, max == SIZE_MAX ? max : max + 1, &len);
    if (data == NULL) {
        mg_cli_error("%s: %s", in_path, strerror(errno));
        mg_engine_free(eng);
        return errno == EFBIG ? MG_EXIT_BLOCKED : MG_EXIT_USAGE;
    }
    struct mg_sandbox *sb = mg_cli_sandbox(eng);
    if (sb == NULL) {
        free(data);
        mg_engine_free(eng);
        return MG_EXIT_ERROR;
    }
    const char *slash = strrchr(in_path, '/');
    const char *name = strcmp(in_path, "-") == 0 ? "message.eml" : slash ? slash + 1 : in_path;
    struct mg_sandbox_result res;
    if (!mg_sandbox_run(sb, name, data, len, MG_TC_MAIL, &res))
        mg_cli_error(_("%s: the sandboxed check failed (%s); try again"), in_path,
                     res.worker_failure ? res.worker_failure : "?");
    enum mg_verdict v = res.verdict;
    int rc = MG_EXIT_OK;

    /* The original first: nothing is written unless it is safe in
     * quarantine (nothing is lost). A poison message is quarantined by the
     * sandbox itself. */
    if (v != MG_TEMPFAIL && res.reason != MG_R_POISON && mg_sandbox_result_changed(&res) &&
        !mg_sandbox_quarantine(sb, &res, name, data, len, "{\"command\":\"mail\"}")) {
        mg_cli_error("%s: %s", in_path, _("cannot store the original in quarantine"));
        rc = MG_EXIT_ERROR;
    }
    if (rc == MG_EXIT_OK && report_path != NULL &&
        !mg_cli_write_file(report_path, res.report_pretty, strlen(res.report_pretty))) {
        mg_cli_error("%s: %s", report_path, _("cannot write the mail report"));
        rc = MG_EXIT_ERROR;
    }
    if (rc != MG_EXIT_OK) {
        /* nothing more */
    } else if (v == MG_CLEAN || v == MG_SANITIZED) {
        if ((res.output == NULL && res.output_len > 0) ||
            !put(out_path, res.output ? res.output : (const uint8_t *)"", res.output_len)) {
            mg_cli_error("%s: %s", out_path ? out_path : "stdout", strerror(errno));
            rc = MG_EXIT_ERROR;
        } else if (mg_sandbox_result_any_blocked(&res)) {
            rc = MG_EXIT_BLOCKED;
        }
    } else {
        /* No message is written for a blocked or deferred job: it is not
         * relayed in pieces. The reason goes to stderr and the report. */
        mg_cli_error("%s: %s (%s)%s%s", in_path, mg_verdict_name(v),
                     mg_reason_keyword(res.reason), res.reason_detail ? ": " : "",
                     res.reason_detail ? res.reason_detail : "");
        rc = v == MG_TEMPFAIL ? MG_EXIT_ERROR : MG_EXIT_BLOCKED;
    }
    mg_sandbox_audit(sb, &res, NULL);   /* logs its own failure, as mugai sanitize */
    mg_sandbox_result_clear(&res);
    mg_sandbox_free(sb);
    free(data);
    mg_engine_free(eng);
    return rc;
}
