/* Quarantine: the original of every job with removed or blocked content,
 * kept so that an administrator can release it. Layout under
 * [general] quarantine-dir:
 *   blobs/ab/abcdef...      the original, named by its SHA-256 (stored once)
 *   records/<job id>.ini    time, hash, size, verdict, reason, caller's meta
 *   records/<job id>.json   the job's JSON report
 * Every file is written atomically (temporary name, fsync, rename, fsync of
 * the folder), the record last, so a crash never leaves half a record. */
#ifndef MG_ENGINE_QUARANTINE_H
#define MG_ENGINE_QUARANTINE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "engine/engine.h"

/* Stores data as the original of job; meta_json is the caller's context (a
 * JSON object text: envelope, client, file name), may be NULL. False
 * (logged) when it could not be stored durably or the store is full. */
bool mg_quarantine_store(const struct mg_policy *pol, const struct mg_job *job,
                         const uint8_t *data, size_t len, const char *meta_json);

/* Should the original of job be kept: something in it was removed, blocked
 * or changed by an action (a mail rebuilt without any action is not). */
bool mg_quarantine_wanted(const struct mg_job *job);

/* The same from a rendered result (a sandbox worker's): the record's
 * fields given as text. */
struct mg_quarantine_rec {
    const char *id;
    const char *verdict;       /* mg_verdict_name */
    const char *reason;        /* mg_reason_keyword */
    const char *name;          /* root item name */
    const char *report_json;
};
bool mg_quarantine_store_rec(const struct mg_policy *pol, const struct mg_quarantine_rec *q,
                             const uint8_t *data, size_t len, const char *meta_json);

struct mg_qrecord {
    char id[64];
    time_t time;
    char sha256[65];
    uint64_t size;
    char verdict[16];
    char reason[32];
    char *name;        /* root item name */
    char *meta;        /* caller's JSON */
};

void mg_qrecord_clear(struct mg_qrecord *r);
/* Records newer than since (0: all), oldest first. */
GPtrArray *mg_quarantine_list(const struct mg_policy *pol, time_t since, GError **err);
bool mg_quarantine_get(const struct mg_policy *pol, const char *id, struct mg_qrecord *out, GError **err);
/* The original's bytes (g_free), checked against the recorded SHA-256. */
uint8_t *mg_quarantine_original(const struct mg_policy *pol, const struct mg_qrecord *r,
                                size_t *len, GError **err);
char *mg_quarantine_report(const struct mg_policy *pol, const char *id, GError **err);
/* Removes records older than age seconds and blobs no record uses. */
bool mg_quarantine_purge(const struct mg_policy *pol, double age, unsigned *removed, GError **err);
uint64_t mg_quarantine_usage(const struct mg_policy *pol);

/* Tests only (NULL otherwise): called at each step of mg_quarantine_store —
 * "blob" (original stored), "report" (JSON report stored; the .ini record
 * comes last) — so a test can kill the writer there and check that no half
 * record is ever listed. */
extern void (*mg_quarantine_test_hook)(const char *step);

#endif
