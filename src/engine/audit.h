/* The audit trail: one JSON line per job (mg_report_audit) appended to the
 * file named by [general] audit, or sent to syslog; "off" writes nothing. */
#ifndef MG_ENGINE_AUDIT_H
#define MG_ENGINE_AUDIT_H

#include <stdbool.h>

#include "engine/engine.h"

/* False when the line could not be written (logged); callers in the relay
 * treat that as a temporary failure only when policy requires an audit. */
bool mg_audit_job(const struct mg_policy *pol, const struct mg_job *job);

#endif
