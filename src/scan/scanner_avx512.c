/* AVX-512BW prefilter: the Teddy-style nibble test of scanner_sse42.c at 64
 * positions per round (the 16-entry tables repeated in all four 128-bit
 * lanes, as vpshufb works per lane). */
#include "scan/scanner_int.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

enum { LANES = 64 };

/* Candidate positions among the LANES starting at p (p[0 .. LANES + 4] readable). */
__attribute__((target("avx512f,avx512bw")))
static inline uint64_t teddy(const __m512i t[2][2 * MG_TEDDY_W], const uint8_t *p)
{
    const __m512i nib = _mm512_set1_epi8(0x0f);
    __m512i m[2] = { _mm512_set1_epi8(-1), _mm512_set1_epi8(-1) };
    for (int j = 0; j < MG_TEDDY_W; j++) {
        __m512i v = _mm512_loadu_si512((const void *)(p + j));
        __m512i lo = _mm512_and_si512(v, nib), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
        for (int b = 0; b < 2; b++)
            m[b] = _mm512_and_si512(m[b], _mm512_and_si512(_mm512_shuffle_epi8(t[b][2 * j], lo), _mm512_shuffle_epi8(t[b][2 * j + 1], hi)));
    }
    return _mm512_test_epi8_mask(_mm512_or_si512(m[0], m[1]), _mm512_or_si512(m[0], m[1]));
}

__attribute__((target("avx512f,avx512bw")))
int mg_scan_core_avx512(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    __m512i t[2][2 * MG_TEDDY_W];
    for (int b = 0; b < 2; b++)
        for (int j = 0; j < 2 * MG_TEDDY_W; j++)
            t[b][j] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)s->nib[b][j]));
    size_t i = 0;
    int rc;
    for (; i + LANES + MG_TEDDY_W - 1 <= len; i += LANES)
        if ((rc = mg_scan_candidates(c, buf, len, i, teddy((const __m512i (*)[2 * MG_TEDDY_W])t, buf + i))) != 0)
            return rc;
    /* The rest (fewer than LANES + MG_TEDDY_W - 1 bytes) through a zero-padded
     * copy; a true anchor lies wholly inside buf, so the padding cannot hide it. */
    uint8_t tmp[2 * LANES + 2 * MG_TEDDY_W];
    size_t rest = len - i;
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, buf + i, rest);
    for (size_t k = 0; k + 1 < rest; k += LANES)
        if ((rc = mg_scan_candidates(c, buf, len, i + k, teddy((const __m512i (*)[2 * MG_TEDDY_W])t, tmp + k))) != 0)
            return rc;
    return s->has_single ? mg_scan_singles(c, buf, len) : 0;
}
#else
/* Not x86: never selected (mg_scanner_impl_supported says no). */
int mg_scan_core_avx512(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    return mg_scan_core_scalar(c, buf, len);
}
#endif
