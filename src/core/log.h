/* Logging: one line per event, "key=value" fields, to stderr or syslog.
 * Every line names its job and item when there is one (STYLE.md 4).
 * mg_log_fatal is for the environment (bad config, no memory at start-up);
 * never for bad input. */
#ifndef MG_CORE_LOG_H
#define MG_CORE_LOG_H

#include <stdbool.h>

enum mg_log_level {
    MG_LOG_DEBUG = 0,
    MG_LOG_INFO,
    MG_LOG_NOTICE,
    MG_LOG_WARN,
    MG_LOG_ERROR,
};

enum mg_log_dest { MG_LOG_STDERR, MG_LOG_SYSLOG, MG_LOG_NONE };

void mg_log_init(const char *ident, enum mg_log_dest dest, enum mg_log_level min);
bool mg_log_level_parse(const char *s, enum mg_log_level *out);
enum mg_log_level mg_log_min_level(void);

/* job and item may be NULL. msg is formatted and escaped as msg="...". */
void mg_log(enum mg_log_level lvl, const char *job, const char *item, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, with ": strerror(errno)" appended (OpenSMTPD's log_warn). */
void mg_log_errno(enum mg_log_level lvl, const char *job, const char *item, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void mg_log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Capture hook for tests: when set, each formatted line goes here instead. */
typedef void (*mg_log_capture_fn)(enum mg_log_level lvl, const char *line, void *ud);
void mg_log_set_capture(mg_log_capture_fn fn, void *ud);

#define mg_debug(...) mg_log(MG_LOG_DEBUG, NULL, NULL, __VA_ARGS__)
#define mg_info(...) mg_log(MG_LOG_INFO, NULL, NULL, __VA_ARGS__)
#define mg_warn(...) mg_log(MG_LOG_WARN, NULL, NULL, __VA_ARGS__)
#define mg_error(...) mg_log(MG_LOG_ERROR, NULL, NULL, __VA_ARGS__)

#endif
