/* Streaming base64 and quoted-printable decoders (push API). Input may be
 * split at any byte; the state is a few bytes. Each feed writes its output to
 * a caller buffer (no allocation) which the caller hands to the scanner or a
 * spool, so decoded bytes are touched once while still in cache.
 *
 * Both are tolerant the way MIME readers must be: line breaks and other
 * whitespace are skipped (base64), garbage is skipped or kept literally and
 * COUNTED in `invalid`; the caller decides whether a non-zero count makes the
 * part malformed (mugai blocks it: fail closed). */
#ifndef MG_SCAN_DECODE_H
#define MG_SCAN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_decode_impl { MG_DECODE_SCALAR = 0, MG_DECODE_SSE42, MG_DECODE_AVX2 };

/* Whether this CPU can run impl; the best one it can (what init picks). */
bool mg_decode_impl_supported(enum mg_decode_impl impl);
enum mg_decode_impl mg_decode_best_impl(void);

/* ---- base64 (RFC 2045 section 6.8) ---- */
struct mg_b64 {
    uint32_t acc;        /* pending 6-bit groups */
    uint8_t nacc;        /* 0..3 groups in acc */
    bool padded;         /* '=' seen: the encoded data should have ended */
    enum mg_decode_impl impl;   /* chosen by init (best the CPU has); tests may override */
    uint64_t invalid;    /* bytes outside the alphabet, whitespace and '=';
                            '=' where no padding can be; a dangling group;
                            data after padding */
};

/* Largest output of one feed of len bytes (and of finish: 0 bytes). */
#define MG_B64_OUT_MAX(len) ((len) / 4 * 3 + 3)

void mg_b64_init(struct mg_b64 *d);
/* Decodes in[0..len) into out (room for MG_B64_OUT_MAX(len)); returns bytes written. */
size_t mg_b64_feed(struct mg_b64 *d, const uint8_t *in, size_t len, uint8_t *out);
/* Ends the stream; a trailing group of 2 or 3 characters without padding is
 * decoded (tolerated), a single one counted invalid. out needs 3 bytes. */
size_t mg_b64_finish(struct mg_b64 *d, uint8_t *out);

/* ---- quoted-printable (RFC 2045 section 6.7) ---- */
#define MG_QP_WS_MAX 128
struct mg_qp {
    uint8_t state;       /* 0 normal, 1 after '=', 2 after '=X', 3 after '=' + whitespace */
    uint8_t hex1;
    uint16_t nws;        /* pending whitespace (dropped if a line break follows) */
    uint8_t ws[MG_QP_WS_MAX];
    enum mg_decode_impl impl;   /* chosen by init (best the CPU has); tests may override */
    uint64_t invalid;    /* '=' not followed by two hex digits or a line break */
};

/* Largest output of one feed of len bytes; finish writes at most MG_QP_OUT_MAX(0). */
#define MG_QP_OUT_MAX(len) ((len) + MG_QP_WS_MAX + 4)

void mg_qp_init(struct mg_qp *d);
size_t mg_qp_feed(struct mg_qp *d, const uint8_t *in, size_t len, uint8_t *out);
size_t mg_qp_finish(struct mg_qp *d, uint8_t *out);

#endif
