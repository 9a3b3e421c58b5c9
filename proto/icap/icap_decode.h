/* HTTP Content-Encoding decoding before the engine sees a body: gzip,
 * x-gzip, deflate (zlib or raw), br (when built with libbrotli), identity.
 * The output is bounded (a decompression bomb stops at max); trailing
 * bytes after the compressed stream are an error (fail closed).
 * mg_icap_decode runs in a sandboxed worker (src/sandbox/xform.c, called
 * through mg_sandbox_transform), never in the serving process. */
#ifndef MG_ICAP_DECODE_H
#define MG_ICAP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spool.h"

enum mg_icap_dec_rc {
    MG_ICAP_DEC_OK = 0,
    MG_ICAP_DEC_UNSUPPORTED,   /* an encoding we cannot decode */
    MG_ICAP_DEC_BAD,           /* corrupt or trailing data */
    MG_ICAP_DEC_OVER,          /* decoded size over max */
    MG_ICAP_DEC_NOMEM,         /* spool or allocation failure */
};

/* Is the Content-Encoding value one we decode: at most one encoding
 * besides identity (layered encodings are refused; no browser-facing
 * server sends them), and a supported one? */
bool mg_icap_encodings_supported(const char *value);
/* Decodes in by the Content-Encoding value into out. */
enum mg_icap_dec_rc mg_icap_decode(const char *value, const uint8_t *in, size_t len,
                                   struct mg_spool *out, uint64_t max);
bool mg_icap_have_brotli(void);

#endif
