/* The sanitizer contract: what a sanitizer sees of the engine. A sanitizer
 * includes this header (and core/, scan/) and nothing else from the engine;
 * the engine includes the registry. Recursion into embedded items goes only
 * through mg_job_child(), so depth, count, size and time limits live in one
 * place (like libarchive's formats calling back into archive_read). */
#ifndef MG_ENGINE_CONTRACT_H
#define MG_ENGINE_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/sink.h"
#include "core/spool.h"
#include "engine/policy.h"
#include "scan/indicators.h"
#include "scan/type.h"

#ifndef N_
#define N_(s) s
#endif

/* Ordered by severity: a container's verdict is at least its worst child's
 * (BLOCKED children make the container SANITIZED, see mg_verdict_merge). */
enum mg_verdict { MG_CLEAN = 0, MG_SANITIZED, MG_BLOCKED, MG_TEMPFAIL };

enum mg_reason {
#define MG_REASON(id, kw, smtp, icap, msg) MG_R_##id,
#include "engine/reasons.def"
#undef MG_REASON
    MG_R__COUNT
};

enum mg_action {
#define MG_ACTION(id, kw, msg) MG_A_##id,
#include "engine/actions.def"
#undef MG_ACTION
    MG_A__COUNT
};

struct mg_action_rec {
    enum mg_action action;
    char *detail;              /* UTF-8, may be "" */
};

struct mg_job;

struct mg_item {
    struct mg_item *parent;
    char *name;                /* file name as given, UTF-8, may be "" */
    char *path;                /* "mail/2/invoice.zip/a.docm", for logs and reports */
    unsigned depth;            /* 0 for the job's root */
    struct mg_type type;
    const uint8_t *data;       /* decoded input, valid while the job lives */
    size_t len;
    char sha256_in[65];

    /* Results. */
    enum mg_verdict verdict;
    enum mg_reason reason;
    char *reason_detail;       /* e.g. the signature name or the limit hit */
    const char *sanitizer;     /* name and version of the sanitizer that ran */
    const char *sanitizer_version;
    struct mg_spool *out;      /* rebuilt bytes when SANITIZED */
    char *out_name;            /* new name when the type changed, else NULL */
    char *out_mime;            /* MIME type of the output when a sanitizer set it */
    char sha256_out[65];
    struct mg_ind_hits ind_before;
    struct mg_ind_hits ind_after;
    char *av_signature;

    struct mg_action_rec *actions;
    size_t n_actions, cap_actions;
    struct mg_item **children;
    size_t n_children, cap_children;
};

struct mg_sanitizer {
    const char *name;          /* "pdf", "ooxml" ... */
    const char *version;       /* goes into the report */
    /* Does this sanitizer handle the type for the policy action (sanitize or to-text)? */
    bool (*accepts)(const struct mg_type *t, enum mg_class_action act);
    /* Rebuilds in->data into out. Returns CLEAN when the input is already
     * safe as it is (out is then ignored), SANITIZED with out filled,
     * BLOCKED with mg_item_block() called, or TEMPFAIL. */
    enum mg_verdict (*run)(struct mg_job *job, struct mg_item *in, struct mg_sink *out);
    /* Optional: checks the sanitizer's own configuration section at engine
     * start, so that a bad value is a start-up error, not a tempfail on
     * every job. */
    bool (*check_config)(const struct mg_policy *pol, char *err, size_t errlen);
};

/* Runs one embedded item through the whole engine (type, scans, policy,
 * sanitizer, verify). The child is owned by parent; data must stay valid
 * while the job lives (copy it into mg_job_keep() if it is transient). */
struct mg_item *mg_job_child(struct mg_job *job, struct mg_item *parent,
                             const char *name, const uint8_t *data, size_t len);
/* Same, with a type class forced (a MIME part labelled message/rfc822 ...). */
struct mg_item *mg_job_child_typed(struct mg_job *job, struct mg_item *parent,
                                   const char *name, const uint8_t *data, size_t len,
                                   enum mg_type_class forced);
/* Same, for a caller that already ran the indicator scan over exactly
 * data[0..len) while producing it (the mail walker scans each transfer-decoded
 * block as it decodes it): the engine takes `before` as the input's hits
 * instead of scanning the bytes again, and adds scan_seconds to the job's
 * scanner time. Everything else (type, limits, sanitizer, verify scan of the
 * output) is as for mg_job_child_typed. */
struct mg_item *mg_job_child_scanned(struct mg_job *job, struct mg_item *parent,
                                     const char *name, const uint8_t *data, size_t len,
                                     enum mg_type_class forced,
                                     const struct mg_ind_hits *before, double scan_seconds);
/* Runs the antivirus over bytes that the sanitizer of item `it` passes on
 * inside its own output without making them an item (a mail's text and HTML
 * bodies: libclamav does not parse a mail whose parts mugai scans itself).
 * True on a hit: the signature is in sig, logged and kept on `it`; the
 * caller blocks. False when clean, when the antivirus is off, and when it
 * could not scan (logged, as for items). */
bool mg_job_av_found(struct mg_job *job, struct mg_item *it, const uint8_t *data, size_t len,
                     char *sig, size_t siglen);
/* The bytes to use in the rebuilt container: the output if SANITIZED, the
 * input if CLEAN, NULL if BLOCKED or TEMPFAIL. */
const uint8_t *mg_item_result(struct mg_item *it, size_t *len);
/* The name to give the result (out_name or name). */
const char *mg_item_result_name(const struct mg_item *it);

void mg_item_action(struct mg_item *it, enum mg_action a, const char *detail);
void mg_item_actionf(struct mg_item *it, enum mg_action a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets BLOCKED with a reason and an optional detail; returns MG_BLOCKED. */
enum mg_verdict mg_item_block(struct mg_item *it, enum mg_reason r, const char *detail);
enum mg_verdict mg_item_tempfail(struct mg_item *it, enum mg_reason r, const char *detail);
void mg_item_set_out_name(struct mg_item *it, const char *name);
void mg_item_set_out_mime(struct mg_item *it, const char *mime);

const struct mg_policy *mg_job_policy(const struct mg_job *job);
const char *mg_job_id(const struct mg_job *job);
/* False once the job's time limit has passed: sanitizers call it in loops
 * and return mg_item_block(in, MG_R_LIMIT_TIME, NULL). */
bool mg_job_time_ok(const struct mg_job *job);
/* Charges n decoded bytes to the job's total; false when over the limit
 * (call mg_item_block(in, MG_R_LIMIT_SIZE, ...) then). */
bool mg_job_charge(struct mg_job *job, uint64_t n);
/* The usual end of a rebuilding sanitizer: charges len bytes to the job and
 * writes them to out. MG_SANITIZED, or BLOCKED (over the job's size limit) /
 * TEMPFAIL (write failed) with the reason set on in. */
enum mg_verdict mg_item_emit(struct mg_job *job, struct mg_item *in, struct mg_sink *out,
                             const void *data, size_t len);
/* A spool with the job's threshold, tmpdir and item size cap, freed with the job. */
struct mg_spool *mg_job_spool(struct mg_job *job);
/* Copies len bytes into memory owned by the job (freed with it). */
const uint8_t *mg_job_keep(struct mg_job *job, const void *data, size_t len);

/* Notice texts in the job's language (gettext), appended to out as UTF-8:
 * for one removed item ("添付ファイル「x.exe」は実行形式のため削除しました" and why),
 * and for everything done to an item and its descendants (one line each). */
void mg_notice_removed(const struct mg_job *job, const struct mg_item *it, struct mg_buf *out);
void mg_notice_actions(const struct mg_job *job, const struct mg_item *it, struct mg_buf *out);
/* Translated text for the job's language. */
const char *mg_job_gettext(const struct mg_job *job, const char *msgid);

const char *mg_verdict_name(enum mg_verdict v);
const char *mg_reason_keyword(enum mg_reason r);
const char *mg_action_keyword(enum mg_action a);
enum mg_verdict mg_verdict_merge(enum mg_verdict container, enum mg_verdict child);

#endif
