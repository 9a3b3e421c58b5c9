/* Renderings of a job's verdict tree: the JSON report (schema in README),
 * the one-line audit record, and the notice text for people. */
#ifndef MG_ENGINE_REPORT_H
#define MG_ENGINE_REPORT_H

#include "core/buf.h"
#include "engine/engine.h"

/* pretty: indented for people; otherwise one line. */
void mg_report_json(const struct mg_job *job, struct mg_buf *out, bool pretty);
/* One JSON object on one line (no newline), for the audit trail. */
void mg_report_audit(const struct mg_job *job, struct mg_buf *out);
/* The whole notice in the job's language: what was done, item by item. */
void mg_report_notice(const struct mg_job *job, struct mg_buf *out);

#endif
