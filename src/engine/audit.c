#include "engine/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "engine/report.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* For syslog the chain lives in the process (a restart starts a new one). */
static pthread_mutex_t syslog_lock = PTHREAD_MUTEX_INITIALIZER;
static char syslog_prev[65] = ZERO_HASH;

void mg_audit_line_hash(const uint8_t *line, size_t len, char out[65])
{
    gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, line, len);
    g_strlcpy(out, hex ? hex : ZERO_HASH, 65);
    g_free(hex);
}

/* Hash of the last complete line of fd, read backwards in chunks so that a
 * long line (a job with many items) is found whole. */
static bool last_line_hash(int fd, char out[65])
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    off_t end = st.st_size;
    if (end == 0) {
        g_strlcpy(out, ZERO_HASH, 65);
        return true;
    }
    char c;
    if (pread(fd, &c, 1, end - 1) != 1)
        return false;
    if (c == '\n')
        end--; /* the file ends with a newline: the last line ends before it */
    GByteArray *tail = g_byte_array_new();
    off_t pos = end;
    bool found = false;
    while (!found && pos > 0) {
        size_t n = pos > 65536 ? 65536 : (size_t)pos;
        pos -= (off_t)n;
        guint8 *buf = g_malloc(n);
        if (pread(fd, buf, n, pos) != (ssize_t)n) {
            g_free(buf);
            g_byte_array_free(tail, TRUE);
            return false;
        }
        g_byte_array_prepend(tail, buf, (guint)n);
        g_free(buf);
        guint8 *nl = memrchr(tail->data, '\n', tail->len);
        if (nl != NULL) {
            g_byte_array_remove_range(tail, 0, (guint)(nl - tail->data + 1));
            found = true;
        }
    }
    mg_audit_line_hash(tail->data, tail->len, out);
    g_byte_array_free(tail, TRUE);
    return true;
}

/* {"prev":"<hash of the previous line>", [extra,] ...the job's audit object...} */
static void chained(const char *body, size_t len, const char *extra, const char *prev,
                    struct mg_buf *line)
{
    mg_buf_printf(line, "{\"prev\":\"%s\",", prev);
    if (extra && *extra) {
        mg_buf_puts(line, extra);
        mg_buf_putc(line, ',');
    }
    if (len > 1)
        mg_buf_append(line, body + 1, len - 1);
}

bool mg_audit_job(const struct mg_policy *pol, const struct mg_job *job)
{
    return mg_audit_job_extra(pol, job, NULL);
}

bool mg_audit_job_extra(const struct mg_policy *pol, const struct mg_job *job, const char *extra)
{
    struct mg_buf body;
    mg_buf_init(&body);
    mg_report_audit(job, &body);
    bool ok = !mg_buf_failed(&body) &&
              mg_audit_body(pol, mg_job_id(job), extra, (const char *)body.data, body.len);
    mg_buf_free(&body);
    return ok;
}

bool mg_audit_body(const struct mg_policy *pol, const char *job_id, const char *extra, const char *body,
                   size_t len)
{
    if (len < 2 || body[0] != '{' || memchr(body, '\n', len) != NULL)
        return false;
    if (pol->audit == NULL || strcmp(pol->audit, "off") == 0 || *pol->audit == '\0')
        return true;
    struct mg_buf line;
    mg_buf_init(&line);
    bool ok = true;
    if (strcmp(pol->audit, "syslog") == 0) {
        pthread_mutex_lock(&syslog_lock);
        chained(body, len, extra, syslog_prev, &line);
        ok = !mg_buf_failed(&line);
        if (ok) {
            syslog(LOG_MAIL | LOG_INFO, "%.*s", (int)line.len, (const char *)line.data);
            mg_audit_line_hash(line.data, line.len, syslog_prev);
        }
        pthread_mutex_unlock(&syslog_lock);
        mg_buf_free(&line);
        return ok;
    }
    int fd = open(pol->audit, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        mg_log_errno(MG_LOG_ERROR, job_id, NULL, "audit: cannot open %s", pol->audit);
        mg_buf_free(&line);
        return false;
    }
    /* The lock covers reading the previous line and appending ours, so
     * processes sharing the file keep one chain and whole lines. */
    char prev[65];
    if (flock(fd, LOCK_EX) != 0 || !last_line_hash(fd, prev)) {
        mg_log_errno(MG_LOG_ERROR, job_id, NULL, "audit: cannot read %s", pol->audit);
        ok = false;
    } else {
        chained(body, len, extra, prev, &line);
        mg_buf_putc(&line, '\n');
        ok = !mg_buf_failed(&line) && mg_fd_write_all(fd, line.data, line.len);
        if (!ok)
            mg_log_errno(MG_LOG_ERROR, job_id, NULL, "audit: write to %s failed", pol->audit);
    }
    flock(fd, LOCK_UN);
    close(fd);
    mg_buf_free(&line);
    return ok;
}

long mg_audit_verify(const uint8_t *data, size_t len, size_t *lines)
{
    char prev[65] = ZERO_HASH;
    size_t n = 0;
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        const char *p = (const char *)data + pos;
        size_t l = end - pos;
        n++;
        static const char key[] = "{\"prev\":\"";
        if (l < sizeof(key) - 1 + 64 || memcmp(p, key, sizeof(key) - 1) != 0 ||
            memcmp(p + sizeof(key) - 1, prev, 64) != 0) {
            if (lines)
                *lines = n;
            return (long)n;
        }
        mg_audit_line_hash(data + pos, l, prev);
        pos = nl ? end + 1 : len;
    }
    if (lines)
        *lines = n;
    return 0;
}
