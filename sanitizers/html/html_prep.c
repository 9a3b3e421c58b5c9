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

bool mg_html_prep(const uint8_t *p, size_t len, struct mg_buf *out)
{
    size_t i = 0, done = 0;
    if (len == 0)
        return !mg_buf_failed(out);
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
    return !mg_buf_failed(out);
}
