#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mg_buf_init(struct mg_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void mg_buf_free(struct mg_buf *b)
{
    free(b->data);
    mg_buf_init(b);
}

void mg_buf_set_limit(struct mg_buf *b, size_t limit)
{
    b->limit = limit;
}

void mg_buf_reset(struct mg_buf *b)
{
    b->len = 0;
    b->failed = false;
}

bool mg_buf_reserve(struct mg_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > SIZE_MAX - b->len - 1 ||
        (b->limit != 0 && b->len + extra > b->limit)) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1; /* room for a terminating NUL */
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool mg_buf_append(struct mg_buf *b, const void *data, size_t len)
{
    if (len == 0)
        return !b->failed;
    if (!mg_buf_reserve(b, len))
        return false;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return true;
}

bool mg_buf_putc_slow(struct mg_buf *b, uint8_t c)
{
    return mg_buf_append(b, &c, 1);
}

bool mg_buf_puts(struct mg_buf *b, const char *s)
{
    return mg_buf_append(b, s, strlen(s));
}

bool mg_buf_printf(struct mg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !mg_buf_reserve(b, (size_t)n)) {
        b->failed = true;
        return false;
    }
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

const char *mg_buf_cstr(struct mg_buf *b)
{
    if (b->data == NULL && !mg_buf_reserve(b, 0))
        return "";
    if (b->data == NULL)
        return "";
    b->data[b->len] = '\0';
    return (const char *)b->data;
}

uint8_t *mg_buf_steal(struct mg_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    mg_buf_init(b);
    return p;
}
