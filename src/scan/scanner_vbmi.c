/* AVX-512 VBMI prefilter, 64 positions per round. Where the nibble filter
 * (scanner_avx512.c) needs two vpshufb per byte and bank and so six anchor
 * bytes to be selective, this one looks up each byte's class (the byte
 * without its case bit, 7 bits) in a 128-entry table with one vpermi2b per
 * bank: exact per byte up to case, so MG_VBMI_W = 5 anchor bytes suffice.
 * Classes are computed once per byte into a 4 KiB-block buffer, candidate
 * masks are kept for the whole block and handled after it. Masked loads at
 * the end of a buffer: no copy, no read past the end. */
#include "scan/scanner_int.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define VBMI_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))

struct vtab {
    __m512i lo[2][MG_VBMI_W], hi[2][MG_VBMI_W];
};

VBMI_TARGET
static inline __m512i class_of(__m512i v)
{
    /* bits 0-4 from v, bits 5-7 from v >> 1 (bit 7 is ignored by vpermi2b) */
    return _mm512_ternarylogic_epi32(v, _mm512_srli_epi16(v, 1), _mm512_set1_epi8(0x1f), 0xE4);
}

/* Candidate positions among the 64 whose classes start at cp (cp[0 ..
 * 64 + MG_VBMI_W - 1) readable). */
VBMI_TARGET
static inline uint64_t filter_cls(const struct vtab *t, const uint8_t *cp)
{
    __m512i m0 = _mm512_set1_epi8(-1), m1 = _mm512_set1_epi8(-1);
    for (int j = 0; j < MG_VBMI_W; j++) {
        __m512i c = _mm512_loadu_si512((const void *)(cp + j));
        m0 = _mm512_and_si512(m0, _mm512_permutex2var_epi8(t->lo[0][j], c, t->hi[0][j]));
        m1 = _mm512_and_si512(m1, _mm512_permutex2var_epi8(t->lo[1][j], c, t->hi[1][j]));
    }
    return _mm512_test_epi8_mask(_mm512_or_si512(m0, m1), _mm512_or_si512(m0, m1));
}

VBMI_TARGET
int mg_scan_core_vbmi(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    struct vtab t;
    for (int b = 0; b < 2; b++)
        for (int j = 0; j < MG_VBMI_W; j++) {
            t.lo[b][j] = _mm512_loadu_si512((const void *)s->cls[b][j]);
            t.hi[b][j] = _mm512_loadu_si512((const void *)(s->cls[b][j] + 64));
        }
    size_t i = 0;
    int rc;
    /* Filter up to 64 blocks (4 KiB) with no branch but the loop's, keeping
     * the masks, then handle the candidates. A data-dependent branch inside
     * the vector loop costs far more than its misprediction: it throws away
     * the blocks already in flight (measured: ~150 cycles per candidate). */
    uint64_t masks[64];
    uint8_t cb[64 * 65] __attribute__((aligned(64)));
    while (i + 1 < len) {
        size_t nb = (len - 1 - i + 63) / 64;   /* blocks with a position that has a next byte */
        if (nb > 64)
            nb = 64;
        /* Classes once per byte (the filter reads each byte MG_VBMI_W
         * times), by masked loads: lanes past the end are zero bytes. Those
         * cannot hide a true anchor (it lies wholly inside buf); candidates
         * they cause are dropped by mg_scan_candidates() and the verification,
         * which check against len. */
        for (size_t b = 0; b <= nb; b++) {
            size_t o = i + 64 * b, n = o < len ? len - o : 0;
            __mmask64 k = n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
            _mm512_store_si512((void *)(cb + 64 * b), class_of(_mm512_maskz_loadu_epi8(k, buf + (o < len ? o : 0))));
        }
        uint64_t any = 0;
        for (size_t b = 0; b < nb; b++) {
            masks[b] = filter_cls(&t, cb + 64 * b);
            any |= (uint64_t)(masks[b] != 0) << b;
        }
        while (any) {
            size_t b = (unsigned)__builtin_ctzll(any);
            any &= any - 1;
            if ((rc = mg_scan_candidates(c, buf, len, i + 64 * b, masks[b])) != 0)
                return rc;
        }
        i += 64 * nb;
    }
    return s->has_single ? mg_scan_singles(c, buf, len) : 0;
}
#else
/* Not x86: never selected (mg_scanner_impl_supported says no). */
int mg_scan_core_vbmi(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    return mg_scan_core_scalar(c, buf, len);
}
#endif
