/* A minimal zip writer: entries are added whole (the caller has the bytes),
 * deflated or stored, with sizes and CRCs known before the local header, so
 * no data descriptors. zip64 records appear only when a size, an offset or
 * the entry count needs them. Fixed timestamps make output reproducible. */
#ifndef MG_SANITIZERS_ZIP_WRITE_H
#define MG_SANITIZERS_ZIP_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/sink.h"

struct mg_zipw {
    struct mg_sink *out;
    uint64_t off;           /* bytes written so far */
    struct mg_buf cd;       /* central directory, appended at finish */
    uint64_t n;
    bool failed;            /* sticky */
};

void mg_zipw_init(struct mg_zipw *w, struct mg_sink *out);
/* Adds one entry; deflate chooses deflate (falls back to stored when that is
 * not smaller). name must be a valid, unique entry name (not checked here). */
bool mg_zipw_add(struct mg_zipw *w, const char *name, const uint8_t *data, size_t len,
                 bool deflate);
/* Writes the central directory and end records. */
bool mg_zipw_finish(struct mg_zipw *w);
void mg_zipw_free(struct mg_zipw *w);

#endif
