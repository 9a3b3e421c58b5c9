/* The `rtf` sanitizer: engine glue over mg_rtf_clean (rtf.h). */
#include <stdio.h>
#include <string.h>

#include "engine/contract.h"
#include "sanitizers/rtf/rtf.h"

static bool rtf_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_RTF && act == MG_DO_SANITIZE;
}

static void report(struct mg_item *in, const struct mg_rtf_stats *st)
{
    if (st->objects > 0)
        mg_item_actionf(in, MG_A_OLE_REMOVED, "%zu RTF object group(s) (\\object, \\objdata ...)",
                        st->objects);
    if (st->datastores > 0)
        mg_item_actionf(in, MG_A_OLE_REMOVED, "%zu RTF data store group(s) (\\datastore, \\oleclsid)",
                        st->datastores);
    if (st->templates > 0)
        mg_item_actionf(in, MG_A_TEMPLATE_REMOVED, "%zu \\template group(s)", st->templates);
    if (st->fields_dde > 0)
        mg_item_actionf(in, MG_A_DDE_REMOVED, "%zu DDE field instruction(s); their results were kept",
                        st->fields_dde);
    if (st->fields_external > 0)
        mg_item_actionf(in, MG_A_EXTERNAL_REMOVED,
                        "%zu INCLUDE/IMPORT/LINK field instruction(s); their results were kept",
                        st->fields_external);
    if (st->fields_other > 0)
        mg_item_actionf(in, MG_A_ACTION_REMOVED,
                        "%zu field instruction(s) not on the allow-list (first %s); their results were kept",
                        st->fields_other, st->first_field);
    if (st->trailing > 0)
        mg_item_actionf(in, MG_A_ITEM_REMOVED, "%zu bytes after the end of the RTF document",
                        st->trailing);
}

static enum mg_verdict rtf_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    const struct mg_policy *pol = mg_job_policy(job);
    struct mg_buf b;
    struct mg_rtf_stats st;
    char err[160];
    mg_buf_init(&b);
    if (pol->limits.max_item_size < SIZE_MAX)
        mg_buf_set_limit(&b, (size_t)pol->limits.max_item_size);
    enum mg_rtf_status rs = mg_rtf_clean(in->data, in->len, &b, &st, err, sizeof err);
    if (rs != MG_RTF_OK) {
        mg_buf_free(&b);
        if (rs == MG_RTF_MALFORMED)
            return mg_item_block(in, MG_R_MALFORMED, err);
        return mg_item_tempfail(in, MG_R_RESOURCES, "memory");
    }
    if (b.len == in->len && memcmp(b.data, in->data, b.len) == 0) {
        mg_buf_free(&b);
        return MG_CLEAN;
    }
    report(in, &st);
    enum mg_verdict v = mg_item_emit(job, in, out, b.data, b.len);
    mg_buf_free(&b);
    return v;
}

const struct mg_sanitizer mg_sanitizer_rtf = {
    .name = "rtf",
    .version = "1",
    .accepts = rtf_accepts,
    .run = rtf_run,
};
