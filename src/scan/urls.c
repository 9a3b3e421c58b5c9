/* Link finding for defanging. Matching works on code points folded to
 * ASCII (full-width U+FF01-FF5E -> U+0021-007E, letters to lower case), so
 * "ＨＴＴＰＳ：／／ｅｘａｍｐｌｅ．ｊｐ" is found like "https://example.jp".
 * A link is only rewritten, never followed or resolved. */
#include "scan/urls.h"

#include <string.h>

#include "core/utf8.h"

static uint32_t fold(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        cp -= 0xFEE0;
    if (cp >= 'A' && cp <= 'Z')
        cp += 0x20;
    return cp;
}

/* Next code point at p[*i], folded; 0 (and *i unchanged) at the end or on
 * invalid UTF-8, which ends any link. */
static uint32_t next_cp(const uint8_t *p, size_t len, size_t *i)
{
    uint32_t cp;
    if (*i >= len)
        return 0;
    size_t n = mg_utf8_decode(p + *i, len - *i, &cp);
    if (n == 0)
        return 0;
    *i += n;
    return fold(cp);
}

static bool is_alnum(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_dot(uint32_t c)
{
    return c == '.' || c == 0x3002 || c == 0xFF61;
}

/* Characters of a host: ASCII letters, digits and the few marks a host,
 * port or userinfo uses, dots in any width, and letters beyond ASCII (IDN)
 * outside the punctuation blocks. */
static bool host_char(uint32_t c)
{
    if (c < 0x80)
        return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == ':' || c == '@' ||
               c == '[' || c == ']' || c == '%' || c == '~';
    if (is_dot(c))
        return true;
    if (c < 0xA0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF65) || c == 0xFEFF ||
        (c >= 0xFFF0))
        return false;
    return true;
}

/* Characters of a path, query or fragment: printable ASCII (after folding)
 * except the ones that delimit links in running text. */
static bool path_char(uint32_t c)
{
    return c > 0x20 && c < 0x7F && strchr("<>\"'`{}|\\^", (int)c) == NULL;
}

static bool trailing_punct(uint32_t c)
{
    if (c == 0x3002 || c == 0xFF61)
        return true;
    return c > 0 && c < 0x80 && strchr(".,;:!?)'", (int)c) != NULL;
}

/* Byte offset of the code point that ends at end (the last one before it). */
static size_t prev_start(const uint8_t *p, size_t start, size_t end)
{
    size_t i = end;
    while (i > start && (p[i - 1] & 0xC0) == 0x80)
        i--;
    return i > start ? i - 1 : start;
}

static uint32_t cp_at(const uint8_t *p, size_t len, size_t i)
{
    return next_cp(p, len, &i);
}

/* Matches scheme "://" at p[i]; returns the offset after it or 0. */
static size_t match_scheme(const uint8_t *p, size_t len, size_t i, const char **scheme)
{
    static const char *const schemes[] = { "https", "http", "ftp" };
    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
        size_t j = i;
        const char *s = schemes[k];
        while (*s != '\0' && next_cp(p, len, &j) == (uint32_t)(uint8_t)*s)
            s++;
        if (*s != '\0')
            continue;
        if (next_cp(p, len, &j) != ':' || next_cp(p, len, &j) != '/' ||
            next_cp(p, len, &j) != '/')
            continue;
        *scheme = schemes[k];
        return j;
    }
    return 0;
}

static bool span_at(const uint8_t *p, size_t len, size_t i, bool after_word,
                    struct mg_url_span *sp)
{
    if (after_word)
        return false;
    const char *scheme = NULL;
    size_t h = match_scheme(p, len, i, &scheme);
    if (h == 0)
        return false;
    /* Host: greedy, then cut back a trailing non-ASCII run after the last
     * dot ("http://example.jpをご覧ください" ends at ".jp"). */
    size_t j = h, last_dot_end = 0, cut = 0, first_non_ascii = 0;
    bool non_ascii_after_dot = false;
    for (;;) {
        size_t k = j;
        uint32_t c = next_cp(p, len, &k);
        if (c == 0 || !host_char(c))
            break;
        if (is_dot(c)) {
            last_dot_end = k;
            non_ascii_after_dot = false;
            cut = 0;
        } else if (c >= 0x80 && last_dot_end != 0 && !non_ascii_after_dot) {
            non_ascii_after_dot = true;
            cut = j;
        }
        if (c >= 0x80 && !is_dot(c) && first_non_ascii == 0)
            first_non_ascii = j;
        j = k;
    }
    if (non_ascii_after_dot && cut != 0)
        j = cut;
    else if (last_dot_end == 0 && first_non_ascii != 0)
        j = first_non_ascii;        /* no dot at all: IDN needs one */
    size_t host_end = j;
    /* Path, query, fragment. */
    uint32_t c = cp_at(p, len, j);
    if (c == '/' || c == '?' || c == '#') {
        for (;;) {
            size_t k = j;
            c = next_cp(p, len, &k);
            if (c == 0 || !path_char(c))
                break;
            j = k;
        }
    }
    /* Trailing punctuation belongs to the sentence, not the link. */
    while (j > h) {
        size_t s = prev_start(p, h, j);
        if (!trailing_punct(cp_at(p, len, s)))
            break;
        j = s;
    }
    if (host_end > j)
        host_end = j;
    if (host_end == h)
        return false;               /* no host: "http://" alone */
    sp->start = i;
    sp->end = j;
    sp->host_start = h;
    sp->host_end = host_end;
    sp->scheme = scheme;
    return true;
}

bool mg_urls_find(const uint8_t *p, size_t len, size_t from, struct mg_url_span *span)
{
    size_t i = from;
    bool after_word = false;
    if (from > 0 && from <= len) {
        uint32_t prev = cp_at(p, len, prev_start(p, 0, from));
        after_word = is_alnum(prev);
    }
    while (i < len) {
        size_t k = i;
        uint32_t c = next_cp(p, len, &k);
        if (k == i) {               /* invalid UTF-8: skip the byte */
            i++;
            after_word = false;
            continue;
        }
        if ((c == 'h' || c == 'f') && span_at(p, len, i, after_word, span))
            return true;
        after_word = is_alnum(c);
        i = k;
    }
    return false;
}

static void write_defanged(const uint8_t *p, size_t len, const struct mg_url_span *sp,
                           struct mg_buf *out)
{
    if (strcmp(sp->scheme, "https") == 0)
        mg_buf_puts(out, "hxxps://");
    else if (strcmp(sp->scheme, "http") == 0)
        mg_buf_puts(out, "hxxp://");
    else
        mg_buf_puts(out, "fxp://");
    size_t i = sp->host_start;
    while (i < sp->host_end) {
        size_t k = i;
        uint32_t c = next_cp(p, len, &k);
        if (k == i)
            break;
        /* Every dot that separates labels; a final dot is left alone. */
        if (is_dot(c) && k < sp->host_end)
            mg_buf_puts(out, "[.]");
        else
            mg_buf_append(out, p + i, k - i);
        i = k;
    }
    mg_buf_append(out, p + sp->host_end, sp->end - sp->host_end);
}

bool mg_urls_rewrite(const uint8_t *p, size_t len, enum mg_urls_mode mode,
                     const char *removed, struct mg_buf *out, size_t *count)
{
    size_t n = 0, i = 0;
    struct mg_url_span sp;
    while (mode != MG_URLS_KEEP && i < len && mg_urls_find(p, len, i, &sp)) {
        mg_buf_append(out, p + i, sp.start - i);
        if (mode == MG_URLS_DEFANG)
            write_defanged(p, len, &sp, out);
        else
            mg_buf_puts(out, removed != NULL ? removed : "[URL removed]");
        n++;
        i = sp.end;
    }
    mg_buf_append(out, p + i, len - i);
    if (count != NULL)
        *count = n;
    return !mg_buf_failed(out);
}
