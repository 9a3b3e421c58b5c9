/* The mail sanitizer: parses with gmime (tolerant), walks the MIME tree
 * (mail_walk.c), turns bodies into text (mail_body.c) and writes a new
 * message (mail_out.c). Limits that concern the whole message block it as
 * a whole: it is never relayed in pieces. */
#include <stdio.h>
#include <string.h>

#include "sanitizers/mail/mail_priv.h"

#define MAIL_VERSION "1"

const char *mg_mail_tr(const struct mg_mail_ctx *c, const char *msgid)
{
    return mg_job_gettext(c->job, msgid);
}

static gpointer init_gmime(gpointer unused)
{
    (void)unused;
    g_mime_init();
    return NULL;
}

/* The first item at or below it that libclamav found a virus in. Items are
 * never deeper than [limits] max-depth (the engine blocks deeper ones), so
 * the recursion is bounded; 64 is a guard on top. */
static const struct mg_item *virus_below(const struct mg_item *it, unsigned depth)
{
    if (it == NULL || it->reason == MG_R_VIRUS)
        return it;
    for (size_t i = 0; i < it->n_children && depth < 64; i++) {
        const struct mg_item *v = virus_below(it->children[i], depth + 1);
        if (v != NULL)
            return v;
    }
    return NULL;
}

/* A message that carries a virus anywhere (an attachment, a zip inside
 * one, a forwarded message) is blocked as a whole, not delivered without
 * the infected part: its text is the bait. libclamav, unpacking the whole
 * message, used to give that verdict; it no longer unpacks mails whose
 * parts mugai scans one by one (job.c), so the walker keeps it. */
static void block_if_virus(struct mg_mail_ctx *c)
{
    for (size_t i = 0; i < c->n_atts && !mg_mail_stopped(c); i++) {
        const struct mg_item *v = virus_below(c->atts[i].it, 0);
        if (v != NULL)
            mg_mail_whole_block(c, MG_R_VIRUS, "%s: %s", v->name,
                                v->reason_detail ? v->reason_detail : "virus");
    }
}

static bool mail_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_MAIL && (act == MG_DO_SANITIZE || act == MG_DO_TO_TEXT);
}

/* gmime's complaints: structural ones are noted once each; the ones that
 * mean an attack on MIME parsers block the message. */
static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer ud)
{
    struct mg_mail_ctx *c = ud;
    (void)offset;
    (void)item;
    const char *what = NULL;
    switch (code) {
    case GMIME_CRIT_NESTING_OVERFLOW:
        mg_mail_whole_block(c, MG_R_LIMIT_DEPTH, "MIME nesting overflow");
        return;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        mg_mail_whole_block(c, MG_R_MALFORMED, "MIME part without headers or content");
        return;
    case GMIME_WARN_MALFORMED_MULTIPART:
        what = "multipart without parts or final boundary";
        break;
    case GMIME_WARN_TRUNCATED_MESSAGE:
        what = "truncated message";
        break;
    case GMIME_WARN_MALFORMED_MESSAGE:
        what = "malformed message";
        break;
    case GMIME_WARN_PART_WITHOUT_CONTENT:
        what = "part without content";
        break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
        what = "multipart without boundary";
        break;
    case GMIME_CRIT_CONFLICTING_HEADER:
        what = "conflicting header";
        break;
    case GMIME_CRIT_CONFLICTING_PARAMETER:
        what = "conflicting header parameter";
        break;
    case GMIME_CRIT_INVALID_HEADER_NAME:
        what = "invalid header name";
        break;
    default:
        return;   /* 8-bit or broken encoded words: decoded by us anyway */
    }
    unsigned bit = 1u << ((unsigned)code & 31u);
    if (c->warn_seen & bit)
        return;
    c->warn_seen |= bit;
    mg_item_action(c->in, MG_A_MIME_REPAIRED, what);
}

static size_t longest_line(const uint8_t *p, size_t n)
{
    size_t best = 0, start = 0;
    for (;;) {
        const uint8_t *nl = memchr(p + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - p) : n;
        if (end - start > best)
            best = end - start;
        if (nl == NULL)
            return best;
        start = end + 1;
    }
}

static enum mg_verdict mail_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, init_gmime, NULL);

    struct mg_mail_ctx c;
    memset(&c, 0, sizeof(c));
    c.job = job;
    c.in = in;
    c.pol = mg_job_policy(job);
    mg_buf_init(&c.body);
    GError *err = NULL;
    if (!mg_mail_conf_load(c.pol, &c.conf, &err)) {
        enum mg_verdict v = mg_item_tempfail(in, MG_R_INTERNAL, err ? err->message : "config");
        g_clear_error(&err);
        return v;
    }
    size_t ll = longest_line(in->data, in->len);
    if (ll > c.conf.max_line_len) {
        char d[96];
        snprintf(d, sizeof(d), "line of %zu bytes > %llu", ll,
                 (unsigned long long)c.conf.max_line_len);
        mg_mail_conf_free(&c.conf);
        return mg_item_block(in, MG_R_LIMIT_SIZE, d);
    }

    GMimeParserOptions *po = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(po, on_warning, &c);
    if (in->len > G_MAXUINT) {
        mg_mail_conf_free(&c.conf);
        g_mime_parser_options_free(po);
        return mg_item_block(in, MG_R_LIMIT_SIZE, "message over 4 GB");
    }
    /* gmime reads the job's bytes in place: the array borrows in->data and
     * gives it back (g_byte_array_free(.., FALSE)) instead of a 1:1 copy. */
    GByteArray *borrowed = g_byte_array_new_take((guint8 *)in->data, in->len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(borrowed);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, po);
    g_object_unref(parser);

    enum mg_verdict v = MG_SANITIZED;
    if (msg == NULL) {
        v = mg_item_block(in, MG_R_MALFORMED, "not a MIME message");
        goto done;
    }
    if (!mg_mail_stopped(&c))
        mg_mail_walk(&c, msg);
    block_if_virus(&c);
    /* Written straight into out: on BLOCKED or TEMPFAIL the engine ignores
     * what is there (contract.h). */
    if (!mg_mail_stopped(&c) && !mg_mail_build(&c, msg, out))
        mg_mail_whole_tempfail(&c, MG_R_RESOURCES, "write");
    if (c.whole_tempfail)
        v = mg_item_tempfail(in, c.whole_reason, c.whole_detail);
    else if (c.whole_blocked)
        v = mg_item_block(in, c.whole_reason, c.whole_detail);
done:
    /* The parts of msg hold substreams of stream: both go before the
     * borrowed bytes are handed back. */
    if (msg != NULL)
        g_object_unref(msg);
    g_object_unref(stream);
    g_byte_array_free(borrowed, FALSE);
    g_mime_parser_options_free(po);
    g_free(c.atts);
    mg_buf_free(&c.body);
    mg_mail_conf_free(&c.conf);
    return v;
}

const struct mg_sanitizer mg_sanitizer_mail = {
    .name = "mail",
    .version = MAIL_VERSION,
    .accepts = mail_accepts,
    .run = mail_run,
};
