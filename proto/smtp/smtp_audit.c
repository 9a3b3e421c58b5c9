/* One audit line per message: the SMTP facts (client, envelope, sizes, the
 * next hop's reply, our reply) around the engine's own audit record. The
 * destination is [general] audit: a file (appended, one write per line),
 * syslog, or off (then the line goes to the log at info level). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "engine/report.h"
#include "proto/smtp/smtp_session.h"

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;

static void write_line(const char *dest, const struct mg_buf *line, const char *id)
{
    if (strcmp(dest, "off") == 0) {
        mg_log(MG_LOG_INFO, id, NULL, "audit %.*s", (int)line->len - 1, (const char *)line->data);
        return;
    }
    if (strcmp(dest, "syslog") == 0) {
        syslog(LOG_MAIL | LOG_INFO, "%.*s", (int)line->len - 1, (const char *)line->data);
        return;
    }
    pthread_mutex_lock(&audit_lock);
    int fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    bool ok = fd >= 0;
    if (ok) {
        /* One write per line so concurrent writers never interleave. */
        ssize_t w = write(fd, line->data, line->len);
        ok = w == (ssize_t)line->len;
        ok = close(fd) == 0 && ok;
    }
    pthread_mutex_unlock(&audit_lock);
    if (!ok)
        mg_log_errno(MG_LOG_ERROR, id, NULL, "cannot write the audit line to %s", dest);
}

void mg_smtp_audit(const struct mg_smtp_session *ss, const struct mg_job *job, uint64_t size,
                   uint64_t size_out, const struct mg_smtp_reply *nh, int code,
                   const char *enh, const char *text)
{
    struct mg_buf b;
    mg_buf_init(&b);
    struct mg_json j;
    mg_json_init(&j, &b);
    mg_json_obj_begin(&j, NULL);
    mg_json_str(&j, "type", "smtp");
    mg_json_str(&j, "session", ss->id);
    mg_json_str(&j, "job", job ? mg_job_id(job) : NULL);
    mg_json_str(&j, "client", ss->peer->ip);
    mg_json_str(&j, "helo", ss->helo);
    mg_json_bool(&j, "tls", ss->tls);
    mg_json_str(&j, "from", ss->tx.from);
    mg_json_arr_begin(&j, "rcpt");
    for (guint i = 0; i < ss->tx.rcpts->len; i++)
        mg_json_str(&j, NULL, g_ptr_array_index(ss->tx.rcpts, i));
    mg_json_arr_end(&j);
    mg_json_uint(&j, "size", size);
    mg_json_uint(&j, "size_out", size_out);
    mg_json_str(&j, "verdict", job ? mg_verdict_name(mg_job_verdict(job)) : NULL);
    mg_json_str(&j, "next_hop", ss->gen->cfg->next_hop);
    if (nh && nh->code) {
        char r[600];
        snprintf(r, sizeof(r), "%d %s%s%s", nh->code, nh->enh, nh->enh[0] ? " " : "", nh->text);
        mg_json_str(&j, "next_hop_reply", r);
    } else {
        mg_json_null(&j, "next_hop_reply");
    }
    char mine[700];
    snprintf(mine, sizeof(mine), "%d %s%s%s", code, enh ? enh : "", enh && enh[0] ? " " : "", text);
    mg_json_str(&j, "reply", mine);
    mg_json_obj_end(&j);
    if (job && !mg_json_failed(&j) && b.len > 0) {
        /* Splice the engine's record in as "engine": {...}. */
        struct mg_buf eng;
        mg_buf_init(&eng);
        mg_report_audit(job, &eng);
        if (!mg_buf_failed(&eng) && eng.len > 0) {
            b.len--; /* drop the closing brace */
            mg_buf_puts(&b, ",\"engine\":");
            mg_buf_append(&b, eng.data, eng.len);
            mg_buf_putc(&b, '}');
        }
        mg_buf_free(&eng);
    }
    mg_buf_putc(&b, '\n');
    if (!mg_buf_failed(&b)) {
        const struct mg_policy *p = mg_engine_policy(ss->gen->er->engine);
        write_line(p->audit ? p->audit : "off", &b, job ? mg_job_id(job) : ss->id);
    }
    mg_buf_free(&b);
}
