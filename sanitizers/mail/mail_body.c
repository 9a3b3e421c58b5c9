/* Body parts to text: charset decoding with scan/charset.h (never gmime's
 * iconv path), HTML through the html sanitizer's converter, uuencoded
 * blocks inside text lifted out as attachments (mail clients would show
 * them as files), controls stripped, then the shared URL policy. */
#include <stdio.h>
#include <string.h>

#include "sanitizers/html/html_actions.h"
#include "sanitizers/html/html_text.h"
#include "sanitizers/mail/mail_hdr.h"
#include "sanitizers/mail/mail_priv.h"
#include "scan/charset.h"
#include "scan/urls.h"

#define UU_MAX_NAME 255

static int uu_val(int ch)
{
    return (ch - ' ') & 63;
}

/* Decodes one uuencoded line into out; false when it is not one. Trailing
 * spaces (encoded zeros) that a transport stripped count as present. */
static bool uu_line(const uint8_t *p, size_t n, struct mg_buf *out)
{
    if (n == 0 || p[0] < ' ' || p[0] > '`')
        return false;
    size_t want = (size_t)uu_val(p[0]);
    size_t need = (want + 2) / 3 * 4;
    if (n - 1 > need + 2 || (want > 0 && n - 1 + 3 < need))
        return false;   /* a little junk after the data is tolerated */
    size_t got = 0;
    for (size_t i = 1; got < want; i += 4) {
        int v[4];
        for (size_t k = 0; k < 4; k++) {
            uint8_t ch = i + k < n ? p[i + k] : ' ';
            if (ch < ' ' || ch > '`')
                return false;
            v[k] = uu_val(ch);
        }
        uint8_t o[3] = {(uint8_t)(v[0] << 2 | v[1] >> 4), (uint8_t)(v[1] << 4 | v[2] >> 2),
                        (uint8_t)(v[2] << 6 | v[3])};
        size_t take = want - got < 3 ? want - got : 3;
        mg_buf_append(out, o, take);
        got += take;
    }
    return true;
}

/* "begin 644 name": returns true and the name span. */
static bool uu_begin(const uint8_t *p, size_t n, size_t *ns, size_t *ne)
{
    if (n < 10 || memcmp(p, "begin ", 6) != 0)
        return false;
    size_t i = 6, d = 0;
    while (i < n && p[i] >= '0' && p[i] <= '7') {
        i++;
        d++;
    }
    if (d < 3 || d > 4 || i >= n || p[i] != ' ')
        return false;
    *ns = i + 1;
    *ne = n;
    while (*ne > *ns && (p[*ne - 1] == ' ' || p[*ne - 1] == '\r'))
        (*ne)--;
    return *ne > *ns && *ne - *ns <= UU_MAX_NAME;
}

/* Moves uuencoded blocks out of text t (LF line ends) into attachments. */
static void lift_uuencode(struct mg_mail_ctx *c, struct mg_buf *t)
{
    struct mg_buf keep, data;
    mg_buf_init(&keep);
    mg_buf_init(&data);
    size_t i = 0;
    while (i < t->len && !mg_mail_stopped(c)) {
        const uint8_t *l = t->data + i;
        const uint8_t *nl = memchr(l, '\n', t->len - i);
        size_t ll = nl ? (size_t)(nl - l) : t->len - i;
        size_t ns, ne;
        if (!uu_begin(l, ll, &ns, &ne)) {
            mg_buf_append(&keep, l, ll + (nl ? 1 : 0));
            i += ll + (nl ? 1 : 0);
            continue;
        }
        /* Prose may say "begin 644 x" too: only a line followed by a valid
         * uuencoded line starts a block. */
        size_t next = i + ll + (nl ? 1 : 0);
        const uint8_t *m0 = t->data + next;
        const uint8_t *m0nl = next < t->len ? memchr(m0, '\n', t->len - next) : NULL;
        size_t m0l = next < t->len ? (m0nl ? (size_t)(m0nl - m0) : t->len - next) : 0;
        while (m0l > 0 && m0[m0l - 1] == '\r')
            m0l--;
        mg_buf_reset(&data);
        if (m0l == 0 || !uu_line(m0, m0l, &data)) {
            mg_buf_append(&keep, l, ll + (nl ? 1 : 0));
            i = next;
            continue;
        }
        char *name = g_strndup((const char *)l + ns, ne - ns);
        mg_buf_reset(&data);
        i = next;
        bool ok = true, ended = false;
        /* The block runs to "end"; a line that is neither ends it as damaged
         * and the text goes on from that line. */
        while (i < t->len) {
            const uint8_t *m = t->data + i;
            const uint8_t *mnl = memchr(m, '\n', t->len - i);
            size_t ml = mnl ? (size_t)(mnl - m) : t->len - i;
            size_t adv = ml + (mnl ? 1 : 0);
            while (ml > 0 && m[ml - 1] == '\r')
                ml--;
            if (ml == 3 && memcmp(m, "end", 3) == 0) {
                ended = true;
                i += adv;
                break;
            }
            if (!uu_line(m, ml, &data)) {
                ok = false;
                break;
            }
            i += adv;
        }
        struct mg_buf b;
        mg_buf_init(&b);
        mg_buf_puts(&b, name);
        mg_mail_clean_text(&b, false);
        char *uname = g_strdup(mg_buf_failed(&b) ? "uuencode.bin" : mg_buf_cstr(&b));
        mg_buf_free(&b);
        mg_mail_add_bytes(c, uname, data.data, data.len,
                          ok && ended ? MG_R_NONE : MG_R_MALFORMED,
                          mg_mail_tr(c, N_("damaged uuencoded block in the text")));
        g_free(uname);
        g_free(name);
    }
    if (mg_buf_failed(&keep) || mg_buf_failed(&data))
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
    mg_buf_free(&data);
    mg_buf_free(t);
    *t = keep;
}

static void crlf_to_lf(struct mg_buf *t)
{
    size_t w = 0;
    for (size_t r = 0; r < t->len; r++) {
        uint8_t ch = t->data[r];
        if (ch == '\r') {
            if (r + 1 < t->len && t->data[r + 1] == '\n')
                continue;
            ch = '\n';
        }
        t->data[w++] = ch;
    }
    t->len = w;
}

/* Common tail: controls, URL policy, append to the body. */
static void finish_text(struct mg_mail_ctx *c, struct mg_buf *t)
{
    crlf_to_lf(t);
    lift_uuencode(c, t);
    size_t ctl = mg_mail_clean_text(t, true);
    if (ctl > 0)
        mg_item_actionf(c->in, MG_A_CONTROL_STRIPPED, "%zu", ctl);
    enum mg_urls_mode mode = c->pol->text_urls;
    struct mg_buf u;
    mg_buf_init(&u);
    size_t nurl = 0;
    if (!mg_urls_rewrite(t->data, t->len, mode, mg_mail_tr(c, N_("[link removed]")), &u, &nurl)) {
        mg_buf_free(&u);
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
        return;
    }
    if (nurl > 0 && mode != MG_URLS_KEEP)
        mg_item_actionf(c->in, mode == MG_URLS_DEFANG ? MG_A_URL_DEFANGED : MG_A_URL_REMOVED,
                        "%zu", nurl);
    if (c->n_bodies > 0 && c->body.len > 0 && u.len > 0)
        mg_buf_puts(&c->body, "\n\n");
    mg_buf_append(&c->body, u.data, u.len);
    if (u.len > 0 && u.data[u.len - 1] != '\n')
        mg_buf_putc(&c->body, '\n');
    c->n_bodies++;
    if (mg_buf_failed(&c->body) || mg_buf_failed(&u))
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
    mg_buf_free(&u);
}

void mg_mail_body_text(struct mg_mail_ctx *c, const uint8_t *p, size_t len, const char *charset)
{
    struct mg_buf t;
    mg_buf_init(&t);
    struct mg_decode_result r;
    memset(&r, 0, sizeof(r));
    if (!mg_charset_to_utf8(charset, p, len, &t, &r)) {
        mg_buf_free(&t);
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "charset");
        return;
    }
    if (r.errors > 0)
        mg_item_actionf(c->in, MG_A_DECODE_ERRORS, "%zu", r.errors);
    finish_text(c, &t);
    mg_buf_free(&t);
}

static bool html_time_ok(void *ctx)
{
    return mg_job_time_ok(ctx);
}

void mg_mail_body_html(struct mg_mail_ctx *c, const uint8_t *p, size_t len, const char *charset)
{
    struct mg_html_opts o;
    memset(&o, 0, sizeof(o));
    o.time_ok = html_time_ok;
    o.time_ctx = c->job;
    struct mg_html_stats st;
    memset(&st, 0, sizeof(st));
    struct mg_buf t;
    mg_buf_init(&t);
    if (!mg_html_to_text(p, len, charset, &o, &t, &st)) {
        mg_buf_free(&t);
        switch (st.error) {
        case MG_HTML_ERR_TIME:
            mg_mail_whole_block(c, MG_R_LIMIT_TIME, "text/html");
            return;
        case MG_HTML_ERR_RESOURCES:
            mg_mail_whole_tempfail(c, MG_R_RESOURCES, "text/html");
            return;
        case MG_HTML_ERR_LIMIT:
            mg_mail_whole_block(c, MG_R_LIMIT_SIZE, "text/html");
            return;
        default:
            /* Undecodable or unparsable HTML: the body is removed with a
             * notice (an item, so the report names the reason). */
            mg_mail_add_bytes(c, "body.html", p, len, MG_R_MALFORMED,
                              mg_html_error_name(st.error));
            return;
        }
    }
    /* The same actions an HTML file gets from the html sanitizer. */
    mg_html_record_actions(c->in, &st);
    finish_text(c, &t);
    mg_buf_free(&t);
}
