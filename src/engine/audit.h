/* The audit trail: one JSON line per job ("type":"job", mg_report_audit) and,
 * unless [audit] items = no, one line per item of the job ("type":"item":
 * path, class, SHA-256 in and out, verdict, reason, actions, sanitizer),
 * appended to the file named by [general] audit, or sent to syslog; "off"
 * writes nothing. Front ends add their own members to the job line (SMTP:
 * "smtp":{envelope, replies}) with mg_audit_job_extra; other events (a
 * quarantine release) go into the same chain through mg_audit_write.
 * Each line starts with "prev": the SHA-256 of the line before it (zeros
 * for the first), so an edited or deleted line breaks the chain at the line
 * after it (mugai audit verify). A truncated tail cannot be seen from the
 * file alone; ship the log off the machine (syslog) where that matters. */
#ifndef MG_ENGINE_AUDIT_H
#define MG_ENGINE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "engine/engine.h"

/* False when the line could not be written (logged). */
bool mg_audit_job(const struct mg_policy *pol, const struct mg_job *job);
/* head: one JSON object (no newline) written as the first line, then the
 * item lines of job (may be NULL), all chained, in one locked write. The
 * file is opened for each write, so logrotate needs no signal. */
bool mg_audit_write(const struct mg_policy *pol, const char *id, const struct mg_buf *head,
                    const struct mg_job *job);
/* mg_audit_job with a front end's own members (valid JSON object members
 * without the braces, e.g. "smtp":{...}) placed before the job's, in the
 * same line and the same chain. */
bool mg_audit_job_extra(const struct mg_policy *pol, const struct mg_job *job, const char *extra);
/* The job's audit objects as text, one per line, not chained: the job line
 * ("type":"job") then, unless [audit] items = no, its item lines. A sandbox
 * worker renders this; the front end appends it with mg_audit_body. */
void mg_audit_render(const struct mg_policy *pol, const struct mg_job *job, struct mg_buf *out);
/* Appends body (mg_audit_render's text) to the chain, extra members placed
 * first in the job line (as mg_audit_job_extra; NULL for none). False when
 * body is not one JSON object per line, or on a write error (logged). */
bool mg_audit_body(const struct mg_policy *pol, const char *job_id, const char *extra, const char *body,
                   size_t len);
/* 0 when every line's "prev" is the hash of the line before; otherwise the
 * 1-based number of the first line that breaks the chain. */
long mg_audit_verify(const uint8_t *data, size_t len, size_t *lines);
void mg_audit_line_hash(const uint8_t *line, size_t len, char out[65]);

#endif
