#include "sanitizers/html/html_prep.h"

#include <string.h>

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool starts_ci(const uint8_t *p, size_t avail, const char *s)
{
    size_t n = strlen(s);
    if (avail < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (lower(p[i]) != (uint8_t)s[i])
            return false;
    }
    return true;
}

/* Offset just past the first occurrence of s at or after from, or len. */
static size_t skip_past(const uint8_t *p, size_t len, size_t from, const char *s, bool ci)
{
    size_t n = strlen(s);
    for (size_t i = from; i + n <= len; i++) {
        if (ci ? starts_ci(p + i, len - i, s) : memcmp(p + i, s, n) == 0)
            return i + n;
    }
    return len;
}

/* Just past the first "-->" or "--!>" at or after from, or len. */
static size_t comment_end(const uint8_t *p, size_t len, size_t from)
{
    for (size_t i = from; i + 3 <= len; i++) {
        if (p[i] != '-' || p[i + 1] != '-')
            continue;
        if (p[i + 2] == '>')
            return i + 3;
        if (i + 4 <= len && p[i + 2] == '!' && p[i + 3] == '>')
            return i + 4;
    }
    return len;
}

/* Copies p[from, to) replacing NUL bytes. */
static void copy(const uint8_t *p, size_t from, size_t to, struct mg_buf *out)
{
    size_t run = from;
    for (size_t i = from; i < to; i++) {
        if (p[i] == 0) {
            mg_buf_append(out, p + run, i - run);
            mg_buf_append(out, "\xEF\xBF\xBD", 3);
            run = i + 1;
        }
    }
    mg_buf_append(out, p + run, to - run);
}

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_start(uint8_t c)
{
    return is_alpha(c) || c == '_' || c == ':' || c == '.';
}

static bool is_name_char(uint8_t c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* Reads the start tag at p[i] ('<' and a letter) as libxml2 2.9 does;
 * returns the offset of its end ('>' or len) and counts its attributes. */
static size_t scan_start_tag(const uint8_t *p, size_t len, size_t i, size_t *nattrs)
{
    size_t j = i + 1;
    *nattrs = 0;
    while (j < len && is_name_char(p[j]))
        j++;
    for (;;) {
        while (j < len && is_blank(p[j]))
            j++;
        if (j >= len || p[j] == '>' || (p[j] == '/' && j + 1 < len && p[j + 1] == '>'))
            return j;
        size_t k = j;
        if (is_name_start(p[j])) {
            while (j < len && is_name_char(p[j]))
                j++;
            ++*nattrs;
            if (*nattrs > MG_HTML_MAX_ATTRS)
                return j;
            while (j < len && is_blank(p[j]))
                j++;
            if (j < len && p[j] == '=') {
                j++;
                while (j < len && is_blank(p[j]))
                    j++;
                if (j < len && (p[j] == '"' || p[j] == '\'')) {
                    uint8_t q = p[j];
                    size_t e = j + 1;
                    while (e < len && p[e] != q)
                        e++;
                    if (e < len)
                        j = e + 1;        /* unmatched: left to the bogus rule below */
                } else {
                    while (j < len && !is_blank(p[j]) && p[j] != '>')
                        j++;
                }
            }
        }
        if (j == k) {                     /* bogus: up to a blank or the end of the tag */
            while (j < len && !is_blank(p[j]) && p[j] != '>' &&
                   !(p[j] == '/' && j + 1 < len && p[j + 1] == '>'))
                j++;
            if (j == k)
                j++;
        }
    }
}

enum mg_html_error mg_html_prep(const uint8_t *p, size_t len, struct mg_buf *out)
{
    size_t i = 0, done = 0;
    if (len == 0)
        return mg_buf_failed(out) ? MG_HTML_ERR_LIMIT : MG_HTML_OK;
    while (i < len) {
        if (p[i] != '<' || i + 1 >= len) {
            i++;
            continue;
        }
        const uint8_t *q = p + i;
        size_t avail = len - i;
        if (starts_ci(q, avail, "<!--")) {
            /* Comments are removed here, ended the HTML5 way: "<!-->" and
             * "<!--->" are empty, "--!>" also closes, an unclosed one runs
             * to the end (libxml2 knows only "-->"). */
            size_t end;
            if (avail >= 5 && q[4] == '>')
                end = i + 5;
            else if (avail >= 6 && q[4] == '-' && q[5] == '>')
                end = i + 6;
            else
                end = comment_end(p, len, i + 4);
            copy(p, done, i, out);
            i = done = end;
            continue;
        }
        if ((starts_ci(q, avail, "<script") && avail > 7 &&
             (q[7] == '>' || q[7] == '/' || q[7] <= ' ')) ||
            (starts_ci(q, avail, "<style") && avail > 6 &&
             (q[6] == '>' || q[6] == '/' || q[6] <= ' '))) {
            const char *end = lower(q[2]) == 'c' ? "</script" : "</style";
            i = skip_past(p, len, i + 6, end, true);
            continue;
        }
        if (is_alpha(q[1])) {
            size_t n;
            size_t end = scan_start_tag(p, len, i, &n);
            if (n > MG_HTML_MAX_ATTRS)
                return MG_HTML_ERR_ATTRS;
            i = end > i ? end : i + 1;
            continue;
        }
        bool bogus = false;
        if (q[1] == '!' && !starts_ci(q, avail, "<!doctype"))
            bogus = true;
        else if (q[1] == '/' && (avail < 3 || !is_alpha(q[2])))
            bogus = true;
        if (!bogus) {
            i++;
            continue;
        }
        copy(p, done, i, out);
        i = skip_past(p, len, i + 2, ">", false);
        done = i;
    }
    copy(p, done, len, out);
    return mg_buf_failed(out) ? MG_HTML_ERR_LIMIT : MG_HTML_OK;
}
