/* Growable byte buffer. Owns its memory; every append is bounded by a
 * caller-supplied limit via mg_buf_set_limit (0 = SIZE_MAX). Errors are
 * sticky: once an append fails, mg_buf_failed() stays true. */
#ifndef MG_CORE_BUF_H
#define MG_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t limit;   /* maximum len; 0 means no limit */
    bool failed;    /* sticky: an append hit the limit or ran out of memory */
};

void mg_buf_init(struct mg_buf *b);
void mg_buf_free(struct mg_buf *b);
void mg_buf_set_limit(struct mg_buf *b, size_t limit);
bool mg_buf_reserve(struct mg_buf *b, size_t extra);
bool mg_buf_append(struct mg_buf *b, const void *data, size_t len);
/* Inline: text writers append byte by byte, and the call chain through
 * mg_buf_append and mg_buf_reserve showed in profiles. The fast path keeps
 * reserve's rules: room for the NUL, the limit, the sticky error. */
bool mg_buf_putc_slow(struct mg_buf *b, uint8_t c);
static inline bool mg_buf_putc(struct mg_buf *b, uint8_t c)
{
    if (!b->failed && b->len + 2 <= b->cap && (b->limit == 0 || b->len < b->limit)) {
        b->data[b->len++] = c;
        return true;
    }
    return mg_buf_putc_slow(b, c);
}
bool mg_buf_puts(struct mg_buf *b, const char *s);
bool mg_buf_printf(struct mg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminates without counting the NUL in len; returns data as char*. */
const char *mg_buf_cstr(struct mg_buf *b);
void mg_buf_reset(struct mg_buf *b);
/* Hands the memory to the caller (free() it); the buffer is reset. */
uint8_t *mg_buf_steal(struct mg_buf *b, size_t *len);
static inline bool mg_buf_failed(const struct mg_buf *b) { return b->failed; }

#endif
