/* mugai audit verify FILE: checks the audit log's hash chain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/audit.h"

static const char help[] = N_(
    "Usage: mugai audit verify FILE...\n"
    "\n"
    "Checks that each audit log FILE is an unbroken hash chain: every line\n"
    "carries the SHA-256 of the line before it, so a line that was edited,\n"
    "inserted or deleted breaks the chain at the line after it. Prints the\n"
    "number of lines checked, or the first line where the chain breaks.\n"
    "A log cut short at its end cannot be detected from the file alone.\n"
    "\n"
    "Exit status: 0 every chain intact, 1 a chain is broken, 2 usage error or\n"
    "unreadable file.\n");

int mg_cmd_audit(int argc, char **argv);
int mg_cmd_audit(int argc, char **argv)
{
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    if (argc < 3 || strcmp(argv[1], "verify") != 0) {
        mg_cli_error("%s", _("usage: mugai audit verify FILE... (see --help)"));
        return MG_EXIT_USAGE;
    }
    int rc = MG_EXIT_OK;
    for (int i = 2; i < argc; i++) {
        size_t len = 0;
        uint8_t *data = mg_cli_read_file(argv[i], 0, &len);
        if (data == NULL) {
            mg_cli_error("%s: %s", argv[i], strerror(errno));
            return MG_EXIT_USAGE;
        }
        size_t lines = 0;
        long bad = mg_audit_verify(data, len, &lines);
        if (bad == 0) {
            printf(_("%s: chain intact, %zu lines\n"), argv[i], lines);
        } else {
            printf(_("%s: chain broken at line %ld (a line before it was edited, inserted or deleted)\n"),
                   argv[i], bad);
            rc = MG_EXIT_BLOCKED;
        }
        free(data);
    }
    return rc;
}
