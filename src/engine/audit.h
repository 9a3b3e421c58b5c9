/* The audit trail: one JSON line per job (mg_report_audit) appended to the
 * file named by [general] audit, or sent to syslog; "off" writes nothing.
 * Each line starts with "prev": the SHA-256 of the line before it (zeros
 * for the first), so an edited or deleted line breaks the chain at the line
 * after it (mugai audit verify). A truncated tail cannot be seen from the
 * file alone; ship the log off the machine (syslog) where that matters. */
#ifndef MG_ENGINE_AUDIT_H
#define MG_ENGINE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* False when the line could not be written (logged). */
bool mg_audit_job(const struct mg_policy *pol, const struct mg_job *job);
/* Same, with a front end's own members (valid JSON object members without
 * the braces, e.g. "smtp":{...}) placed before the job's, in the same line
 * and the same chain. */
bool mg_audit_job_extra(const struct mg_policy *pol, const struct mg_job *job, const char *extra);
/* The same for an audit object rendered elsewhere (mg_report_audit text,
 * e.g. by a sandbox worker): body is one JSON object on one line; extra as
 * for mg_audit_job_extra (NULL for none). */
bool mg_audit_body(const struct mg_policy *pol, const char *job_id, const char *extra, const char *body,
                   size_t len);
/* 0 when every line's "prev" is the hash of the line before; otherwise the
 * 1-based number of the first line that breaks the chain. */
long mg_audit_verify(const uint8_t *data, size_t len, size_t *lines);
void mg_audit_line_hash(const uint8_t *line, size_t len, char out[65]);

#endif
