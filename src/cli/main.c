/* mugai: one binary, subcommands listed in commands.def. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "mg_config.h"

#define MG_COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "cli/commands.def"
#undef MG_COMMAND

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
#define MG_COMMAND(name, fn, summary) { #name, fn, summary },
#include "cli/commands.def"
#undef MG_COMMAND
};

static void usage(FILE *out)
{
    fprintf(out, "%s", _(N_("Usage: mugai COMMAND [OPTIONS] [ARGS]\n"
                            "\n"
                            "mugai (無害) is a content-disarm gateway: it rebuilds mail, documents and\n"
                            "archives without active content (macros, scripts, embedded objects,\n"
                            "executables) and leaves a notice for everything it removed.\n"
                            "\n"
                            "Commands:\n")));
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, _(commands[i].summary));
    fprintf(out, "%s", _(N_("\n"
                            "Run \"mugai COMMAND --help\" for the options of one command.\n"
                            "Messages are in Japanese by default; set MUGAI_LANG=en or\n"
                            "[general] language = en for English.\n"
                            "\n"
                            "Exit status: 0 everything clean or sanitized, 1 something was blocked,\n"
                            "2 usage error, fatal or temporary error.\n")));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MG_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2) {
            for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char *av[] = { argv[2], (char *)"--help", NULL };
                    return commands[i].fn(2, av);
                }
            }
        }
        usage(stdout);
        return MG_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("mugai %s\n", MG_VERSION);
        return MG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    mg_cli_error(_("unknown command \"%s\" (see mugai --help)"), cmd);
    return MG_EXIT_USAGE;
}
