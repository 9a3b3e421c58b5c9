/* `mugai quarantine unlock`, dispatched from cmd_quarantine.c: decrypt a
 * quarantined password-protected archive and sanitize it as a new job. */
#ifndef MG_CLI_QUARANTINE_UNLOCK_H
#define MG_CLI_QUARANTINE_UNLOCK_H

/* argv[0] is "unlock"; config is the -c given before the subcommand (may be NULL). */
int mg_quarantine_unlock(const char *config, int argc, char **argv);

#endif
