/* The pdf sanitizer: engine glue around mg_pdf_disarm (pdf_disarm.c). Reads
 * the [pdf] keys of the policy, turns removals into item actions, extracted
 * files into child items, and statuses into verdicts. */
#include <stdio.h>

#include "core/config.h"
#include "engine/contract.h"
#include "sanitizers/pdf/pdf_disarm.h"

struct pdf_ctx {
    struct mg_job *job;
    struct mg_item *in;
};

static void pdf_action(void *ctx, enum mg_action a, const char *detail)
{
    struct pdf_ctx *c = ctx;
    mg_item_action(c->in, a, detail);
}

static bool pdf_time_ok(void *ctx)
{
    struct pdf_ctx *c = ctx;
    return mg_job_time_ok(c->job);
}

static bool pdf_embedded(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    struct pdf_ctx *c = ctx;
    /* The bytes live in qpdf's or our buffer only during the call. */
    const uint8_t *kept = mg_job_keep(c->job, data, len);
    return kept != NULL && mg_job_child(c->job, c->in, name, kept, len) != NULL;
}

static bool pdf_read_opts(const struct mg_policy *p, struct mg_pdf_opts *o, char *err, size_t errlen)
{
    static const char *const uri_modes[] = { "keep", "defang", "remove", NULL };
    static const char *const file_modes[] = { "remove", "extract", NULL };
    static const char *const modes[] = { "rebuild", NULL };
    GError *e = NULL;
    int uri = 0, files = 0, mode = 0;
    uint64_t max_objects = 0;
    bool ok = mg_config_get_choice(p->kf, "pdf", "uri", uri_modes, &uri, &e) &&
              mg_config_get_choice(p->kf, "pdf", "embedded-files", file_modes, &files, &e) &&
              mg_config_get_choice(p->kf, "pdf", "mode", modes, &mode, &e) &&
              mg_config_get_uint(p->kf, "pdf", "max-objects", 100000000, &max_objects, &e);
    if (!ok) {
        snprintf(err, errlen, "%s", e != NULL ? e->message : "[pdf] configuration");
        g_clear_error(&e);
        return false;
    }
    o->uri = uri == 0 ? MG_URLS_KEEP : uri == 1 ? MG_URLS_DEFANG : MG_URLS_REMOVE;
    o->extract_files = files == 1;
    o->max_objects = max_objects;
    o->max_extract = p->limits.max_item_size;
    return true;
}

static bool pdf_check_config(const struct mg_policy *p, char *err, size_t errlen)
{
    struct mg_pdf_opts o;
    return pdf_read_opts(p, &o, err, errlen);
}

static bool pdf_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_PDF && act == MG_DO_SANITIZE;
}

static enum mg_verdict pdf_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    struct mg_pdf_opts opts = { 0 };
    char err[256];
    if (!pdf_read_opts(mg_job_policy(job), &opts, err, sizeof(err)))
        return mg_item_tempfail(in, MG_R_INTERNAL, err);
    struct pdf_ctx ctx = { .job = job, .in = in };
    struct mg_pdf_hooks hooks = {
        .ctx = &ctx, .action = pdf_action, .time_ok = pdf_time_ok, .embedded = pdf_embedded,
    };
    struct mg_pdf_result res;
    switch (mg_pdf_disarm(in->data, in->len, &opts, &hooks, out, &res)) {
    case MG_PDF_OK:
        /* Always rebuilt, so never CLEAN: even a harmless file loses its
         * unreferenced objects and old revisions. */
        return MG_SANITIZED;
    case MG_PDF_ENCRYPTED:
        return mg_item_block(in, MG_R_ENCRYPTED, res.detail);
    case MG_PDF_MALFORMED:
        return mg_item_block(in, MG_R_MALFORMED, res.detail);
    case MG_PDF_TIME:
        return mg_item_block(in, MG_R_LIMIT_TIME, res.detail);
    case MG_PDF_TOO_MANY:
        return mg_item_block(in, MG_R_LIMIT_COUNT, res.detail);
    case MG_PDF_VERIFY:
        return mg_item_block(in, MG_R_VERIFY_FAILED, res.detail);
    case MG_PDF_NOMEM:
        break;
    }
    return mg_item_tempfail(in, MG_R_RESOURCES, res.detail);
}

const struct mg_sanitizer mg_sanitizer_pdf = {
    .name = "pdf",
    .version = "1",
    .accepts = pdf_accepts,
    .run = pdf_run,
    .check_config = pdf_check_config,
};
