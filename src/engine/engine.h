/* The engine as the front ends (CLI, SMTP, ICAP) see it: load once, then run
 * jobs. An engine is shared read-only by all threads; a job belongs to one
 * thread. */
#ifndef MG_ENGINE_ENGINE_H
#define MG_ENGINE_ENGINE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "engine/contract.h"
#include "engine/policy.h"

struct mg_engine;

/* Sets up gettext (catalog path, UTF-8); called by mg_engine_new, and by
 * front ends that print before an engine exists. Idempotent. */
void mg_i18n_init(void);

/* Takes ownership of policy. Loads libmagic, libclamav (per policy), the
 * indicator set, and checks the sanitizer registry. Fails closed: any
 * problem is an error, never a degraded engine (except clamav=auto without
 * a system database, which is logged loudly). */
struct mg_engine *mg_engine_new(struct mg_policy *policy, GError **err);
void mg_engine_free(struct mg_engine *e);
const struct mg_policy *mg_engine_policy(const struct mg_engine *e);
/* Multi-line "component version" text for `mugai version`. */
void mg_engine_describe(const struct mg_engine *e, struct mg_buf *out);
/* One line naming the signature database state, for reports and OPTIONS ISTag. */
const char *mg_engine_av_describe(const struct mg_engine *e);
const struct mg_indicator_set *mg_engine_indicators(const struct mg_engine *e);
/* Also record libmagic's long description of every item (a second libmagic
 * pass; for analysis, off on the hot path). */
void mg_engine_set_describe(struct mg_engine *e, bool on);

/* Called once in a sandbox worker after fork and before it is confined:
 * loads everything the engine would otherwise load lazily from the file
 * system (this thread's libmagic handle, the message catalog, iconv's
 * module cache, the time zone) and points libclamav's and the spools'
 * scratch files at dir, the only folder the worker may write. */
bool mg_engine_worker_prepare(struct mg_engine *e, const char *scratch_dir, char *errbuf, size_t errlen);

/* id NULL: a fresh unique id (time + random, safe in file names). */
struct mg_job *mg_job_new(struct mg_engine *e, const char *id);
void mg_job_free(struct mg_job *job);
/* Runs the root item. forced = MG_TC_UNKNOWN to detect the type.
 * The data must stay valid until mg_job_free. Never returns NULL. */
struct mg_item *mg_job_run(struct mg_job *job, const char *name, const uint8_t *data,
                           size_t len, enum mg_type_class forced);
/* A root that could not be read at all (unreadable file, message over the
 * size limit before it was received whole): BLOCKED or TEMPFAIL by reason. */
struct mg_item *mg_job_reject(struct mg_job *job, const char *name, enum mg_reason r,
                              const char *detail);
struct mg_item *mg_job_root(const struct mg_job *job);
/* The job's overall verdict (the root's). */
enum mg_verdict mg_job_verdict(const struct mg_job *job);
double mg_job_elapsed(const struct mg_job *job);
/* Seconds this job spent in the indicator scanner (before and after). */
double mg_job_scan_seconds(const struct mg_job *job);
const struct mg_engine *mg_job_engine(const struct mg_job *job);

/* Reason table lookups for the front ends: the SMTP enhanced status and the
 * ICAP/HTTP status of a whole-job refusal, and the notice msgid. */
const char *mg_reason_smtp_status(enum mg_reason r);
int mg_reason_http_status(enum mg_reason r);
const char *mg_reason_msgid(enum mg_reason r);

#endif
