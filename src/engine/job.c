/* Jobs and the dispatcher: every item, top-level or embedded, goes through
 * dispatch(): limits, type, indicator scan, antivirus, policy, sanitizer,
 * verification of the output. Limits live here and nowhere else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/sink.h"
#include "engine/engine_private.h"
#include "engine/metrics.h"
#include "sanitizers/registry.h"

void mg_item_free(struct mg_item *it);

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Job ids: UTC time (sortable) plus 48 random bits; safe in file names,
 * header values and log fields. */
static void new_id(char *out, size_t len)
{
    uint8_t rnd[6] = { 0 };
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        uint64_t x = (uint64_t)now_mono() * 1000003u ^ (uint64_t)getpid();
        memcpy(rnd, &x, sizeof(rnd));
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[32];
    strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, len, "%s-%02x%02x%02x%02x%02x%02x", ts, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
}

static bool id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return id[0] != '.';
}

struct mg_job *mg_job_new(struct mg_engine *e, const char *id)
{
    struct mg_job *job = calloc(1, sizeof(*job));
    if (job == NULL)
        return NULL;
    job->engine = e;
    if (id != NULL && id_ok(id))
        snprintf(job->id, sizeof(job->id), "%s", id);
    else
        new_id(job->id, sizeof(job->id));
    clock_gettime(CLOCK_MONOTONIC, &job->started);
    job->wall_started = time(NULL);
    return job;
}

void mg_job_free(struct mg_job *job)
{
    if (job == NULL)
        return;
    mg_item_free(job->root);
    for (size_t i = 0; i < job->n_spools; i++)
        mg_spool_free(job->spools[i]);
    free(job->spools);
    while (job->keeps) {
        struct mg_keep *k = job->keeps;
        job->keeps = k->next;
        free(k);
    }
    free(job);
}

const struct mg_policy *mg_job_policy(const struct mg_job *job) { return job->engine->policy; }
const char *mg_job_id(const struct mg_job *job) { return job->id; }
struct mg_item *mg_job_root(const struct mg_job *job) { return job->root; }
const struct mg_engine *mg_job_engine(const struct mg_job *job) { return job->engine; }

enum mg_verdict mg_job_verdict(const struct mg_job *job)
{
    return job->root ? job->root->verdict : MG_TEMPFAIL;
}

double mg_job_scan_seconds(const struct mg_job *job)
{
    return job->scan_seconds;
}

static void timed_scan(struct mg_job *job, const uint8_t *p, size_t len, struct mg_ind_hits *hits)
{
    double t0 = now_mono();
    mg_indicators_scan(job->engine->indicators, p, len, hits);
    job->scan_seconds += now_mono() - t0;
}

double mg_job_elapsed(const struct mg_job *job)
{
    return now_mono() - ((double)job->started.tv_sec + (double)job->started.tv_nsec / 1e9);
}

bool mg_job_time_ok(const struct mg_job *job)
{
    double max = job->engine->policy->limits.max_seconds;
    return max <= 0 || mg_job_elapsed(job) <= max;
}

bool mg_job_charge(struct mg_job *job, uint64_t n)
{
    uint64_t max = job->engine->policy->limits.max_total_size;
    if (n > UINT64_MAX - job->charged)
        return false;
    job->charged += n;
    return max == 0 || job->charged <= max;
}

struct mg_spool *mg_job_spool(struct mg_job *job)
{
    const struct mg_policy *p = job->engine->policy;
    if (job->n_spools == job->cap_spools) {
        size_t cap = job->cap_spools ? job->cap_spools * 2 : 8;
        struct mg_spool **a = realloc(job->spools, cap * sizeof(*a));
        if (a == NULL)
            return NULL;
        job->spools = a;
        job->cap_spools = cap;
    }
    struct mg_spool *sp = mg_spool_new(p->spool_threshold, p->limits.max_item_size, p->tmpdir);
    if (sp != NULL)
        job->spools[job->n_spools++] = sp;
    return sp;
}

const uint8_t *mg_job_keep(struct mg_job *job, const void *data, size_t len)
{
    if (len > SIZE_MAX - sizeof(struct mg_keep))
        return NULL;
    struct mg_keep *k = malloc(sizeof(*k) + len + 1);
    if (k == NULL)
        return NULL;
    if (len)
        memcpy(k->data, data, len);
    k->data[len] = 0;
    k->len = len;
    k->next = job->keeps;
    job->keeps = k;
    return k->data;
}

/* OpenSSL's SHA-256 uses the CPU's SHA extensions; every item is hashed
 * twice (in and out), so this is on the hot path. */
static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        /* Never leave a hash that looks valid when it is not. */
        snprintf(out, 65, "error");
        return;
    }
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

static char *make_path(const struct mg_item *parent, const char *name, size_t index)
{
    const char *n = (name && *name) ? name : NULL;
    char idx[32];
    snprintf(idx, sizeof(idx), "#%zu", index + 1);
    if (parent == NULL)
        return strdup(n ? n : "(input)");
    size_t len = strlen(parent->path) + 1 + (n ? strlen(n) : strlen(idx)) + 1;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", parent->path, n ? n : idx);
    return p;
}

static struct mg_item *item_new(struct mg_item *parent, const char *name,
                                const uint8_t *data, size_t len)
{
    struct mg_item *it = calloc(1, sizeof(*it));
    if (it == NULL)
        return NULL;
    it->parent = parent;
    it->depth = parent ? parent->depth + 1 : 0;
    it->name = strdup(name ? name : "");
    it->path = make_path(parent, name, parent ? parent->n_children : 0);
    it->data = data;
    it->len = len;
    if (it->name == NULL || it->path == NULL) {
        mg_item_free(it);
        return NULL;
    }
    return it;
}

static bool attach(struct mg_item *parent, struct mg_item *child)
{
    if (parent->n_children == parent->cap_children) {
        size_t cap = parent->cap_children ? parent->cap_children * 2 : 4;
        struct mg_item **a = realloc(parent->children, cap * sizeof(*a));
        if (a == NULL)
            return false;
        parent->children = a;
        parent->cap_children = cap;
    }
    parent->children[parent->n_children++] = child;
    return true;
}

/* The first must-not-survive indicator that counts for an output of this
 * class (indicators.txt lists, per indicator, the classes it is forbidden
 * in: a converted text body may quote "javascript:", a PDF may not carry
 * /JavaScript). NULL when the output passes. */
static const char *verify_failure(const struct mg_engine *e, enum mg_type_class cls,
                                  const struct mg_ind_hits *hits)
{
    const char *cname = mg_type_class_name(cls);
    if (!mg_ind_hits_blocks(e->indicators, hits, cname))
        return NULL;
    uint32_t n = hits->count < 64 ? hits->count : 64;
    for (uint32_t i = 0; i < n; i++) {
        const struct mg_indicator *ind = mg_indicators_get(e->indicators, hits->ids[i]);
        if (ind && ind->severity == MG_IND_MUST_NOT_SURVIVE && mg_indicator_in_class(ind, cname))
            return ind->name;
    }
    return "(more than 64 indicators)";
}

static enum mg_reason block_reason_for(enum mg_type_class cls)
{
    switch (cls) {
    case MG_TC_EXECUTABLE:
    case MG_TC_SCRIPT: return MG_R_EXECUTABLE;
    case MG_TC_UNKNOWN: return MG_R_UNKNOWN_TYPE;
    case MG_TC_EMPTY: return MG_R_EMPTY;
    case MG_TC_ENCRYPTED: return MG_R_ENCRYPTED;
    default: return MG_R_POLICY_BLOCK;
    }
}

static void run_sanitizer(struct mg_job *job, struct mg_item *it, enum mg_class_action act)
{
    const struct mg_sanitizer *s = mg_registry_find(&it->type, act);
    if (s == NULL) {
        mg_item_block(it, it->type.cls == MG_TC_UNKNOWN ? MG_R_UNKNOWN_TYPE : MG_R_NO_SANITIZER,
                      mg_type_class_name(it->type.cls));
        return;
    }
    it->sanitizer = s->name;
    it->sanitizer_version = s->version;
    struct mg_spool *out = mg_job_spool(job);
    if (out == NULL) {
        mg_item_tempfail(it, MG_R_RESOURCES, "out of memory");
        return;
    }
    struct mg_sink sink;
    mg_sink_init_spool(&sink, out);
    it->verdict = MG_CLEAN;
    enum mg_verdict v = s->run(job, it, &sink);
    if (v == MG_BLOCKED || v == MG_TEMPFAIL) {
        if (it->verdict != v) /* the sanitizer forgot mg_item_block: fail closed anyway */
            it->verdict = v, it->reason = v == MG_BLOCKED ? MG_R_MALFORMED : MG_R_INTERNAL;
        return;
    }
    if (v == MG_SANITIZED) {
        if (sink.failed || mg_spool_failed(out)) {
            int e = mg_spool_error(out);
            if (e == EFBIG)
                mg_item_block(it, MG_R_LIMIT_SIZE, "output");
            else
                mg_item_tempfail(it, MG_R_RESOURCES, e ? strerror(e) : "write failed");
            return;
        }
        it->out = out;
        it->verdict = MG_SANITIZED;
        if (it->reason == MG_R_NONE)
            it->reason = MG_R_SANITIZED;
    } else {
        it->verdict = MG_CLEAN;
    }
}

static void verify(struct mg_job *job, struct mg_item *it)
{
    size_t len;
    const uint8_t *p = mg_item_result(it, &len);
    if (p == NULL)
        return;
    const struct mg_ind_hits *hits = &it->ind_before;
    if (it->verdict == MG_SANITIZED) {
        timed_scan(job, p, len, &it->ind_after);
        hits = &it->ind_after;
        sha256_hex(p, len, it->sha256_out);
    } else {
        memcpy(it->sha256_out, it->sha256_in, sizeof(it->sha256_out));
    }
    /* The output's class is the input's unless the sanitizer changed the
     * type (html -> text): then it declares a text MIME type. */
    enum mg_type_class out_cls = it->type.cls;
    if (it->out_mime && strncmp(it->out_mime, "text/plain", 10) == 0)
        out_cls = MG_TC_TEXT;
    const char *bad = verify_failure(job->engine, out_cls, hits);
    if (bad != NULL) {
        mg_log(MG_LOG_WARN, job->id, it->path, "verification failed: indicator %s survived sanitizer %s",
               bad, it->sanitizer ? it->sanitizer : "(none)");
        mg_item_block(it, MG_R_VERIFY_FAILED, bad);
    }
}

/* Runs the antivirus over data, which belongs to item it: true on a hit,
 * with the signature logged, kept on the item and in sig. */
static bool av_found(struct mg_job *job, struct mg_item *it, const uint8_t *data, size_t len,
                     bool parts_scanned, char *sig, size_t siglen)
{
    switch (mg_av_scan(job->engine->av, data, len, parts_scanned, sig, siglen)) {
    case MG_AV_VIRUS:
        free(it->av_signature);
        it->av_signature = strdup(sig);
        mg_log(MG_LOG_NOTICE, job->id, it->path, "virus found: %s", sig);
        return true;
    case MG_AV_ERROR:
        /* libclamav gives up on some malformed files; sanitizing is the
         * first line, so this is reported, not fatal. */
        mg_log(MG_LOG_INFO, job->id, it->path, "antivirus could not scan: %s", sig);
        if (it->av_signature == NULL)
            it->av_signature = g_strdup_printf("error: %s", sig);
        return false;
    default:
        return false;
    }
}

bool mg_job_av_found(struct mg_job *job, struct mg_item *it, const uint8_t *data, size_t len,
                     char *sig, size_t siglen)
{
    return av_found(job, it, data, len, false, sig, siglen);
}

/* Containers whose sanitizer makes every member or part an item of its own,
 * each scanned by libclamav in turn: libclamav need not unpack them too. */
static bool parts_scanned_here(const struct mg_policy *pol, enum mg_type_class cls)
{
    enum mg_class_action act = pol->by_class[cls];
    if (cls == MG_TC_ARCHIVE)
        return act == MG_DO_SANITIZE;
    if (cls == MG_TC_MAIL)
        return act == MG_DO_SANITIZE || act == MG_DO_TO_TEXT;
    return false;
}

static void dispatch(struct mg_job *job, struct mg_item *it, enum mg_type_class forced,
                     const struct mg_ind_hits *before)
{
    const struct mg_policy *pol = job->engine->policy;
    const struct mg_limits *lim = &pol->limits;
    char detail[128];

    sha256_hex(it->data, it->len, it->sha256_in);
    if (++job->n_items > lim->max_items) {
        snprintf(detail, sizeof(detail), "more than %llu items", (unsigned long long)lim->max_items);
        mg_item_block(it, MG_R_LIMIT_COUNT, detail);
        return;
    }
    if (it->depth > lim->max_depth) {
        snprintf(detail, sizeof(detail), "deeper than %llu", (unsigned long long)lim->max_depth);
        mg_item_block(it, MG_R_LIMIT_DEPTH, detail);
        return;
    }
    if (lim->max_item_size && it->len > lim->max_item_size) {
        snprintf(detail, sizeof(detail), "%zu bytes > %llu", it->len, (unsigned long long)lim->max_item_size);
        mg_item_block(it, MG_R_LIMIT_SIZE, detail);
        return;
    }
    if (!mg_job_time_ok(job)) {
        mg_item_block(it, MG_R_LIMIT_TIME, NULL);
        return;
    }
    struct mg_typer *typer = mg_engine_typer();
    if (typer == NULL) {
        mg_item_tempfail(it, MG_R_RESOURCES, "libmagic");
        return;
    }
    if (forced != MG_TC_UNKNOWN && it->len > 0)
        mg_type_forced(it->name, forced, &it->type);
    else
        mg_type_detect(typer, it->data, it->len, it->name, job->engine->describe, &it->type);
    if (before != NULL)
        it->ind_before = *before;   /* scanned by the caller while decoding */
    else
        timed_scan(job, it->data, it->len, &it->ind_before);

    char sig[256];
    if (av_found(job, it, it->data, it->len, parts_scanned_here(pol, it->type.cls), sig, sizeof(sig))) {
        mg_item_block(it, MG_R_VIRUS, sig);
        return;
    }

    if (it->type.mismatch && pol->mismatch_block) {
        snprintf(detail, sizeof(detail), "named .%s but is %s", it->type.ext, it->type.mime);
        mg_item_block(it, it->type.cls == MG_TC_EXECUTABLE || it->type.cls == MG_TC_SCRIPT
                              ? MG_R_EXECUTABLE : MG_R_TYPE_MISMATCH, detail);
        return;
    }
    enum mg_class_action act = pol->by_class[it->type.cls];
    switch (act) {
    case MG_DO_BLOCK:
        mg_item_block(it, block_reason_for(it->type.cls), it->type.mime);
        return;
    case MG_DO_PASS:
        it->verdict = MG_CLEAN;
        break;
    case MG_DO_SANITIZE:
    case MG_DO_TO_TEXT:
        run_sanitizer(job, it, act);
        break;
    }
    if (it->verdict == MG_CLEAN || it->verdict == MG_SANITIZED)
        verify(job, it);
}

static void log_item(const struct mg_job *job, const struct mg_item *it)
{
    enum mg_log_level lvl = it->verdict == MG_BLOCKED ? MG_LOG_NOTICE
                            : it->verdict == MG_TEMPFAIL ? MG_LOG_WARN : MG_LOG_INFO;
    mg_log(lvl, job->id, it->path, "type=%s verdict=%s reason=%s%s%s", mg_type_class_name(it->type.cls),
           mg_verdict_name(it->verdict), mg_reason_keyword(it->reason),
           it->reason_detail ? " detail=" : "", it->reason_detail ? it->reason_detail : "");
}

static struct mg_item *child(struct mg_job *job, struct mg_item *parent, const char *name,
                             const uint8_t *data, size_t len, enum mg_type_class forced,
                             const struct mg_ind_hits *before)
{
    struct mg_item *it = item_new(parent, name, data, len);
    if (it == NULL)
        return NULL;
    if (parent != NULL && !attach(parent, it)) {
        mg_item_free(it);
        return NULL;
    }
    if (!mg_job_charge(job, len)) {
        mg_item_block(it, MG_R_LIMIT_SIZE, "job total");
    } else {
        dispatch(job, it, forced, before);
    }
    log_item(job, it);
    return it;
}

struct mg_item *mg_job_child_typed(struct mg_job *job, struct mg_item *parent,
                                   const char *name, const uint8_t *data, size_t len,
                                   enum mg_type_class forced)
{
    return child(job, parent, name, data, len, forced, NULL);
}

struct mg_item *mg_job_child_scanned(struct mg_job *job, struct mg_item *parent,
                                     const char *name, const uint8_t *data, size_t len,
                                     enum mg_type_class forced,
                                     const struct mg_ind_hits *before, double scan_seconds)
{
    if (before == NULL)
        return child(job, parent, name, data, len, forced, NULL);
    job->scan_seconds += scan_seconds;
    return child(job, parent, name, data, len, forced, before);
}

struct mg_item *mg_job_child(struct mg_job *job, struct mg_item *parent,
                             const char *name, const uint8_t *data, size_t len)
{
    return mg_job_child_typed(job, parent, name, data, len, MG_TC_UNKNOWN);
}

/* A root that could not even be allocated still needs a verdict: a static
 * TEMPFAIL node keeps the caller's contract (never NULL). */
struct mg_item *mg_job_run(struct mg_job *job, const char *name, const uint8_t *data,
                           size_t len, enum mg_type_class forced)
{
    static struct mg_item oom = { .verdict = MG_TEMPFAIL, .reason = MG_R_RESOURCES,
                                  .name = (char *)"", .path = (char *)"(input)" };
    if (job->root != NULL)
        return job->root;
    mg_metrics_inflight(1);
    job->root = mg_job_child_typed(job, NULL, name, data, len, forced);
    mg_metrics_inflight(-1);
    const struct mg_item *r = job->root;
    uint64_t out = 0;
    if (r && r->verdict == MG_SANITIZED && r->out)
        out = mg_spool_size(r->out);
    else if (r && r->verdict == MG_CLEAN)
        out = r->len;
    mg_metrics_job(r ? r->type.cls : MG_TC_UNKNOWN, r ? r->verdict : MG_TEMPFAIL, len, out);
    mg_metrics_observe(MG_STAGE_SANITIZE, mg_job_elapsed(job));
    return job->root ? job->root : &oom;
}

struct mg_item *mg_job_reject(struct mg_job *job, const char *name, enum mg_reason r,
                              const char *detail)
{
    static struct mg_item oom = { .verdict = MG_TEMPFAIL, .reason = MG_R_RESOURCES,
                                  .name = (char *)"", .path = (char *)"(input)" };
    if (job->root != NULL)
        return job->root;
    job->root = item_new(NULL, name, (const uint8_t *)"", 0);
    if (job->root == NULL)
        return &oom;
    bool temp = r == MG_R_RESOURCES || r == MG_R_INTERNAL;
    if (temp)
        mg_item_tempfail(job->root, r, detail);
    else
        mg_item_block(job->root, r, detail);
    log_item(job, job->root);
    return job->root;
}
