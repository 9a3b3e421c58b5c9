#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

static enum mg_log_dest g_dest = MG_LOG_STDERR;
static enum mg_log_level g_min = MG_LOG_INFO;
static const char *g_ident = "mugai";
static mg_log_capture_fn g_capture;
static void *g_capture_ud;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "debug", "info", "notice", "warn", "error" };

void mg_log_init(const char *ident, enum mg_log_dest dest, enum mg_log_level min)
{
    g_ident = ident ? ident : "mugai";
    g_dest = dest;
    g_min = min;
    if (dest == MG_LOG_SYSLOG)
        openlog(g_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

enum mg_log_level mg_log_min_level(void) { return g_min; }

bool mg_log_level_parse(const char *s, enum mg_log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum mg_log_level)i;
            return true;
        }
    }
    return false;
}

void mg_log_set_capture(mg_log_capture_fn fn, void *ud)
{
    g_capture = fn;
    g_capture_ud = ud;
}

/* Quotes a value for key="..." fields: control characters become \xNN so
 * that one event always stays one line whatever the input held. */
static void put_quoted(struct mg_buf *b, const char *s)
{
    mg_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            mg_buf_putc(b, '\\');
            mg_buf_putc(b, *p);
        } else if (*p < 0x20 || *p == 0x7f) {
            mg_buf_printf(b, "\\x%02x", *p);
        } else {
            mg_buf_putc(b, *p);
        }
    }
    mg_buf_putc(b, '"');
}

static void emit(enum mg_log_level lvl, const char *job, const char *item,
                 const char *msg, const char *err)
{
    struct mg_buf line;
    mg_buf_init(&line);
    mg_buf_set_limit(&line, 16384);
    mg_buf_printf(&line, "level=%s", level_names[lvl]);
    if (job) {
        mg_buf_puts(&line, " job=");
        put_quoted(&line, job);
    }
    if (item) {
        mg_buf_puts(&line, " item=");
        put_quoted(&line, item);
    }
    mg_buf_puts(&line, " msg=");
    put_quoted(&line, msg);
    if (err) {
        mg_buf_puts(&line, " error=");
        put_quoted(&line, err);
    }
    const char *text = mg_buf_failed(&line) ? "level=error msg=\"log line too long\"" : mg_buf_cstr(&line);

    pthread_mutex_lock(&g_lock);
    if (g_capture) {
        g_capture(lvl, text, g_capture_ud);
    } else if (g_dest == MG_LOG_SYSLOG) {
        static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR };
        syslog(prio[lvl], "%s", text);
    } else if (g_dest == MG_LOG_STDERR) {
        char ts[32];
        struct timespec now;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s %s[%ld]: %s\n", ts, g_ident, (long)getpid(), text);
    }
    pthread_mutex_unlock(&g_lock);
    mg_buf_free(&line);
}

static void vlog(enum mg_log_level lvl, const char *job, const char *item,
                 const char *err, const char *fmt, va_list ap)
{
    char msg[4096];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    emit(lvl, job, item, msg, err);
}

void mg_log(enum mg_log_level lvl, const char *job, const char *item, const char *fmt, ...)
{
    if (lvl < g_min)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(lvl, job, item, NULL, fmt, ap);
    va_end(ap);
}

void mg_log_errno(enum mg_log_level lvl, const char *job, const char *item, const char *fmt, ...)
{
    int saved = errno;
    if (lvl < g_min)
        return;
    char errbuf[256];
    const char *err = strerror_r(saved, errbuf, sizeof(errbuf));
    va_list ap;
    va_start(ap, fmt);
    vlog(lvl, job, item, err, fmt, ap);
    va_end(ap);
    errno = saved;
}

void mg_log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(MG_LOG_ERROR, NULL, NULL, NULL, fmt, ap);
    va_end(ap);
    exit(2);
}
