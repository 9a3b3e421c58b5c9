/* Where rebuilt bytes go. A sink is a write callback plus its state, so a
 * sanitizer can write into a spool, a socket or a test buffer alike. */
#ifndef MG_CORE_SINK_H
#define MG_CORE_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/spool.h"

struct mg_sink {
    bool (*write)(void *ctx, const void *data, size_t len);
    void *ctx;
    size_t written;
    bool failed; /* sticky */
};

void mg_sink_init_spool(struct mg_sink *s, struct mg_spool *sp);
void mg_sink_init_buf(struct mg_sink *s, struct mg_buf *b);
bool mg_sink_write(struct mg_sink *s, const void *data, size_t len);
bool mg_sink_puts(struct mg_sink *s, const char *str);

#endif
