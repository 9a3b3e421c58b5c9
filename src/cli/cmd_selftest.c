/* mugai selftest: the built-in dangerous samples through the installed
 * configuration, with a conformance table for auditors. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "engine/selftest.h"

static const char help[] = N_(
    "Usage: mugai selftest [-c CONFIG] [--json]\n"
    "\n"
    "Builds a corpus of dangerous samples in memory (Word macro, DDE field,\n"
    "remote template, PDF JavaScript/Launch/embedded file, RTF object, nested\n"
    "and password-protected zip, ISO-2022-JP HTML mail, EICAR, a program named\n"
    ".pdf), runs each through the engine with the configuration (default\n"
    "/etc/mugai/mugai.conf) and prints, per class, the expected and the actual\n"
    "outcome. Nothing is written: no quarantine, no audit line.\n"
    "\n"
    "  -c, --config FILE  configuration to test\n"
    "      --json         one JSON object per sample instead of the table\n"
    "\n"
    "Exit status: 0 every class as expected, 1 a class differs (NG) or its\n"
    "sanitizer is not in this build, 2 usage or configuration error.\n");

static const char *status_text(enum mg_selftest_status s)
{
    switch (s) {
    case MG_ST_OK: return "OK";
    case MG_ST_NG: return "NG";
    default: return _("N/A (not available in this build)");
    }
}

int mg_cmd_selftest(int argc, char **argv);
int mg_cmd_selftest(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' }, { 0 },
    };
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    const char *config = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'j')
            json = true;
        else
            return MG_EXIT_USAGE;
    }
    if (optind != argc) {
        mg_cli_error("%s", _("selftest takes no file arguments (see --help)"));
        return MG_EXIT_USAGE;
    }
    struct mg_engine *e = mg_cli_engine(config);
    if (e == NULL)
        return MG_EXIT_USAGE;
    size_t n = mg_selftest_count(), good = 0;
    if (!json) {
        printf("%s\n\n", _("mugai selftest: dangerous samples through this configuration"));
        printf("| %s | %s | %s | %s |\n|---|---|---|---|\n", _("class"), _("expected"), _("actual"), _("result"));
    }
    for (size_t i = 0; i < n; i++) {
        struct mg_selftest_result r;
        mg_selftest_run(e, i, &r);
        good += r.status == MG_ST_OK;
        if (json) {
            struct mg_buf b;
            mg_buf_init(&b);
            struct mg_json j;
            mg_json_init(&j, &b);
            mg_json_obj_begin(&j, NULL);
            mg_json_str(&j, "id", r.id);
            mg_json_str(&j, "class", _(r.class_msgid));
            mg_json_str(&j, "expected", _(r.expect_msgid));
            mg_json_str(&j, "actual", r.actual);
            mg_json_str(&j, "status", r.status == MG_ST_OK ? "ok" : r.status == MG_ST_NG ? "ng" : "unavailable");
            mg_json_obj_end(&j);
            printf("%s\n", mg_buf_cstr(&b));
            mg_buf_free(&b);
        } else {
            printf("| %s | %s | %s | %s |\n", _(r.class_msgid), _(r.expect_msgid), r.actual, status_text(r.status));
        }
    }
    if (!json) {
        printf("\n");
        printf(_("%zu of %zu classes as expected.\n"), good, n);
    }
    mg_engine_free(e);
    return good == n ? MG_EXIT_OK : MG_EXIT_BLOCKED;
}
