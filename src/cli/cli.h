/* Shared pieces of the `mugai` subcommands: engine start-up from
 * -c/--config, file reading, messages, and the exit codes (0 clean or
 * sanitized, 1 something blocked, 2 usage, fatal or temporary error). */
#ifndef MG_CLI_CLI_H
#define MG_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/engine.h"

enum { MG_EXIT_OK = 0, MG_EXIT_BLOCKED = 1, MG_EXIT_USAGE = 2, MG_EXIT_ERROR = 2 };

/* Loads the policy (path NULL: /etc/mugai/mugai.conf if it exists, else the
 * embedded defaults), sets up logging and gettext, and starts the engine.
 * Prints a clear error and returns NULL on failure. */
struct mg_engine *mg_cli_engine(const char *policy_path);
struct mg_sandbox;
/* Starts the worker pool ([sandbox]) for e; prints a clear error and
 * returns NULL when the workers cannot be confined as configured. */
struct mg_sandbox *mg_cli_sandbox(struct mg_engine *e);
/* Reads a whole file (or "-" for stdin) into memory (free()); NULL with
 * errno set (EFBIG when larger than max, max 0 = no limit). */
uint8_t *mg_cli_read_file(const char *path, size_t max, size_t *len);
/* Writes data to path atomically (temporary file, fsync, rename). */
bool mg_cli_write_file(const char *path, const void *data, size_t len);
/* True for -h/--help among argv; prints help text (translated) then. */
bool mg_cli_wants_help(int argc, char **argv, const char *help_msgid);
/* Translated text in the CLI's language. */
const char *mg_cli_gettext(const char *msgid);
#define _(s) mg_cli_gettext(s)
/* Prints "mugai: " + message to stderr. */
void mg_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
