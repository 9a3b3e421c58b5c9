#include "sanitizers/html/html_actions.h"

#include "core/buf.h"

/* Appends ", what ×n" to a detail list when n > 0. */
static void part(struct mg_buf *b, const char *what, size_t n)
{
    if (n == 0)
        return;
    if (b->len > 0)
        mg_buf_puts(b, ", ");
    mg_buf_printf(b, "%s \xC3\x97%zu", what, n);
}

static void record(struct mg_item *in, enum mg_action a, struct mg_buf *b)
{
    if (b->len > 0 && !mg_buf_failed(b))
        mg_item_action(in, a, mg_buf_cstr(b));
    mg_buf_reset(b);
}

void mg_html_record_actions(struct mg_item *in, const struct mg_html_stats *st)
{
    struct mg_buf b;
    mg_buf_init(&b);
    mg_item_action(in, MG_A_HTML_TO_TEXT, "");

    part(&b, "<script>", st->scripts);
    part(&b, "on*=", st->handlers);
    part(&b, "javascript:", st->script_urls);
    record(in, MG_A_SCRIPT_REMOVED, &b);
    part(&b, "<meta http-equiv=refresh>", st->refreshes);
    record(in, MG_A_ACTION_REMOVED, &b);
    part(&b, "<iframe>/<frame>", st->frames);
    part(&b, "<object>/<embed>/<applet>/<svg>", st->objects);
    record(in, MG_A_OLE_REMOVED, &b);
    part(&b, "<form>", st->forms);
    record(in, MG_A_FORM_REMOVED, &b);
    /* Details are markup and schemes, the same in every language. */
    part(&b, "http(s):", st->images_remote);
    part(&b, "cid:", st->images_cid);
    part(&b, "<img>", st->images_other);
    record(in, MG_A_IMAGE_REMOVED, &b);
    part(&b, "<a href>", st->links_dropped);
    record(in, MG_A_EXTERNAL_REMOVED, &b);
    if (st->controls > 0)
        mg_item_actionf(in, MG_A_CONTROL_STRIPPED, "%zu", st->controls);
    mg_buf_free(&b);
}
