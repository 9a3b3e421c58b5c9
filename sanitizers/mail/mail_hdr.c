/* RFC 2047 / RFC 2231 decoding and encoding (see mail_hdr.h). Every loop is
 * bounded by the input length; charset conversion is scan/charset.h only. */
#include "sanitizers/mail/mail_hdr.h"

#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "core/utf8.h"
#include "scan/charset.h"

#define MAX_CHARSET 64      /* longer charset names are not charsets */
#define MAX_SEGMENTS 128    /* RFC 2231 continuations we assemble */

static int lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static bool eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
            return false;
    }
    return true;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static bool is_wsp(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool mg_mail_unfold(const char *raw, size_t len, struct mg_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c == '\r' && i + 1 < len && raw[i + 1] == '\n')
            continue;   /* the LF decides */
        if (c == '\n') {
            if (i + 1 < len && (raw[i + 1] == ' ' || raw[i + 1] == '\t'))
                continue;
            c = ' ';
        } else if (c == '\r' || c == '\0') {
            c = ' ';
        }
        mg_buf_putc(out, c);
    }
    return !mg_buf_failed(out);
}

/* ---- decoding ---------------------------------------------------------- */

struct dec {
    struct mg_buf *out;
    size_t *errors;
    char cs[MAX_CHARSET + 1];   /* charset of the pending bytes, "" if none */
    struct mg_buf bytes;        /* decoded bytes of adjacent words, one charset */
    char b64[4];                /* base64 quantum carried across words */
    size_t nb64;
};

static void dec_put_b64_quantum(struct dec *d, const char *q, size_t n)
{
    int v[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        v[i] = b64val((unsigned char)q[i]);
    if (n >= 2)
        mg_buf_putc(&d->bytes, (uint8_t)((v[0] << 2) | (v[1] >> 4)));
    if (n >= 3)
        mg_buf_putc(&d->bytes, (uint8_t)(((v[1] & 15) << 4) | (v[2] >> 2)));
    if (n >= 4)
        mg_buf_putc(&d->bytes, (uint8_t)(((v[2] & 3) << 6) | v[3]));
    if (n == 1)
        (*d->errors)++;   /* six lone bits: a broken word */
}

static void dec_flush_b64(struct dec *d)
{
    if (d->nb64 > 0)
        dec_put_b64_quantum(d, d->b64, d->nb64);
    d->nb64 = 0;
}

static bool dec_flush(struct dec *d)
{
    dec_flush_b64(d);
    if (d->bytes.len > 0) {
        struct mg_decode_result r;
        memset(&r, 0, sizeof(r));
        if (!mg_charset_to_utf8(d->cs, d->bytes.data, d->bytes.len, d->out, &r))
            return false;
        *d->errors += r.errors;
    }
    mg_buf_reset(&d->bytes);
    d->cs[0] = '\0';
    return !mg_buf_failed(d->out);
}

/* Text outside encoded words: ASCII as it is; 8-bit or ESC (raw
 * ISO-2022-JP, as old Japanese mailers write) through detection. */
static bool dec_literal(struct dec *d, const char *p, size_t n)
{
    bool plain = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80 || c == 0x1b)
            plain = false;
    }
    if (plain)
        return mg_buf_append(d->out, p, n);
    struct mg_decode_result r;
    memset(&r, 0, sizeof(r));
    if (!mg_charset_to_utf8(NULL, (const uint8_t *)p, n, d->out, &r))
        return false;
    *d->errors += r.errors;
    return true;
}

/* Parses "=?cs?e?text?=" at p; fills the parts and returns its length, 0 if
 * it is not an encoded word. Text must not contain spaces or "?=". */
static size_t parse_word(const char *p, size_t n, const char **cs, size_t *cslen, char *enc,
                         const char **txt, size_t *txtlen)
{
    if (n < 8 || p[0] != '=' || p[1] != '?')
        return 0;
    size_t i = 2;
    while (i < n && p[i] != '?' && !is_wsp((unsigned char)p[i]) && i - 2 <= MAX_CHARSET)
        i++;
    if (i >= n || p[i] != '?' || i == 2 || i - 2 > MAX_CHARSET)
        return 0;
    *cs = p + 2;
    *cslen = i - 2;
    if (i + 2 >= n || p[i + 2] != '?')
        return 0;
    char e = (char)lc((unsigned char)p[i + 1]);
    if (e != 'b' && e != 'q')
        return 0;
    *enc = e;
    size_t t = i + 3;
    size_t j = t;
    while (j + 1 < n && !(p[j] == '?' && p[j + 1] == '=')) {
        if (is_wsp((unsigned char)p[j]))
            return 0;
        j++;
    }
    if (j + 1 >= n)
        return 0;
    *txt = p + t;
    *txtlen = j - t;
    return j + 2;
}

static void dec_word_q(struct dec *d, const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '_') {
            mg_buf_putc(&d->bytes, ' ');
        } else if (c == '=' && i + 2 < n && g_ascii_xdigit_value(t[i + 1]) >= 0 &&
                   g_ascii_xdigit_value(t[i + 2]) >= 0) {
            mg_buf_putc(&d->bytes, (uint8_t)(g_ascii_xdigit_value(t[i + 1]) * 16 +
                                             g_ascii_xdigit_value(t[i + 2])));
            i += 2;
        } else {
            if (c == '=')
                (*d->errors)++;
            mg_buf_putc(&d->bytes, c);
        }
    }
}

/* Base64 text of one word joins the quantum left by the previous word of
 * the same charset: a word split mid-quantum still decodes. */
static void dec_word_b(struct dec *d, const char *t, size_t n)
{
    bool padded = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '=') {
            padded = true;
            continue;
        }
        if (b64val(c) < 0 || padded) {
            (*d->errors)++;
            continue;
        }
        d->b64[d->nb64++] = (char)c;
        if (d->nb64 == 4) {
            dec_put_b64_quantum(d, d->b64, 4);
            d->nb64 = 0;
        }
    }
    if (padded)
        dec_flush_b64(d);
}

bool mg_mail_hdr_decode(const char *raw, size_t len, struct mg_buf *out, size_t *errors)
{
    /* Nothing to decode; raw may be NULL then (an RFC 2231 parameter with
     * no plain value), and NULL + 0 is undefined behaviour. */
    if (len == 0)
        return !mg_buf_failed(out);
    struct dec d;
    memset(&d, 0, sizeof(d));
    d.out = out;
    d.errors = errors;
    mg_buf_init(&d.bytes);
    bool ok = true;
    size_t pos = 0;          /* start of text not yet consumed */
    bool after_word = false; /* whitespace between two words is dropped */
    size_t i = 0;
    while (ok && i < len) {
        if (!(raw[i] == '=' && i + 1 < len && raw[i + 1] == '?')) {
            i++;
            continue;
        }
        const char *cs, *txt;
        size_t cslen, txtlen;
        char enc;
        size_t wlen = parse_word(raw + i, len - i, &cs, &cslen, &enc, &txt, &txtlen);
        if (wlen == 0) {
            i += 2;
            continue;
        }
        bool only_ws = true;
        for (size_t k = pos; k < i; k++)
            only_ws = only_ws && is_wsp((unsigned char)raw[k]);
        if (!(after_word && only_ws)) {
            ok = dec_flush(&d) && dec_literal(&d, raw + pos, i - pos);
        }
        /* RFC 2231 section 5: "charset*language" */
        const char *star = memchr(cs, '*', cslen);
        if (star != NULL)
            cslen = (size_t)(star - cs);
        if (ok && !eq_nocase(d.cs, strlen(d.cs), cs, cslen)) {
            ok = dec_flush(&d);
            memcpy(d.cs, cs, cslen);
            d.cs[cslen] = '\0';
        }
        if (enc == 'q') {
            dec_flush_b64(&d);
            dec_word_q(&d, txt, txtlen);
        } else {
            dec_word_b(&d, txt, txtlen);
        }
        i += wlen;
        pos = i;
        after_word = true;
    }
    if (ok)
        ok = dec_flush(&d) && dec_literal(&d, raw + pos, len - pos);
    if (mg_buf_failed(&d.bytes))
        ok = false;
    mg_buf_free(&d.bytes);
    return ok && !mg_buf_failed(out);
}

/* ---- RFC 2231 parameters --------------------------------------------- */

struct seg {
    char *val;       /* unquoted value, NUL-terminated, malloc'd */
    size_t len;
    bool ext;        /* percent-encoded (name*N* or name*) */
    bool set;
};

/* Reads one value (quoted-string with backslash escapes, or a token up to
 * ';'), unquoted into b; returns the index after it. */
static size_t read_value(const char *p, size_t n, size_t i, struct mg_buf *b)
{
    while (i < n && is_wsp((unsigned char)p[i]))
        i++;
    if (i < n && p[i] == '"') {
        i++;
        while (i < n && p[i] != '"') {
            if (p[i] == '\\' && i + 1 < n)
                i++;
            mg_buf_putc(b, (uint8_t)p[i]);
            i++;
        }
        if (i < n)
            i++;
        while (i < n && p[i] != ';')
            i++;   /* junk after the closing quote is ignored */
        return i;
    }
    size_t s = i;
    while (i < n && p[i] != ';')
        i++;
    size_t e = i;
    while (e > s && is_wsp((unsigned char)p[e - 1]))
        e--;
    mg_buf_append(b, p + s, e - s);
    return i;
}

static void pct_decode(const char *s, size_t n, struct mg_buf *out, size_t *errors)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && g_ascii_xdigit_value(s[i + 1]) >= 0 &&
            g_ascii_xdigit_value(s[i + 2]) >= 0) {
            mg_buf_putc(out, (uint8_t)(g_ascii_xdigit_value(s[i + 1]) * 16 +
                                       g_ascii_xdigit_value(s[i + 2])));
            i += 2;
        } else {
            if (s[i] == '%')
                (*errors)++;
            mg_buf_putc(out, (uint8_t)s[i]);
        }
    }
}

static bool assemble(struct seg *segs, const char *plain, size_t plainlen, bool have_plain,
                     struct mg_buf *out, size_t *errors)
{
    bool any_ext = false;
    size_t nseg = 0;
    while (nseg < MAX_SEGMENTS && segs[nseg].set) {
        any_ext = any_ext || segs[nseg].ext;
        nseg++;
    }
    if (nseg == 0) {
        if (!have_plain)
            return false;
        return mg_mail_hdr_decode(plain, plainlen, out, errors);
    }
    struct mg_buf bytes;
    mg_buf_init(&bytes);
    char cs[MAX_CHARSET + 1] = "";
    for (size_t k = 0; k < nseg; k++) {
        const char *v = segs[k].val;
        size_t vl = segs[k].len;
        if (k == 0 && segs[k].ext) {
            /* charset'language'value */
            const char *q1 = memchr(v, '\'', vl);
            const char *q2 = q1 ? memchr(q1 + 1, '\'', vl - (size_t)(q1 + 1 - v)) : NULL;
            if (q1 != NULL && q2 != NULL) {
                size_t cl = (size_t)(q1 - v);
                if (cl <= MAX_CHARSET) {
                    memcpy(cs, v, cl);
                    cs[cl] = '\0';
                } else {
                    (*errors)++;
                }
                vl -= (size_t)(q2 + 1 - v);
                v = q2 + 1;
            } else {
                (*errors)++;
            }
        }
        if (segs[k].ext)
            pct_decode(v, vl, &bytes, errors);
        else
            mg_buf_append(&bytes, v, vl);
    }
    bool ok = !mg_buf_failed(&bytes);
    if (ok && !any_ext) {
        /* Continued plain values: RFC 2047 words split over segments. */
        ok = mg_mail_hdr_decode((const char *)bytes.data, bytes.len, out, errors);
    } else if (ok) {
        struct mg_decode_result r;
        memset(&r, 0, sizeof(r));
        ok = mg_charset_to_utf8(cs[0] ? cs : NULL, bytes.data, bytes.len, out, &r);
        *errors += r.errors;
    }
    mg_buf_free(&bytes);
    return ok && !mg_buf_failed(out);
}

bool mg_mail_param_get(const char *raw, size_t len, const char *name, struct mg_buf *out,
                       size_t *errors)
{
    size_t nlen = strlen(name);
    struct seg segs[MAX_SEGMENTS];
    memset(segs, 0, sizeof(segs));
    struct mg_buf plain, v;
    mg_buf_init(&plain);
    mg_buf_init(&v);
    bool have_plain = false;
    bool ok = true;
    /* Skip the value before the first ';' (type/subtype or disposition). */
    size_t i = 0;
    bool inq = false;
    while (i < len && (inq || raw[i] != ';')) {
        if (raw[i] == '"')
            inq = !inq;
        i++;
    }
    while (ok && i < len) {
        i++;   /* the ';' */
        while (i < len && is_wsp((unsigned char)raw[i]))
            i++;
        size_t ns = i;
        while (i < len && raw[i] != '=' && raw[i] != ';')
            i++;
        if (i >= len || raw[i] == ';')
            continue;   /* a parameter without '=' is ignored */
        size_t ne = i;
        while (ne > ns && is_wsp((unsigned char)raw[ne - 1]))
            ne--;
        i++;   /* '=' */
        mg_buf_reset(&v);
        i = read_value(raw, len, i, &v);
        if (mg_buf_failed(&v)) {
            ok = false;
            break;
        }
        const char *pn = raw + ns;
        size_t pl = ne - ns;
        if (pl < nlen || !eq_nocase(pn, nlen, name, nlen))
            continue;
        if (pl == nlen) {
            if (!have_plain) {
                mg_buf_append(&plain, v.data, v.len);
                have_plain = true;
            }
            continue;
        }
        if (pn[nlen] != '*')
            continue;   /* another parameter sharing the prefix */
        const char *rest = pn + nlen + 1;
        size_t rl = pl - nlen - 1;
        bool ext = false;
        size_t idx = 0;
        if (rl == 0) {
            ext = true;   /* name* */
        } else {
            size_t k = 0;
            while (k < rl && rest[k] >= '0' && rest[k] <= '9' && idx < MAX_SEGMENTS) {
                idx = idx * 10 + (size_t)(rest[k] - '0');
                k++;
            }
            if (k == 0 || idx >= MAX_SEGMENTS)
                continue;
            if (k < rl) {
                if (k + 1 == rl && rest[k] == '*')
                    ext = true;
                else
                    continue;
            }
        }
        if (segs[idx].set)
            continue;   /* duplicated: the first wins, like gmime */
        segs[idx].val = malloc(v.len + 1);
        if (segs[idx].val == NULL) {
            ok = false;
            break;
        }
        if (v.len > 0)
            memcpy(segs[idx].val, v.data, v.len);
        segs[idx].val[v.len] = '\0';
        segs[idx].len = v.len;
        segs[idx].ext = ext;
        segs[idx].set = true;
    }
    bool found = false;
    if (ok && !mg_buf_failed(&plain))
        found = assemble(segs, (const char *)plain.data, plain.len, have_plain, out, errors);
    for (size_t k = 0; k < MAX_SEGMENTS; k++)
        free(segs[k].val);
    mg_buf_free(&plain);
    mg_buf_free(&v);
    if (!ok)
        out->failed = true;
    return found;
}

/* ---- encoding ---------------------------------------------------------- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_append(struct mg_buf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {b64chars[(v >> 18) & 63], b64chars[(v >> 12) & 63],
                     i + 1 < n ? b64chars[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64chars[v & 63] : '='};
        mg_buf_append(out, q, 4);
    }
}

/* Length of the UTF-8 character at p (1 for an invalid byte). */
static size_t ch_len(const uint8_t *p, size_t n)
{
    size_t l = mg_utf8_valid_prefix(p, n);
    return l == 0 ? 1 : l;
}

static bool needs_encoding(const uint8_t *p, size_t n)
{
    if (n > 900)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] >= 0x7f)
            return true;
        if (p[i] == '=' && i + 1 < n && p[i + 1] == '?')
            return true;
    }
    return false;
}

bool mg_mail_hdr_fold(const char *hname, const char *value, size_t len, struct mg_buf *out)
{
    size_t col = strlen(hname) + 2;
    mg_buf_puts(out, hname);
    mg_buf_puts(out, ": ");
    size_t i = 0;
    while (i < len && value[i] == ' ')
        i++;
    bool firstw = true;
    while (i < len) {
        size_t j = i;
        while (j < len && value[j] != ' ')
            j++;
        if (!firstw && col + 1 + (j - i) > 78) {
            mg_buf_puts(out, "\r\n");
            col = 0;
        }
        if (!firstw) {
            mg_buf_putc(out, ' ');
            col++;
        }
        mg_buf_append(out, value + i, j - i);
        col += j - i;
        firstw = false;
        i = j;
        while (i < len && value[i] == ' ')
            i++;
    }
    mg_buf_puts(out, "\r\n");
    return !mg_buf_failed(out);
}

bool mg_mail_words_encode(size_t col, bool lead_space, const uint8_t *utf8, size_t len,
                          bool iso2022jp, struct mg_buf *out, size_t *unmappable)
{
    const char *pre = iso2022jp ? "=?ISO-2022-JP?B?" : "=?UTF-8?B?";
    size_t overhead = strlen(pre) + 2;
    struct mg_buf chunk;
    mg_buf_init(&chunk);
    size_t i = 0;
    /* No room left on the first line: start the words on the next one. */
    bool first = col + 1 + overhead + 24 <= 76;
    if (!first) {
        mg_buf_puts(out, "\r\n");
        lead_space = true;
    }
    bool lead = true;
    while (i < len && !mg_buf_failed(out)) {
        /* Room on this line: 76 minus the column, the space and the word's frame. */
        size_t room = 76 - (first ? col + 1 : 1) - overhead;
        size_t maxbytes = room / 4 * 3;
        size_t j = i;
        mg_buf_reset(&chunk);
        size_t bad = 0;
        /* Grow the word one character at a time while it fits (words hold
         * whole characters, RFC 2047 section 5). */
        while (j < len) {
            size_t cl = ch_len(utf8 + j, len - j);
            size_t enc_len;
            if (iso2022jp) {
                struct mg_buf t;
                mg_buf_init(&t);
                size_t um = 0;
                mg_charset_utf8_to_iso2022jp(utf8 + i, j + cl - i, &t, &um);
                enc_len = t.len;
                bool tfail = mg_buf_failed(&t);
                if (enc_len <= maxbytes && !tfail) {
                    mg_buf_reset(&chunk);
                    mg_buf_append(&chunk, t.data, t.len);
                    bad = um;
                }
                mg_buf_free(&t);
                if (tfail) {
                    mg_buf_free(&chunk);
                    out->failed = true;
                    return false;
                }
            } else {
                enc_len = j + cl - i;
                if (enc_len <= maxbytes)
                    mg_buf_append(&chunk, utf8 + j, cl);
            }
            if (enc_len > maxbytes && j > i)
                break;
            j += cl;
            if (enc_len > maxbytes)
                break;   /* one character longer than a word: not at 45 bytes */
        }
        if (unmappable != NULL)
            *unmappable += bad;
        if (!lead)
            mg_buf_puts(out, "\r\n ");
        else if (lead_space)
            mg_buf_putc(out, ' ');
        lead = false;
        first = false;
        mg_buf_puts(out, pre);
        b64_append(out, chunk.data, chunk.len);
        mg_buf_puts(out, "?=");
        i = j;
    }
    bool ok = !mg_buf_failed(&chunk);
    mg_buf_free(&chunk);
    return ok && !mg_buf_failed(out);
}

bool mg_mail_hdr_encode(const char *hname, const uint8_t *utf8, size_t len, bool iso2022jp,
                        struct mg_buf *out, size_t *unmappable)
{
    if (!needs_encoding(utf8, len))
        return mg_mail_hdr_fold(hname, (const char *)utf8, len, out);
    mg_buf_puts(out, hname);
    mg_buf_puts(out, ":");
    if (!mg_mail_words_encode(strlen(hname) + 1, true, utf8, len, iso2022jp, out, unmappable))
        return false;
    mg_buf_puts(out, "\r\n");
    return !mg_buf_failed(out);
}

static bool attr_char(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$&+-.^_`|~", c) != NULL;
}

bool mg_mail_param_encode(const char *pname, const uint8_t *utf8, size_t len,
                          struct mg_buf *out)
{
    /* Percent-encode whole characters; cut a continuation before 60 columns. */
    size_t total = 0;
    for (size_t i = 0; i < len; i++)
        total += attr_char(utf8[i]) ? 1 : 3;
    if (total + strlen(pname) <= 60) {
        mg_buf_printf(out, ";\r\n %s*=UTF-8''", pname);
        for (size_t i = 0; i < len; i++) {
            if (attr_char(utf8[i]))
                mg_buf_putc(out, utf8[i]);
            else
                mg_buf_printf(out, "%%%02X", utf8[i]);
        }
        return !mg_buf_failed(out);
    }
    size_t i = 0;
    unsigned n = 0;
    while (i < len && !mg_buf_failed(out)) {
        mg_buf_printf(out, ";\r\n %s*%u*=%s", pname, n, n == 0 ? "UTF-8''" : "");
        size_t used = 0;
        while (i < len) {
            size_t cl = ch_len(utf8 + i, len - i);
            size_t w = 0;
            for (size_t k = 0; k < cl; k++)
                w += attr_char(utf8[i + k]) ? 1 : 3;
            if (used > 0 && used + w > 54)
                break;
            for (size_t k = 0; k < cl; k++) {
                if (attr_char(utf8[i + k]))
                    mg_buf_putc(out, utf8[i + k]);
                else
                    mg_buf_printf(out, "%%%02X", utf8[i + k]);
            }
            used += w;
            i += cl;
        }
        n++;
    }
    return !mg_buf_failed(out);
}

size_t mg_mail_clean_text(struct mg_buf *b, bool multiline)
{
    struct mg_buf o;
    mg_buf_init(&o);
    size_t n = 0;
    size_t i = 0, run = 0;   /* b->data[run, i) is kept as it is */
    /* Output is at most three bytes per input byte (U+FFFD for one bad byte),
     * usually the same length: reserve that, copy runs, decode only bytes
     * that are not printable ASCII. */
    mg_buf_reserve(&o, b->len + 16);
    while (i < b->len) {
        uint8_t ch = b->data[i];
        if (ch >= 0x20 && ch < 0x7f) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t l = ch < 0x80 ? (cp = ch, 1) : mg_utf8_decode(b->data + i, b->len - i, &cp);
        if (l == 0) {
            mg_buf_append(&o, b->data + run, i - run);
            mg_buf_puts(&o, "\xEF\xBF\xBD");
            n++;
            i++;
            run = i;
            continue;
        }
        bool ctl = (cp < 0x20 && cp != '\t' && !(multiline && cp == '\n')) || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
        bool bidi = (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
        if (ctl || bidi) {
            mg_buf_append(&o, b->data + run, i - run);
            if (ctl)
                mg_buf_putc(&o, ' ');
            n++;
            i += l;
            run = i;
            continue;
        }
        i += l;
    }
    if (n == 0 && !mg_buf_failed(&o)) {   /* nothing changed: keep b */
        mg_buf_free(&o);
        return 0;
    }
    mg_buf_append(&o, b->data + run, i - run);
    if (mg_buf_failed(&o)) {
        mg_buf_free(&o);
        b->failed = true;
        return n;
    }
    mg_buf_free(b);
    *b = o;
    return n;
}
