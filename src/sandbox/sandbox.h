/* The worker pool: every job a front end runs on untrusted bytes goes to a
 * pre-forked worker process that is confined before it touches input
 * (doc/sandbox.md, "Security model"). The front end gets back a plain
 * result (struct mg_sandbox_result): everything it used to read from
 * struct mg_job / struct mg_item after mg_job_run, already rendered.
 *
 * A worker that crashes, is killed by seccomp (SIGSYS), by an rlimit or by
 * the timeout makes the job TEMPFAIL (reason internal, detail naming the
 * signal) and is replaced. The same input (by SHA-256) killing workers
 * [sandbox] poison-after times in a row is BLOCKED with reason poison.
 *
 * mg_sandbox_run is thread-safe: callers wait for an idle worker. */
#ifndef MG_SANDBOX_SANDBOX_H
#define MG_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

enum mg_sandbox_mode { MG_SANDBOX_SECCOMP = 0, MG_SANDBOX_RLIMITS, MG_SANDBOX_OFF };

/* One line of the verdict tree, depth-first, for `mugai check` style output. */
struct mg_sandbox_node {
    unsigned depth;
    char *path;
    char *type_class;          /* mg_type_class_name */
    char *mime;
    bool mismatch;
    char *indicators;          /* names separated by spaces, "" for none */
    char *av_signature;        /* NULL when none */
    enum mg_verdict verdict;
    enum mg_reason reason;
    char *reason_text;         /* the reason's message in the job's language */
    char *reason_detail;       /* NULL when none */
    char *actions;             /* "keyword: detail\n" lines, "" for none */
};

struct mg_sandbox_result {
    char job_id[64];
    enum mg_verdict verdict;   /* of the root */
    enum mg_reason reason;
    char *reason_detail;       /* NULL when none */
    char *reason_text;         /* reason message in the job's language */
    /* The root's result bytes (mg_item_result): the original when CLEAN,
     * the rebuilt bytes when SANITIZED, NULL otherwise. */
    const uint8_t *output;
    size_t output_len;
    char *result_name;         /* mg_item_result_name(root) */
    char *out_name;            /* root->out_name: NULL when the name did not change */
    char *out_mime;            /* root->out_mime, NULL when none */
    char *report_json;         /* mg_report_json, one line */
    char *report_pretty;       /* mg_report_json, indented */
    char *audit_line;          /* mg_audit_render: job and item lines, unchained */
    char *notice;              /* mg_report_notice */
    struct mg_sandbox_node *nodes;
    size_t n_nodes;
    double elapsed;            /* seconds, as the worker measured the job */
    /* Why a worker failed this job (NULL when it did not): "signal 31 (SIGSYS)"... */
    char *worker_failure;
    /* private */
    void *out_map;             /* mmap of a passed memfd, or malloc'd bytes */
    size_t out_map_len;
    bool out_mapped;
};

struct mg_sandbox;

/* Reads [sandbox] from the engine's policy and starts the workers (the
 * engine, libmagic and libclamav are loaded already: the workers share them
 * copy-on-write). NULL with err set when workers cannot be confined as
 * configured (fail closed: no silent fallback to weaker confinement). */
struct mg_sandbox *mg_sandbox_new(struct mg_engine *e, GError **err);
void mg_sandbox_free(struct mg_sandbox *sb);
enum mg_sandbox_mode mg_sandbox_mode(const struct mg_sandbox *sb);
/* The engine the workers run (its policy, for a front end's own choices). */
const struct mg_engine *mg_sandbox_engine(const struct mg_sandbox *sb);
const char *mg_sandbox_mode_name(enum mg_sandbox_mode m);
/* One line for `mugai version` and the serve start-up log:
 * "seccomp (landlock abi 7, 2 workers, user mugai)". */
const char *mg_sandbox_describe(const struct mg_sandbox *sb);

/* Runs one job in a worker (same meaning as mg_job_run). The result is
 * always filled (TEMPFAIL when the worker failed); returns false only when
 * the result is a worker failure, for callers that log it. */
bool mg_sandbox_run(struct mg_sandbox *sb, const char *name, const uint8_t *data, size_t len,
                    enum mg_type_class forced, struct mg_sandbox_result *res);
/* A root refused before any parsing (mg_job_reject), rendered in-process. */
void mg_sandbox_reject(struct mg_sandbox *sb, const char *name, enum mg_reason r,
                       const char *detail, struct mg_sandbox_result *res);
void mg_sandbox_result_clear(struct mg_sandbox_result *res);
/* Anything in the tree changed (an action) or removed: quarantine the original. */
bool mg_sandbox_result_changed(const struct mg_sandbox_result *res);
/* Any item in the tree BLOCKED (the root may still be SANITIZED). */
bool mg_sandbox_result_any_blocked(const struct mg_sandbox_result *res);

/* Appends the result's audit line to the audit trail (mg_audit_job_extra's
 * twin; extra: the front end's own JSON members, e.g. "smtp":{...}, or NULL). */
bool mg_sandbox_audit(const struct mg_sandbox *sb, const struct mg_sandbox_result *res, const char *extra);
/* Stores the original as mg_quarantine_store does for a job. */
bool mg_sandbox_quarantine(const struct mg_sandbox *sb, const struct mg_sandbox_result *res,
                           const char *name, const uint8_t *data, size_t len, const char *meta_json);

/* A front end's own text in the policy's language (mg_job_gettext without
 * a job: SMTP notice subjects, ICAP block pages). */
const char *mg_sandbox_gettext(const struct mg_sandbox *sb, const char *msgid);

/* Transforms: parsing of untrusted bytes that is not a job (no verdict,
 * no report), run in a worker for the same reason as jobs (xform.c). */
enum mg_sandbox_xform {
    MG_XFORM_HTTP_DECODE = 1,     /* param: the Content-Encoding value (icap_decode.h) */
    MG_XFORM_ARCHIVE_DECRYPT = 2, /* param: the password (archive_unlock.h); output: a tar */
};

struct mg_sandbox_xresult {
    /* The transform's status: enum mg_icap_dec_rc for HTTP_DECODE, enum
     * mg_ar_status for ARCHIVE_DECRYPT (0 is success for both); -1 when
     * the worker failed (worker_failure says how). */
    int status;
    char *detail;              /* the transform's reason, NULL when none */
    const uint8_t *out;        /* the output when status is 0 */
    size_t out_len;
    char *worker_failure;
    bool poison;               /* the input killed poison-after workers in a row */
    /* private */
    void *out_map;
    size_t out_map_len;
    bool out_mapped;
};

/* Runs a transform in a worker (in-process with mode = off). The output
 * is at most max_out bytes (a worker sending more is a broken worker).
 * False when the worker failed (status -1: TEMPFAIL for the caller, or a
 * block when poison is set); a worker failure counts towards poison like
 * a job's. */
bool mg_sandbox_transform(struct mg_sandbox *sb, enum mg_sandbox_xform kind, const char *param,
                          const uint8_t *data, size_t len, uint64_t max_out, struct mg_sandbox_xresult *res);
void mg_sandbox_xresult_clear(struct mg_sandbox_xresult *res);

/* Worker deaths so far (crash, seccomp, timeout), for tests and metrics. */
uint64_t mg_sandbox_worker_deaths(const struct mg_sandbox *sb);

#endif
