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

/* Matches scheme "://" at p[i] (a backslash counts as a slash: browsers
 * read "http:\\\\host" as "http://host"); returns the offset after it or 0. */
static size_t match_scheme(const uint8_t *p, size_t len, size_t i, const char **scheme)
{
    static const char *const schemes[] = { "https", "http", "ftp" };
    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
        size_t j = i;
        const char *s = schemes[k];
        while (*s != '\0' && next_cp(p, len, &j) == (uint32_t)(uint8_t)*s)
            s++;
        if (*s != '\0' || next_cp(p, len, &j) != ':')
            continue;
        uint32_t s1 = next_cp(p, len, &j);
        uint32_t s2 = next_cp(p, len, &j);
        if ((s1 != '/' && s1 != '\\') || (s2 != '/' && s2 != '\\'))
            continue;
        *scheme = schemes[k];
        return j;
    }
    return 0;
}

/* End of the host that starts at h: greedy, then cut back a trailing
 * non-ASCII run after the last dot ("http://example.jpをご覧ください" ends at
 * ".jp"), or at the first non-ASCII character when there is no dot. */
static size_t host_end_at(const uint8_t *p, size_t len, size_t h)
{
    size_t j = h, last_dot_end = 0, cut = 0, first_non_ascii = 0;
    bool non_ascii_after_dot = false;
    for (;;) {
        size_t k = j;
        uint32_t c = next_cp(p, len, &k);
        if (c == 0 || !host_char(c))
            break;
        const char *inner;
        if ((c == 'h' || c == 'f') && match_scheme(p, len, j, &inner) != 0)
            break;                  /* "ftp://ftp://x": the next link starts here */
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
        return cut;
    if (last_dot_end == 0 && first_non_ascii != 0)
        return first_non_ascii;
    return j;
}

/* The link whose scheme starts at i. Every scheme counts, also with an
 * empty host ("http:///evil.example" is a link to browsers). */
static bool span_at(const uint8_t *p, size_t len, size_t i, bool with_path,
                    struct mg_url_span *sp)
{
    const char *scheme = NULL;
    size_t h = match_scheme(p, len, i, &scheme);
    if (h == 0)
        return false;
    size_t host_end = host_end_at(p, len, h);
    size_t j = host_end;
    /* Path, query, fragment. */
    uint32_t c = cp_at(p, len, j);
    if (with_path && (c == '/' || c == '?' || c == '#' || c == '\\')) {
        for (;;) {
            size_t k = j;
            c = next_cp(p, len, &k);
            if (c == 0 || !(path_char(c) || c == '\\'))
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
    sp->start = i;
    sp->end = j;
    sp->host_start = h;
    sp->host_end = host_end;
    sp->scheme = scheme;
    return true;
}

/* A scheme is matched wherever it starts, also inside a word ("xhttp://"):
 * what a mail client's linkifier does there is not ours to guess. */
static bool find_from(const uint8_t *p, size_t len, size_t from, bool with_path,
                      struct mg_url_span *span)
{
    size_t i = from;
    while (i < len) {
        size_t k = i;
        uint32_t c = next_cp(p, len, &k);
        if (k == i) {               /* invalid UTF-8: skip the byte */
            i++;
            continue;
        }
        if ((c == 'h' || c == 'f') && span_at(p, len, i, with_path, span))
            return true;
        i = k;
    }
    return false;
}

bool mg_urls_find(const uint8_t *p, size_t len, size_t from, struct mg_url_span *span)
{
    return find_from(p, len, from, true, span);
}

static void write_scheme(const char *scheme, struct mg_buf *out)
{
    if (strcmp(scheme, "https") == 0)
        mg_buf_puts(out, "hxxps://");
    else if (strcmp(scheme, "http") == 0)
        mg_buf_puts(out, "hxxp://");
    else
        mg_buf_puts(out, "fxp://");
}

/* Writes the host with every dot that separates labels as [.]; a final
 * dot is left alone. */
static void write_host(const uint8_t *p, size_t len, size_t h, size_t end, struct mg_buf *out)
{
    size_t i = h;
    while (i < end) {
        size_t k = i;
        uint32_t c = next_cp(p, len, &k);
        if (k == i)
            break;
        if (is_dot(c) && k < end)
            mg_buf_puts(out, "[.]");
        else
            mg_buf_append(out, p + i, k - i);
        i = k;
    }
}

bool mg_urls_rewrite(const uint8_t *p, size_t len, enum mg_urls_mode mode,
                     const char *removed, struct mg_buf *out, size_t *count)
{
    size_t n = 0, i = 0;
    struct mg_url_span sp;
    if (count != NULL)
        *count = 0;
    if (len == 0)                   /* p may be NULL (an empty buffer) */
        return !mg_buf_failed(out);
    /* Defanging needs only scheme and host; not measuring the path keeps
     * nested links ("http://a/http://a/...") linear. */
    while (mode != MG_URLS_KEEP && i < len &&
           find_from(p, len, i, mode == MG_URLS_REMOVE, &sp)) {
        mg_buf_append(out, p + i, sp.start - i);
        n++;
        if (mode == MG_URLS_REMOVE) {
            mg_buf_puts(out, removed != NULL ? removed : "[URL removed]");
            i = sp.end;
            continue;
        }
        /* Defang scheme and host, then go on scanning from the path: a link
         * inside a link ("?u=http://evil.example") is defanged too, in one
         * linear pass. */
        write_scheme(sp.scheme, out);
        write_host(p, len, sp.host_start, sp.host_end, out);
        i = sp.host_end;
    }
    mg_buf_append(out, p + i, len - i);
    if (count != NULL)
        *count = n;
    return !mg_buf_failed(out);
}
