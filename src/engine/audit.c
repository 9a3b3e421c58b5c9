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
#include "core/json.h"
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

/* {"prev":"<hash of the previous line>", ...obj...} */
static void chained(const char *prev, const struct mg_buf *obj, struct mg_buf *line)
{
    mg_buf_printf(line, "{\"prev\":\"%s\",", prev);
    if (obj->len > 1)
        mg_buf_append(line, obj->data + 1, obj->len - 1);
}

/* One line per item, in tree order: what crossed (or did not), by hash. */
static void item_lines(const struct mg_job *job, const struct mg_item *it, unsigned depth,
                       unsigned *n, GPtrArray *objs)
{
    struct mg_buf *b = g_new0(struct mg_buf, 1);
    mg_buf_init(b);
    struct mg_json j;
    mg_json_init(&j, b);
    mg_json_obj_begin(&j, NULL);
    mg_json_str(&j, "type", "item");
    mg_json_str(&j, "job", mg_job_id(job));
    mg_json_uint(&j, "n", (*n)++);
    mg_json_str(&j, "path", it->path);
    mg_json_str(&j, "class", mg_type_class_name(it->type.cls));
    mg_json_str(&j, "mime", it->type.mime);
    mg_json_uint(&j, "size", it->len);
    mg_json_str(&j, "sha256_in", it->sha256_in);
    mg_json_str(&j, "sha256_out", it->sha256_out[0] ? it->sha256_out : NULL);
    mg_json_str(&j, "verdict", mg_verdict_name(it->verdict));
    mg_json_str(&j, "reason", mg_reason_keyword(it->reason));
    mg_json_str(&j, "detail", it->reason_detail);
    mg_json_str(&j, "sanitizer", it->sanitizer);
    mg_json_str(&j, "sanitizer_version", it->sanitizer_version);
    mg_json_str(&j, "antivirus", it->av_signature);
    mg_json_arr_begin(&j, "actions");
    for (size_t i = 0; i < it->n_actions; i++) {
        mg_json_obj_begin(&j, NULL);
        mg_json_str(&j, "action", mg_action_keyword(it->actions[i].action));
        mg_json_str(&j, "detail", it->actions[i].detail);
        mg_json_obj_end(&j);
    }
    mg_json_arr_end(&j);
    mg_json_obj_end(&j);
    g_ptr_array_add(objs, b);
    /* Depth is bounded by [limits] max-depth; 64 is the hard stop. */
    if (depth < 64)
        for (size_t i = 0; i < it->n_children; i++)
            item_lines(job, it->children[i], depth + 1, n, objs);
}

static void free_obj(gpointer p)
{
    mg_buf_free(p);
    g_free(p);
}

/* Writes objs (JSON objects without newlines) as consecutive chained lines
 * in one locked write. Takes ownership of objs. */
static bool write_objs(const struct mg_policy *pol, const char *id, GPtrArray *objs)
{
    struct mg_buf lines;
    mg_buf_init(&lines);
    bool ok = true;
    if (strcmp(pol->audit, "syslog") == 0) {
        pthread_mutex_lock(&syslog_lock);
        for (guint i = 0; ok && i < objs->len; i++) {
            lines.len = 0;
            chained(syslog_prev, objs->pdata[i], &lines);
            ok = !mg_buf_failed(&lines);
            if (ok) {
                syslog(LOG_MAIL | LOG_INFO, "%.*s", (int)lines.len, (const char *)lines.data);
                mg_audit_line_hash(lines.data, lines.len, syslog_prev);
            }
        }
        pthread_mutex_unlock(&syslog_lock);
        mg_buf_free(&lines);
        g_ptr_array_free(objs, TRUE);
        return ok;
    }
    /* Opened for every write, never kept open: after logrotate moves the
     * file away, the next line goes to a new file at the configured path,
     * so no reopen signal is needed (and no copytruncate). */
    int fd = open(pol->audit, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        mg_log_errno(MG_LOG_ERROR, id, NULL, "audit: cannot open %s", pol->audit);
        mg_buf_free(&lines);
        g_ptr_array_free(objs, TRUE);
        return false;
    }
    /* The lock covers reading the previous line and appending ours, so
     * processes sharing the file keep one chain and whole lines; the job's
     * lines go in one write so they stay together. */
    char prev[65];
    if (flock(fd, LOCK_EX) != 0 || !last_line_hash(fd, prev)) {
        mg_log_errno(MG_LOG_ERROR, id, NULL, "audit: cannot read %s", pol->audit);
        ok = false;
    } else {
        for (guint i = 0; i < objs->len; i++) {
            size_t start = lines.len;
            chained(prev, objs->pdata[i], &lines);
            if (mg_buf_failed(&lines))
                break;
            mg_audit_line_hash(lines.data + start, lines.len - start, prev);
            mg_buf_putc(&lines, '\n');
        }
        ok = !mg_buf_failed(&lines) && mg_fd_write_all(fd, lines.data, lines.len);
        if (!ok)
            mg_log_errno(MG_LOG_ERROR, id, NULL, "audit: write to %s failed", pol->audit);
    }
    flock(fd, LOCK_UN);
    close(fd);
    mg_buf_free(&lines);
    g_ptr_array_free(objs, TRUE);
    return ok;
}

static struct mg_buf *obj_copy(const void *data, size_t len)
{
    struct mg_buf *b = g_new0(struct mg_buf, 1);
    mg_buf_init(b);
    mg_buf_append(b, data, len);
    return b;
}

bool mg_audit_write(const struct mg_policy *pol, const char *id, const struct mg_buf *head,
                    const struct mg_job *job)
{
    if (pol->audit == NULL || strcmp(pol->audit, "off") == 0 || *pol->audit == '\0')
        return true;
    GPtrArray *objs = g_ptr_array_new_with_free_func(free_obj);
    g_ptr_array_add(objs, obj_copy(head->data, head->len));
    if (job && mg_job_root(job) && pol->audit_items) {
        unsigned n = 0;
        item_lines(job, mg_job_root(job), 0, &n, objs);
    }
    return write_objs(pol, id, objs);
}

void mg_audit_render(const struct mg_policy *pol, const struct mg_job *job, struct mg_buf *out)
{
    mg_buf_puts(out, "{\"type\":\"job\",");
    struct mg_buf rep;
    mg_buf_init(&rep);
    mg_report_audit(job, &rep);
    if (rep.len > 1)
        mg_buf_append(out, rep.data + 1, rep.len - 1);
    mg_buf_free(&rep);
    if (mg_job_root(job) && pol->audit_items) {
        GPtrArray *objs = g_ptr_array_new_with_free_func(free_obj);
        unsigned n = 0;
        item_lines(job, mg_job_root(job), 0, &n, objs);
        for (guint i = 0; i < objs->len; i++) {
            const struct mg_buf *o = objs->pdata[i];
            mg_buf_putc(out, '\n');
            mg_buf_append(out, o->data, o->len);
        }
        g_ptr_array_free(objs, TRUE);
    }
}

bool mg_audit_body(const struct mg_policy *pol, const char *job_id, const char *extra, const char *body,
                   size_t len)
{
    if (len < 2 || body[0] != '{')
        return false;
    if (pol->audit == NULL || strcmp(pol->audit, "off") == 0 || *pol->audit == '\0')
        return true;
    GPtrArray *objs = g_ptr_array_new_with_free_func(free_obj);
    size_t pos = 0;
    bool first = true;
    while (pos < len) {
        const char *nl = memchr(body + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - body) : len;
        if (end - pos < 2 || body[pos] != '{') {
            g_ptr_array_free(objs, TRUE);
            return false;
        }
        struct mg_buf *o = g_new0(struct mg_buf, 1);
        mg_buf_init(o);
        /* The front end's members go right after "type":"job" in the job
         * line, so that readers find them in a fixed place. */
        static const char job_prefix[] = "{\"type\":\"job\",";
        size_t skip = 1;
        if (end - pos > sizeof(job_prefix) - 1 && memcmp(body + pos, job_prefix, sizeof(job_prefix) - 1) == 0)
            skip = sizeof(job_prefix) - 1;
        mg_buf_append(o, body + pos, skip);
        if (first && extra && *extra) {
            mg_buf_puts(o, extra);
            mg_buf_putc(o, ',');
        }
        mg_buf_append(o, body + pos + skip, end - pos - skip);
        g_ptr_array_add(objs, o);
        first = false;
        pos = nl ? end + 1 : len;
    }
    return write_objs(pol, job_id, objs);
}

bool mg_audit_job(const struct mg_policy *pol, const struct mg_job *job)
{
    return mg_audit_job_extra(pol, job, NULL);
}

bool mg_audit_job_extra(const struct mg_policy *pol, const struct mg_job *job, const char *extra)
{
    if (pol->audit == NULL || strcmp(pol->audit, "off") == 0 || *pol->audit == '\0')
        return true;
    struct mg_buf body;
    mg_buf_init(&body);
    mg_audit_render(pol, job, &body);
    bool ok = !mg_buf_failed(&body) &&
              mg_audit_body(pol, mg_job_id(job), extra, (const char *)body.data, body.len);
    mg_buf_free(&body);
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
