#include "sanitizers/html/html_url.h"

#include <string.h>

#include "core/utf8.h"

static bool is_url_ws(unsigned char c)
{
    return c <= 0x20;                             /* C0 controls and space */
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) {
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    }
    return true;
}

static bool starts_ci(const char *s, size_t n, const char *pre)
{
    size_t m = strlen(pre);
    return n >= m && eq_ci(s, m, pre, m);
}

/* Characters that hide or reorder what the reader sees. */
static bool invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF || cp == 0x00AD;
}

static void pct(struct mg_buf *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    mg_buf_append(out, e, 3);
}

static void write_clean(const char *s, size_t n, struct mg_buf *out)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"' || c == '`')
                pct(out, c);
            else
                mg_buf_putc(out, c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = mg_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (k == 0) {
            pct(out, c);
            i++;
            continue;
        }
        if (invisible(cp) || (cp >= 0x80 && cp <= 0x9F)) {
            for (size_t j = 0; j < k; j++)
                pct(out, (unsigned char)s[i + j]);
        } else {
            mg_buf_append(out, s + i, k);
        }
        i += k;
    }
}

enum mg_html_url_kind mg_html_url_classify(const char *url, struct mg_buf *out)
{
    char tmp[MG_HTML_URL_MAX + 1];
    size_t n = 0, len = strlen(url);
    size_t b = 0, e = len;

    mg_buf_reset(out);
    while (b < e && is_url_ws((unsigned char)url[b]))
        b++;
    while (e > b && is_url_ws((unsigned char)url[e - 1]))
        e--;
    bool too_long = false;
    for (size_t i = b; i < e; i++) {
        char c = url[i];
        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (n >= MG_HTML_URL_MAX) {
            too_long = true;
            break;
        }
        tmp[n++] = c;
    }
    tmp[n] = '\0';
    if (n == 0)
        return MG_HU_EMPTY;
    if (tmp[0] == '#')
        return MG_HU_FRAGMENT;
    if (n >= 2 && tmp[0] == '/' && tmp[1] == '/') {
        if (too_long)
            return MG_HU_TOO_LONG;
        write_clean(tmp, n, out);
        return MG_HU_WEB;
    }

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    size_t s = 0;
    if ((tmp[0] | 0x20) >= 'a' && (tmp[0] | 0x20) <= 'z') {
        s = 1;
        while (s < n && (((tmp[s] | 0x20) >= 'a' && (tmp[s] | 0x20) <= 'z') ||
                         (tmp[s] >= '0' && tmp[s] <= '9') || tmp[s] == '+' || tmp[s] == '-' ||
                         tmp[s] == '.'))
            s++;
    }
    if (s == 0 || s >= n || tmp[s] != ':')
        return MG_HU_RELATIVE;

    enum mg_html_url_kind k;
    if (eq_ci(tmp, s, "http", 4) || eq_ci(tmp, s, "https", 5) || eq_ci(tmp, s, "ftp", 3))
        k = MG_HU_WEB;
    else if (eq_ci(tmp, s, "mailto", 6))
        k = MG_HU_MAIL;
    else if (eq_ci(tmp, s, "tel", 3))
        k = MG_HU_TEL;
    else if (eq_ci(tmp, s, "javascript", 10) || eq_ci(tmp, s, "vbscript", 8) ||
             eq_ci(tmp, s, "livescript", 10))
        return MG_HU_SCRIPT;
    else if (eq_ci(tmp, s, "data", 4))
        return MG_HU_DATA;
    else if (eq_ci(tmp, s, "cid", 3) || eq_ci(tmp, s, "mid", 3))
        return MG_HU_CID;
    else
        return MG_HU_OTHER;
    if (too_long)
        return MG_HU_TOO_LONG;
    write_clean(tmp, n, out);
    return k;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (unsigned char)**s <= 0x20) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && (unsigned char)(*s)[*n - 1] <= 0x20)
        (*n)--;
}

bool mg_html_url_matches_text(const char *url, size_t ulen, const char *text, size_t tlen)
{
    trim(&url, &ulen);
    trim(&text, &tlen);
    if (tlen == 0)
        return false;
    if (eq_ci(url, ulen, text, tlen))
        return true;
    static const char *const schemes[] = {"mailto:", "tel:", "https://", "http://", "ftp://", "//"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (starts_ci(url, ulen, schemes[i])) {
            size_t m = strlen(schemes[i]);
            url += m;
            ulen -= m;
            break;
        }
    }
    if (starts_ci(text, tlen, "https://"))
        text += 8, tlen -= 8;
    else if (starts_ci(text, tlen, "http://"))
        text += 7, tlen -= 7;
    while (ulen > 0 && url[ulen - 1] == '/')
        ulen--;
    while (tlen > 0 && text[tlen - 1] == '/')
        tlen--;
    return tlen > 0 && eq_ci(url, ulen, text, tlen);
}
