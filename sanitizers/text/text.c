/* The `text` sanitizer: plain text of any charset becomes UTF-8 without
 * control characters, with links rewritten per [text] urls. Text that does
 * not decode cleanly is blocked as malformed: a replacement character in a
 * delivered text would be a silent change of meaning (../shared/JAPANESE.md). */
#include <stdio.h>

#include "engine/contract.h"
#include "sanitizers/text/text.h"

static bool text_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_TEXT && (act == MG_DO_SANITIZE || act == MG_DO_TO_TEXT);
}

static enum mg_verdict text_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    const struct mg_policy *pol = mg_job_policy(job);
    struct mg_text_opts o = {
        .urls = pol->text_urls,
        .url_removed = mg_job_gettext(job, N_("[link removed]")),
        .max_out = pol->limits.max_item_size > SIZE_MAX ? SIZE_MAX
                                                        : (size_t)pol->limits.max_item_size,
    };
    struct mg_buf res;
    struct mg_text_stats st;
    mg_buf_init(&res);
    if (!mg_text_clean(NULL, in->data, in->len, &o, &res, &st)) {
        mg_buf_free(&res);
        if (st.over_limit)
            return mg_item_block(in, MG_R_LIMIT_SIZE, "text after conversion to UTF-8");
        return mg_item_tempfail(in, MG_R_RESOURCES, "memory");
    }
    if (st.dec.errors > 0) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "%zu undecodable byte sequence(s) as %s, first at byte offset %zu",
                 st.dec.errors, st.charset, st.dec.first_error);
        mg_buf_free(&res);
        return mg_item_block(in, MG_R_MALFORMED, detail);
    }
    if (!st.changed) {
        mg_buf_free(&res);
        return MG_CLEAN;
    }
    if (st.dec.charset != MG_CS_ASCII && st.dec.charset != MG_CS_UTF8)
        mg_item_action(in, MG_A_CONVERTED_TO_UTF8, st.charset);
    if (st.controls > 0)
        mg_item_actionf(in, MG_A_CONTROL_STRIPPED, "%zu", st.controls);
    if (st.urls > 0)
        mg_item_actionf(in, o.urls == MG_URLS_REMOVE ? MG_A_URL_REMOVED : MG_A_URL_DEFANGED,
                        "%zu", st.urls);
    if (!mg_job_charge(job, res.len)) {
        mg_buf_free(&res);
        return mg_item_block(in, MG_R_LIMIT_SIZE, "total size of the job");
    }
    bool wrote = mg_sink_write(out, res.data, res.len);
    mg_buf_free(&res);
    if (!wrote)
        return mg_item_tempfail(in, MG_R_RESOURCES, "write");
    mg_item_set_out_mime(in, "text/plain; charset=utf-8");
    return MG_SANITIZED;
}

const struct mg_sanitizer mg_sanitizer_text = {
    .name = "text",
    .version = "1",
    .accepts = text_accepts,
    .run = text_run,
};
