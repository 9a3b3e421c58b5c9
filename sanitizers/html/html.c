/* The `html` sanitizer: an HTML file becomes plain UTF-8 text (NAME.txt).
 * HTML cannot be made safe as HTML here (no allow-list of markup that a
 * reader's browser will not turn active again), so both policy actions,
 * sanitize and to-text, give text. Links go through the shared URL policy
 * ([text] urls) after the conversion, like links typed in a text. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/contract.h"
#include "sanitizers/html/html_actions.h"
#include "sanitizers/html/html_text.h"
#include "scan/urls.h"

static bool html_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_HTML && (act == MG_DO_SANITIZE || act == MG_DO_TO_TEXT);
}

static bool job_time_ok(void *ctx)
{
    return mg_job_time_ok(ctx);
}

/* "page.html" -> "page.txt"; any other name gets ".txt" appended. */
static void text_name(const char *name, struct mg_buf *out)
{
    static const char *const exts[] = {".html", ".htm", ".xhtml", ".xht", ".shtml"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcasecmp(name + n - e, exts[i]) == 0) {
            n -= e;
            break;
        }
    }
    mg_buf_append(out, name, n);
    mg_buf_puts(out, ".txt");
}

static void record_actions(struct mg_item *in, const struct mg_html_stats *st, size_t urls,
                           enum mg_urls_mode mode)
{
    mg_html_record_actions(in, st);
    if (strcasecmp(st->charset, "US-ASCII") != 0 && strcasecmp(st->charset, "UTF-8") != 0 &&
        st->charset[0] != '\0')
        mg_item_action(in, MG_A_CONVERTED_TO_UTF8, st->charset);
    if (urls > 0)
        mg_item_actionf(in, mode == MG_URLS_REMOVE ? MG_A_URL_REMOVED : MG_A_URL_DEFANGED, "%zu",
                        urls);
}

static enum mg_verdict fail(struct mg_item *in, const struct mg_html_stats *st)
{
    char detail[160];
    switch (st->error) {
    case MG_HTML_ERR_DECODE:
        snprintf(detail, sizeof(detail), "no charset decodes it cleanly (%s: bad byte at offset %zu)",
                 st->charset, st->decode_offset);
        return mg_item_block(in, MG_R_MALFORMED, detail);
    case MG_HTML_ERR_PARSE:
        return mg_item_block(in, MG_R_MALFORMED, "the HTML parser gave up");
    case MG_HTML_ERR_LIMIT:
        return mg_item_block(in, MG_R_LIMIT_SIZE, "HTML text after conversion");
    case MG_HTML_ERR_TIME:
        return mg_item_block(in, MG_R_LIMIT_TIME, NULL);
    case MG_HTML_ERR_DEPTH:
        return mg_item_block(in, MG_R_LIMIT_DEPTH, "HTML elements nested too deeply");
    case MG_HTML_ERR_ATTRS:
        return mg_item_block(in, MG_R_LIMIT_COUNT, "too many attributes in one HTML tag");
    case MG_HTML_ERR_RESOURCES:
    case MG_HTML_OK:
        break;
    }
    return mg_item_tempfail(in, MG_R_RESOURCES, "memory");
}

static enum mg_verdict html_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    const struct mg_policy *pol = mg_job_policy(job);
    uint64_t cap = pol->limits.max_item_size;
    struct mg_html_opts o = {
        .max_output = cap > SIZE_MAX ? SIZE_MAX : (size_t)cap,
        /* Decoding can grow the bytes (2 -> 3 for Japanese). */
        .max_input = cap > SIZE_MAX / 4 ? SIZE_MAX / 4 : (size_t)cap * 4,
        .time_ok = job_time_ok,
        .time_ctx = job,
    };
    struct mg_buf text, res;
    struct mg_html_stats st;
    mg_buf_init(&text);
    mg_buf_init(&res);
    if (!mg_html_to_text(in->data, in->len, NULL, &o, &text, &st)) {
        mg_buf_free(&text);
        return fail(in, &st);
    }

    enum mg_urls_mode mode = pol->text_urls;
    size_t urls = 0;
    struct mg_buf *final = &text;
    if (mode != MG_URLS_KEEP) {
        mg_buf_set_limit(&res, o.max_output);
        if (!mg_urls_rewrite(text.data, text.len, mode,
                             mg_job_gettext(job, N_("[link removed]")), &res, &urls)) {
            mg_buf_free(&text);
            mg_buf_free(&res);
            return mg_item_block(in, MG_R_LIMIT_SIZE, "HTML text after link rewriting");
        }
        final = &res;
    }
    record_actions(in, &st, urls, mode);

    enum mg_verdict v = MG_SANITIZED;
    if (!mg_job_charge(job, final->len)) {
        v = mg_item_block(in, MG_R_LIMIT_SIZE, "total size of the job");
    } else if (final->len > 0 && !mg_sink_write(out, final->data, final->len)) {
        v = mg_item_tempfail(in, MG_R_RESOURCES, "write");
    } else {
        struct mg_buf name;
        mg_buf_init(&name);
        text_name(in->name != NULL ? in->name : "", &name);
        if (in->name != NULL && in->name[0] != '\0' && !mg_buf_failed(&name))
            mg_item_set_out_name(in, mg_buf_cstr(&name));
        mg_buf_free(&name);
        mg_item_set_out_mime(in, "text/plain; charset=utf-8");
    }
    mg_buf_free(&text);
    mg_buf_free(&res);
    return v;
}

const struct mg_sanitizer mg_sanitizer_html = {
    .name = "html",
    .version = "1",
    .accepts = html_accepts,
    .run = html_run,
};
