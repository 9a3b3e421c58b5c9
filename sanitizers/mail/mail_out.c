/* The rebuilt message: a new header block (trace line, kept headers
 * re-encoded, X-Mugai-*), one text/plain body with the notice, and the
 * attachments the engine returned, base64 with RFC 2231 names. Everything
 * written is 7-bit with CRLF line ends, so any relay can carry it and a
 * nested result can be attached as message/rfc822 unchanged. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mg_config.h"
#include "sanitizers/mail/mail_hdr.h"
#include "sanitizers/mail/mail_priv.h"
#include "scan/charset.h"

static const char *const single_headers[] = {"from", "date", "subject", "message-id",
                                             "in-reply-to", "references", "reply-to",
                                             "sender", NULL};
static const char *const address_headers[] = {"from", "to", "cc", "reply-to", "sender",
                                              "bcc", NULL};

static bool in_list(const char *const *l, const char *name)
{
    for (size_t i = 0; l[i] != NULL; i++) {
        if (g_ascii_strcasecmp(l[i], name) == 0)
            return true;
    }
    return false;
}

static bool ascii_printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] > 0x7e)
            return false;
    }
    return true;
}

/* Longest run without a space: a line cannot be folded shorter than it,
 * and RFC 5322 lines end at 998 characters. */
static size_t longest_word(const uint8_t *p, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        cur = (p[i] == ' ' || p[i] == '\t') ? 0 : cur + 1;
        if (cur > best)
            best = cur;
    }
    return best;
}

static void trim(struct mg_buf *b)
{
    /* An empty header value has no buffer: NULL + 0 is undefined (found by
     * fuzz_mail, regression seed fuzz/corpus/mail/crash-empty-subject.eml). */
    if (b->data == NULL || b->len == 0)
        return;
    size_t s = 0;
    while (s < b->len && (b->data[s] == ' ' || b->data[s] == '\t'))
        s++;
    size_t e = b->len;
    while (e > s && (b->data[e - 1] == ' ' || b->data[e - 1] == '\t'))
        e--;
    memmove(b->data, b->data + s, e - s);
    b->len = e - s;
}

/* One kept header; canonical name taken from the configuration. */
static void put_header(struct mg_mail_ctx *c, const char *cname, const char *raw,
                       struct mg_buf *h)
{
    struct mg_buf v;
    mg_buf_init(&v);
    mg_mail_unfold(raw, strlen(raw), &v);
    (void)mg_buf_cstr(&v);   /* a buffer even for an empty value: decoders do raw + pos */
    trim(&v);
    if (g_ascii_strcasecmp(cname, "subject") == 0) {
        struct mg_buf d;
        mg_buf_init(&d);
        size_t errors = 0, um = 0;
        mg_mail_hdr_decode((const char *)v.data, v.len, &d, &errors);
        mg_mail_clean_text(&d, false);
        if (errors > 0)
            mg_item_actionf(c->in, MG_A_DECODE_ERRORS, "Subject: %zu", errors);
        mg_mail_hdr_encode("Subject", d.data, d.len, c->conf.out_iso2022jp, h, &um);
        if (um > 0)
            mg_item_actionf(c->in, MG_A_DECODE_ERRORS, "Subject (ISO-2022-JP): %zu", um);
        mg_buf_free(&d);
    } else if (ascii_printable(v.data, v.len) && longest_word(v.data, v.len) <= 900) {
        mg_mail_hdr_fold(cname, (const char *)v.data, v.len, h);
    } else if (in_list(address_headers, cname)) {
        /* Raw 8-bit (or raw ISO-2022-JP) in an address header: decode it
         * ourselves, let gmime parse the UTF-8 list and write it with
         * UTF-8 encoded words (no iconv involved from UTF-8 to UTF-8). */
        struct mg_buf d;
        mg_buf_init(&d);
        size_t errors = 0;
        mg_mail_hdr_decode((const char *)v.data, v.len, &d, &errors);
        mg_mail_clean_text(&d, false);
        InternetAddressList *l = internet_address_list_parse(NULL, mg_buf_cstr(&d));
        char *s = l ? internet_address_list_to_string(l, NULL, TRUE) : NULL;
        if (s != NULL && ascii_printable((const uint8_t *)s, strlen(s)) && s[0] != '\0' &&
            longest_word((const uint8_t *)s, strlen(s)) <= 900) {
            mg_mail_hdr_fold(cname, s, strlen(s), h);
        } else {
            mg_item_action(c->in, MG_A_HEADER_REMOVED, cname);
        }
        g_free(s);
        if (l != NULL)
            g_object_unref(l);
        mg_buf_free(&d);
    } else {
        mg_item_action(c->in, MG_A_HEADER_REMOVED, cname);
    }
    mg_buf_free(&v);
}

static void kept_headers(struct mg_mail_ctx *c, GMimeMessage *msg, struct mg_buf *h)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    for (size_t k = 0; c->conf.keep_headers[k] != NULL; k++) {
        const char *want = c->conf.keep_headers[k];
        if (want[0] == '\0' || g_ascii_strncasecmp(want, "content-", 8) == 0 ||
            g_ascii_strcasecmp(want, "mime-version") == 0)
            continue;   /* those describe the old structure, never copied */
        bool single = in_list(single_headers, want);
        for (int i = 0; i < n; i++) {
            GMimeHeader *hd = g_mime_header_list_get_header_at(hl, i);
            const char *hn = hd ? g_mime_header_get_name(hd) : NULL;
            const char *raw = hd ? g_mime_header_get_raw_value(hd) : NULL;
            if (hn == NULL || raw == NULL || g_ascii_strcasecmp(hn, want) != 0)
                continue;
            put_header(c, want, raw, h);
            if (single)
                break;
        }
    }
}

/* MIME base64, 76 columns (57 bytes a line), CRLF. Lines are encoded into
 * a 4 KiB block so the sink sees few large writes; whole groups of three
 * bytes go through a 4096-entry table of character pairs. */
static void b64_body(const uint8_t *p, size_t n, struct mg_sink *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static uint16_t pair[4096];
    static bool init;
    if (!init) {   /* idempotent: a race writes the same values */
        for (unsigned v = 0; v < 4096; v++)
            pair[v] = (uint16_t)((uint8_t)tab[v >> 6] | (uint16_t)(uint8_t)tab[v & 63] << 8);
        init = true;
    }
    char blk[78 * 52];
    size_t o = 0;
    for (size_t i = 0; i < n; i += 57) {
        size_t m = n - i < 57 ? n - i : 57;
        const uint8_t *q = p + i;
        size_t k = 0;
        for (; k + 3 <= m; k += 3) {
            uint32_t v = (uint32_t)q[k] << 16 | (uint32_t)q[k + 1] << 8 | q[k + 2];
            memcpy(blk + o, &pair[v >> 12], 2);
            memcpy(blk + o + 2, &pair[v & 4095], 2);
            o += 4;
        }
        if (k < m) {
            uint32_t v = (uint32_t)q[k] << 16 | (k + 1 < m ? (uint32_t)q[k + 1] << 8 : 0);
            blk[o++] = tab[(v >> 18) & 63];
            blk[o++] = tab[(v >> 12) & 63];
            blk[o++] = k + 1 < m ? tab[(v >> 6) & 63] : '=';
            blk[o++] = '=';
        }
        blk[o++] = '\r';
        blk[o++] = '\n';
        if (o + 78 > sizeof blk) {
            mg_sink_write(out, blk, o);
            o = 0;
        }
    }
    if (o > 0)
        mg_sink_write(out, blk, o);
}

/* LF to CRLF by runs (a bare CR stays as it is, as before). */
static void lf_to_crlf(const struct mg_buf *in, struct mg_buf *out)
{
    if (in->len == 0)
        return;
    if (!mg_buf_reserve(out, in->len + in->len / 16 + 64))
        return;
    const uint8_t *p = in->data, *end = in->data + in->len;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t run = nl ? (size_t)(nl - p) : (size_t)(end - p);
        mg_buf_append(out, p, run);
        if (nl == NULL)
            break;
        mg_buf_append(out, "\r\n", 2);
        p = nl + 1;
    }
}

static bool seven_bit(const uint8_t *p, size_t n)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x80 || p[i] == 0)
            return false;
        col = p[i] == '\n' ? 0 : col + 1;
        if (col > 998)
            return false;
    }
    return true;
}

/* Body part headers and content, text in the configured charset. */
static void write_text_part(struct mg_mail_ctx *c, const struct mg_buf *text, const char *fname,
                            struct mg_sink *out)
{
    struct mg_buf crlf, enc, h;
    mg_buf_init(&crlf);
    mg_buf_init(&enc);
    mg_buf_init(&h);
    lf_to_crlf(text, &crlf);
    const struct mg_buf *body = &crlf;
    const char *cs = "UTF-8";
    if (c->conf.out_iso2022jp) {
        size_t um = 0;
        mg_charset_utf8_to_iso2022jp(crlf.data, crlf.len, &enc, &um);
        if (um > 0)
            mg_item_actionf(c->in, MG_A_DECODE_ERRORS, "ISO-2022-JP: %zu", um);
        body = &enc;
        cs = "ISO-2022-JP";
    }
    bool b64 = !seven_bit(body->data, body->len);
    mg_buf_printf(&h, "Content-Type: text/plain; charset=%s\r\n", cs);
    mg_buf_printf(&h, "Content-Transfer-Encoding: %s\r\n", b64 ? "base64" : "7bit");
    if (fname != NULL) {
        mg_buf_puts(&h, "Content-Disposition: attachment");
        mg_mail_param_encode("filename", (const uint8_t *)fname, strlen(fname), &h);
        mg_buf_puts(&h, "\r\n");
    }
    mg_buf_puts(&h, "\r\n");
    mg_sink_write(out, h.data, h.len);
    if (b64) {
        b64_body(body->data, body->len, out);
    } else {
        mg_sink_write(out, body->data, body->len);
        if (body->len > 0 && body->data[body->len - 1] != '\n')
            mg_sink_puts(out, "\r\n");
    }
    if (mg_buf_failed(&crlf) || mg_buf_failed(&enc) || mg_buf_failed(&h))
        out->failed = true;
    mg_buf_free(&crlf);
    mg_buf_free(&enc);
    mg_buf_free(&h);
}

/* A MIME type we can write: "type/subtype" of token characters, with
 * optional "; name=value" parameters of the same characters. */
static bool mime_ok(const char *m)
{
    if (m == NULL || m[0] == '\0' || strlen(m) > 90)
        return false;
    const char *slash = strchr(m, '/');
    const char *semi = strchr(m, ';');
    if (slash == NULL || slash == m || slash[1] == '\0' || (semi != NULL && semi < slash))
        return false;
    for (const char *p = m; *p; p++) {
        if (!(g_ascii_isalnum(*p) || strchr("/!#$&^_.+-", *p) ||
              (semi != NULL && p >= semi && strchr("; =", *p))))
            return false;
    }
    return true;
}

/* MIME type of a rebuilt file that came without one, by its (new) name's
 * extension; the common outputs of the sanitizers only. */
static const char *mime_of_name(const char *name)
{
    static const struct {
        const char *ext, *mime;
    } tab[] = {
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        {"pdf", "application/pdf"},
        {"zip", "application/zip"},
        {"txt", "text/plain; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
    };
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (g_ascii_strcasecmp(dot + 1, tab[i].ext) == 0)
            return tab[i].mime;
    }
    return NULL;
}

static void write_attachment(struct mg_mail_ctx *c, const struct mg_mail_att *a, size_t idx,
                             struct mg_sink *out)
{
    struct mg_item *it = a->it;
    const char *nm = mg_item_result_name(it);
    char synth[64];
    if (nm == NULL || nm[0] == '\0') {
        snprintf(synth, sizeof(synth), a->is_message ? "message-%zu.eml" : "attachment-%zu",
                 idx + 1);
        nm = synth;
    }
    struct mg_buf h;
    mg_buf_init(&h);
    if (it->verdict != MG_CLEAN && it->verdict != MG_SANITIZED) {
        /* Removed: a small note in its place, if configured. */
        struct mg_buf t;
        mg_buf_init(&t);
        mg_notice_removed(c->job, it, &t);
        if (t.len == 0 || t.data[t.len - 1] != '\n')
            mg_buf_putc(&t, '\n');
        char *pn = g_strdup_printf("%s.%s.txt", nm, mg_mail_tr(c, N_("removed")));
        write_text_part(c, &t, pn, out);
        g_free(pn);
        mg_buf_free(&t);
        mg_buf_free(&h);
        return;
    }
    size_t len = 0;
    const uint8_t *data = mg_item_result(it, &len);
    if (data == NULL)
        len = 0;
    if (a->is_message && seven_bit(data, len)) {
        mg_buf_puts(&h, "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n"
                        "Content-Disposition: attachment");
        mg_mail_param_encode("filename", (const uint8_t *)nm, strlen(nm), &h);
        mg_buf_puts(&h, "\r\n\r\n");
        mg_sink_write(out, h.data, h.len);
        mg_sink_write(out, data, len);
        if (len > 0 && data[len - 1] != '\n')
            mg_sink_puts(out, "\r\n");
        mg_buf_free(&h);
        return;
    }
    const char *mime = it->out_mime;
    if (!mime_ok(mime))
        mime = it->verdict == MG_CLEAN ? it->type.mime : mime_of_name(nm);
    if (!mime_ok(mime))
        mime = "application/octet-stream";
    /* name= as RFC 2047 words for old clients, filename*= (RFC 2231) as
     * the standard says. */
    mg_buf_printf(&h, "Content-Type: %s;\r\n name=\"", mime);
    mg_mail_words_encode(7, false, (const uint8_t *)nm, strlen(nm), c->conf.out_iso2022jp, &h,
                         NULL);
    mg_buf_puts(&h, "\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment");
    mg_mail_param_encode("filename", (const uint8_t *)nm, strlen(nm), &h);
    mg_buf_puts(&h, "\r\n\r\n");
    if (mg_buf_failed(&h))
        out->failed = true;
    mg_sink_write(out, h.data, h.len);
    b64_body(data, len, out);
    mg_buf_free(&h);
}

static bool tree_changed(const struct mg_item *it, unsigned depth)
{
    if (depth > 64)
        return true;
    if (it->n_actions > 0 || it->verdict == MG_BLOCKED)
        return true;
    for (size_t i = 0; i < it->n_children; i++) {
        if (tree_changed(it->children[i], depth + 1))
            return true;
    }
    return false;
}

static const char *result_word(const struct mg_mail_ctx *c)
{
    for (size_t i = 0; i < c->n_atts; i++) {
        if (c->atts[i].it->verdict == MG_BLOCKED)
            return "blocked-parts";
    }
    for (size_t i = 0; i < c->n_atts; i++) {
        if (c->atts[i].it->verdict == MG_SANITIZED && !c->atts[i].is_message)
            return "sanitized";
        if (tree_changed(c->atts[i].it, 0))
            return "sanitized";
    }
    return c->in->n_actions > 0 ? "sanitized" : "clean";
}

static void notice(struct mg_mail_ctx *c, struct mg_buf *n)
{
    mg_buf_puts(n, mg_mail_tr(c, N_("[mugai] This message was made safe before delivery. "
                                     "Changes:")));
    mg_buf_putc(n, '\n');
    size_t before = n->len;
    /* Every action of the message and its parts, removed parts included. */
    mg_notice_actions(c->job, c->in, n);
    if (n->len > 0 && n->data[n->len - 1] != '\n')
        mg_buf_putc(n, '\n');
    if (n->len == before) {
        mg_buf_puts(n, mg_mail_tr(c, N_("(no details)")));
        mg_buf_putc(n, '\n');
    }
    mg_buf_printf(n, "%s %s\n", mg_mail_tr(c, N_("Report ID (for your administrator):")),
                  mg_job_id(c->job));
}

bool mg_mail_build(struct mg_mail_ctx *c, GMimeMessage *msg, struct mg_sink *out)
{
    struct mg_buf h, text;
    mg_buf_init(&h);
    mg_buf_init(&text);

    /* Trace line first, as a relay would add it (RFC 5321 section 4.4). */
    char host[256] = "localhost";
    if (c->conf.received_by[0] != '\0')
        g_strlcpy(host, c->conf.received_by, sizeof(host));
    else if (gethostname(host, sizeof(host) - 1) != 0)
        g_strlcpy(host, "localhost", sizeof(host));
    host[sizeof(host) - 1] = '\0';
    for (char *p = host; *p; p++) {
        if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '-'))
            *p = '-';
    }
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    mg_buf_printf(&h, "Received: by %s (mugai %s)\r\n id %s; %s\r\n", host, MG_VERSION,
                  mg_job_id(c->job), date);
    kept_headers(c, msg, &h);

    const char *result = result_word(c);
    bool show = strcmp(result, "clean") != 0 && c->conf.notice_pos != MG_MAIL_NOTICE_NONE;
    struct mg_buf n;
    mg_buf_init(&n);
    if (show)
        notice(c, &n);
    const char *sep = "----------------------------------------------------------------\n";
    if (show && c->conf.notice_pos == MG_MAIL_NOTICE_TOP) {
        mg_buf_append(&text, n.data, n.len);
        mg_buf_puts(&text, sep);
        mg_buf_putc(&text, '\n');
    }
    mg_buf_append(&text, c->body.data, c->body.len);
    if (show && c->conf.notice_pos == MG_MAIL_NOTICE_BOTTOM) {
        mg_buf_putc(&text, '\n');
        mg_buf_puts(&text, sep);
        mg_buf_append(&text, n.data, n.len);
    }
    mg_buf_free(&n);

    mg_buf_puts(&h, "MIME-Version: 1.0\r\n");
    mg_buf_printf(&h, "X-Mugai-Result: %s\r\n", result);
    mg_buf_printf(&h, "X-Mugai-Report: %s\r\n", mg_job_id(c->job));
    char boundary[80];
    snprintf(boundary, sizeof(boundary), "=_mugai_%08x%08x%08x", g_random_int(),
             g_random_int(), g_random_int());
    size_t n_out = 0;
    for (size_t i = 0; i < c->n_atts; i++) {
        if (c->conf.placeholder || c->atts[i].it->verdict == MG_CLEAN ||
            c->atts[i].it->verdict == MG_SANITIZED)
            n_out++;
    }
    if (n_out > 0)
        mg_buf_printf(&h, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
                          "This is a multi-part message in MIME format.\r\n\r\n--%s\r\n",
                      boundary, boundary);
    bool ok = !mg_buf_failed(&h) && !mg_buf_failed(&text) && !mg_buf_failed(&c->body);
    if (ok) {
        mg_sink_write(out, h.data, h.len);
        write_text_part(c, &text, NULL, out);
        for (size_t i = 0; i < c->n_atts; i++) {
            enum mg_verdict v = c->atts[i].it->verdict;
            if (!c->conf.placeholder && v != MG_CLEAN && v != MG_SANITIZED)
                continue;
            mg_sink_puts(out, "\r\n--");
            mg_sink_puts(out, boundary);
            mg_sink_puts(out, "\r\n");
            write_attachment(c, &c->atts[i], i, out);
        }
        if (n_out > 0) {
            mg_sink_puts(out, "\r\n--");
            mg_sink_puts(out, boundary);
            mg_sink_puts(out, "--\r\n");
        }
    }
    mg_buf_free(&h);
    mg_buf_free(&text);
    return ok && !out->failed;
}
