#include "sanitizers/html/html_out.h"

#include <string.h>

#include "core/utf8.h"

/* At most this many owed newlines are written outside <pre>: browsers
 * collapse margins, and runs of <br> should not amplify the output. */
#define MAX_BREAKS 3

void mg_html_out_init(struct mg_html_out *o, struct mg_buf *buf, struct mg_html_stats *st,
                      mg_html_prefix_fn prefix, void *prefix_ctx)
{
    memset(o, 0, sizeof(*o));
    o->buf = buf;
    o->st = st;
    o->prefix = prefix;
    o->prefix_ctx = prefix_ctx;
    o->at_line_start = true;
    o->line_start = buf->len;
}

/* East Asian wide characters: a line break in the source between two of
 * them is not a space (CSS Text 3, segment break transformation), so
 * Japanese wrapped in the HTML source is joined back without gaps. */
bool mg_html_is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

static void put(struct mg_html_out *o, const void *p, size_t n)
{
    mg_buf_append(o->buf, p, n);
}

static void put_capture(struct mg_html_out *o, const void *p, size_t n)
{
    if (o->capture != NULL)
        mg_buf_append(o->capture, p, n);
}

static void trim_line(struct mg_html_out *o)
{
    while (o->buf->len > o->line_start && o->buf->data[o->buf->len - 1] == ' ')
        o->buf->len--;
}

static void end_line(struct mg_html_out *o)
{
    trim_line(o);
    put(o, "\n", 1);
    o->line_start = o->buf->len;
}

/* Settles what is owed (line breaks, prefix, separator, spaces) before a
 * content character cp. */
static void begin_content(struct mg_html_out *o, uint32_t cp)
{
    if (o->nl_pending > 0 && o->content_count > 0) {
        end_line(o);
        for (size_t i = 1; i < o->nl_pending && !mg_buf_failed(o->buf); i++) {
            if (o->prefix != NULL)
                o->prefix(o->prefix_ctx, o->buf, true);
            end_line(o);
        }
        o->at_line_start = true;
    }
    o->nl_pending = 0;
    if (o->at_line_start) {
        if (o->prefix != NULL)
            o->prefix(o->prefix_ctx, o->buf, false);
        o->line_start = o->buf->len;
        o->at_line_start = false;
        } else if (o->cell_sep) {
        put(o, " | ", 3);
        put_capture(o, " ", 1);
    } else if (o->soft_space &&
               !(o->soft_nl && mg_html_is_wide(o->last_cp) && mg_html_is_wide(cp))) {
        put(o, " ", 1);
        put_capture(o, " ", 1);
    }
    o->soft_space = false;
    o->soft_nl = false;
    o->cell_sep = false;
    for (; o->hard_spaces > 0; o->hard_spaces--) {
        put(o, " ", 1);
        put_capture(o, " ", 1);
    }
}

void mg_html_out_break(struct mg_html_out *o, size_t n)
{
    if (n > o->nl_pending)
        o->nl_pending = n;
    o->soft_space = false;
    o->hard_spaces = 0;
}

void mg_html_out_br(struct mg_html_out *o)
{
    if (o->nl_pending < MAX_BREAKS)
        o->nl_pending++;
    o->soft_space = false;
    o->hard_spaces = 0;
}

void mg_html_out_space(struct mg_html_out *o)
{
    o->soft_space = true;
}

static void content_cp(struct mg_html_out *o, const uint8_t *p, size_t n, uint32_t cp)
{
    begin_content(o, cp);
    put(o, p, n);
    put_capture(o, p, n);
    o->last_cp = cp;
    o->content_count++;
}

void mg_html_out_text(struct mg_html_out *o, const uint8_t *s, size_t len, bool pre)
{
    size_t i = 0;
    while (i < len && !mg_buf_failed(o->buf)) {
        uint32_t cp;
        size_t n = mg_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {                             /* cannot happen after decoding; drop */
            o->st->controls++;
            i++;
            continue;
        }
        const uint8_t *p = s + i;
        i += n;
        if (cp == '\n' || cp == '\r' || cp == '\t' || cp == ' ' || cp == '\f') {
            if (!pre) {
                o->soft_space = true;
                if (cp == '\n' || cp == '\r')
                    o->soft_nl = true;
            } else if (cp == '\n') {
                if (o->nl_pending > 0 || o->at_line_start)
                    o->nl_pending++;
                else
                    o->nl_pending = 1;
                o->hard_spaces = 0;
            } else if (cp == ' ' || cp == '\t') {
                content_cp(o, p, n, cp);
            }                                     /* \r and \f in pre: dropped */
            continue;
        }
        /* Controls, and the bidi overrides that disguise names and links
         * (the same set as the text sanitizer strips). */
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069)) {
            o->st->controls++;
            continue;
        }
        if (cp == 0xA0) {
            if (pre)
                content_cp(o, (const uint8_t *)" ", 1, ' ');
            else if (o->hard_spaces < 256)
                o->hard_spaces++;
            continue;
        }
        content_cp(o, p, n, cp);
    }
}

void mg_html_out_literal(struct mg_html_out *o, const char *s, size_t len)
{
    if (len == 0)
        return;
    uint32_t cp = (uint8_t)s[0];
    if (cp >= 0x80)
        (void)mg_utf8_decode((const uint8_t *)s, len, &cp);
    begin_content(o, cp);
    put(o, s, len);
    put_capture(o, s, len);
    o->last_cp = '.';                             /* not wide, not '<' */
    o->content_count++;
}

void mg_html_out_finish(struct mg_html_out *o)
{
    if (o->content_count > 0)
        end_line(o);
}

/* Would an HTML tokenizer start markup at p[0] == '<'? "<!", "<?", and
 * "<name" or "</name" where name is a plain tag name ending the way a tag
 * name ends. "<sato@example.jp>" and our own "<https://...>" are not. */
static bool opens_markup(const uint8_t *p, size_t n)
{
    if (n < 2)
        return false;
    if (p[1] == '!' || p[1] == '?')
        return true;
    size_t i = p[1] == '/' ? 2 : 1;
    if (i >= n || !((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'))
        return false;
    while (i < n && (((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') ||
                     (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
        i++;
    return i == n || p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\f' ||
           p[i] == '\r' || p[i] == '/' || p[i] == '>';
}

bool mg_html_out_neutralize(struct mg_buf *b, size_t start, size_t *count)
{
    size_t first = SIZE_MAX;
    for (size_t i = start; i < b->len; i++) {
        if (b->data[i] == '<' && opens_markup(b->data + i, b->len - i)) {
            first = i;
            break;
        }
    }
    if (first == SIZE_MAX)
        return true;
    struct mg_buf tail;
    mg_buf_init(&tail);
    if (!mg_buf_append(&tail, b->data + first, b->len - first)) {
        mg_buf_free(&tail);
        return false;
    }
    b->len = first;
    size_t run = 0;
    for (size_t i = 0; i < tail.len; i++) {
        if (tail.data[i] == '<' && opens_markup(tail.data + i, tail.len - i)) {
            mg_buf_append(b, tail.data + run, i - run);
            mg_buf_append(b, "\xEF\xBC\x9C", 3);  /* U+FF1C FULLWIDTH LESS-THAN SIGN */
            run = i + 1;
            (*count)++;
        }
    }
    mg_buf_append(b, tail.data + run, tail.len - run);
    mg_buf_free(&tail);
    return !mg_buf_failed(b);
}
