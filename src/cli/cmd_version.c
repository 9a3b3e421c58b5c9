#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "sandbox/sandbox.h"

static const char help[] = N_(
    "Usage: mugai version [-c CONFIG]\n"
    "\n"
    "Prints the versions of mugai and of every library it uses, the scanner\n"
    "implementation, the antivirus signature database in force (and a warning\n"
    "when only mugai's own test signatures are loaded), the registered\n"
    "sanitizers, and the SHA-256 of the effective policy.\n"
    "\n"
    "  -c, --config FILE   configuration file (default /etc/mugai/mugai.conf\n"
    "                      if present, else the built-in defaults)\n");

int mg_cmd_version(int argc, char **argv);
int mg_cmd_version(int argc, char **argv)
{
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    static const struct option opts[] = { { "config", required_argument, NULL, 'c' }, { 0 } };
    const char *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else
            return MG_EXIT_USAGE;
    }
    struct mg_engine *e = mg_cli_engine(config);
    if (e == NULL)
        return MG_EXIT_ERROR;
    struct mg_buf out;
    mg_buf_init(&out);
    mg_engine_describe(e, &out);
    /* Starting the pool proves the workers can be confined as configured. */
    struct mg_sandbox *sb = mg_cli_sandbox(e);
    mg_buf_printf(&out, "  sandbox: %s\n", sb ? mg_sandbox_describe(sb) : _("UNAVAILABLE (see the error above)"));
    fputs(mg_buf_cstr(&out), stdout);
    mg_buf_free(&out);
    mg_sandbox_free(sb);
    mg_engine_free(e);
    return sb ? MG_EXIT_OK : MG_EXIT_ERROR;
}
