#include "core/sink.h"

#include <string.h>

static bool write_spool(void *ctx, const void *data, size_t len)
{
    return mg_spool_write(ctx, data, len);
}

static bool write_buf(void *ctx, const void *data, size_t len)
{
    return mg_buf_append(ctx, data, len);
}

void mg_sink_init_spool(struct mg_sink *s, struct mg_spool *sp)
{
    *s = (struct mg_sink){ .write = write_spool, .ctx = sp };
}

void mg_sink_init_buf(struct mg_sink *s, struct mg_buf *b)
{
    *s = (struct mg_sink){ .write = write_buf, .ctx = b };
}

bool mg_sink_write(struct mg_sink *s, const void *data, size_t len)
{
    if (s->failed)
        return false;
    if (len == 0)
        return true;
    if (!s->write(s->ctx, data, len)) {
        s->failed = true;
        return false;
    }
    s->written += len;
    return true;
}

bool mg_sink_puts(struct mg_sink *s, const char *str)
{
    return mg_sink_write(s, str, strlen(str));
}
