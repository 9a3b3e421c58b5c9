/* Fuzz harness: base64 and quoted-printable decoding of arbitrary input must
 * give the same bytes and the same invalid count whatever the implementation
 * (scalar, SSE4.2/SSE2, AVX2) and wherever the input is split, and never write
 * past the documented output bound (ASan checks the exact-size buffers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/decode.h"

static uint8_t *b64_run(enum mg_decode_impl impl, const uint8_t *in, size_t len, size_t step,
                        size_t *outlen, uint64_t *invalid)
{
    struct mg_b64 d;
    mg_b64_init(&d);
    d.impl = impl;
    uint8_t *out = malloc(MG_B64_OUT_MAX(len) + 3 * (len / (step ? step : 1) + 2));
    if (!out)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t c = step && len - i > step ? step : len - i;
        uint8_t *tmp = malloc(MG_B64_OUT_MAX(c));   /* exact bound per feed */
        if (!tmp)
            abort();
        size_t n = mg_b64_feed(&d, in + i, c, tmp);
        if (n > MG_B64_OUT_MAX(c))
            abort();
        memcpy(out + o, tmp, n);
        free(tmp);
        o += n;
        i += c;
    }
    uint8_t fin[3];
    size_t n = mg_b64_finish(&d, fin);
    memcpy(out + o, fin, n);
    *outlen = o + n;
    *invalid = d.invalid;
    return out;
}

static uint8_t *qp_run(enum mg_decode_impl impl, const uint8_t *in, size_t len, size_t step, size_t *outlen,
                       uint64_t *invalid)
{
    struct mg_qp d;
    mg_qp_init(&d);
    d.impl = impl;
    uint8_t *out = malloc(len + (len / (step ? step : 1) + 2) * MG_QP_OUT_MAX(0));
    if (!out)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t c = step && len - i > step ? step : len - i;
        uint8_t *tmp = malloc(MG_QP_OUT_MAX(c));
        if (!tmp)
            abort();
        size_t n = mg_qp_feed(&d, in + i, c, tmp);
        if (n > MG_QP_OUT_MAX(c))
            abort();
        memcpy(out + o, tmp, n);
        free(tmp);
        o += n;
        i += c;
    }
    uint8_t *tmp = malloc(MG_QP_OUT_MAX(0));
    if (!tmp)
        abort();
    size_t n = mg_qp_finish(&d, tmp);
    memcpy(out + o, tmp, n);
    free(tmp);
    *outlen = o + n;
    *invalid = d.invalid;
    return out;
}

typedef uint8_t *(*run_fn)(enum mg_decode_impl impl, const uint8_t *in, size_t len, size_t step,
                           size_t *outlen, uint64_t *invalid);

/* Every implementation the CPU has, whole and split every `step` bytes,
 * gives the scalar decoder's bytes and invalid count. */
static void check_impls(run_fn run, const uint8_t *data, size_t size, size_t step, size_t max_out)
{
    static const enum mg_decode_impl impls[] = { MG_DECODE_SCALAR, MG_DECODE_SSE42, MG_DECODE_AVX2 };
    size_t rl, l;
    uint64_t rinv, inv;
    uint8_t *ref = run(MG_DECODE_SCALAR, data, size, 0, &rl, &rinv);
    if (rl > max_out)
        abort();
    for (size_t k = 0; k < 3; k++) {
        if (!mg_decode_impl_supported(impls[k]))
            continue;
        for (size_t s = 0; s < 2; s++) {
            uint8_t *o = run(impls[k], data, size, s ? step : 0, &l, &inv);
            if (l != rl || inv != rinv || memcmp(o, ref, l) != 0)
                abort();
            free(o);
        }
    }
    free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    size_t step = 1 + data[0] % 97;
    data++;
    size--;
    check_impls(b64_run, data, size, step, MG_B64_OUT_MAX(size) + 3);
    check_impls(qp_run, data, size, step, size);
    return 0;
}
