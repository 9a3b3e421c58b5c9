/* AVX2 prefilter: the Teddy-style nibble test of scanner_sse42.c at 32
 * positions per round (the 16-entry tables are repeated in both 128-bit
 * lanes, as vpshufb works per lane). */
#include "scan/scanner_int.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

enum { LANES = 32 };

/* Candidate positions among the LANES starting at p (p[0 .. LANES + 4] readable). */
__attribute__((target("avx2")))
static inline uint32_t teddy(const __m256i t[2][2 * MG_TEDDY_W], const uint8_t *p)
{
    const __m256i nib = _mm256_set1_epi8(0x0f);
    __m256i m[2] = { _mm256_set1_epi8(-1), _mm256_set1_epi8(-1) };
    for (int j = 0; j < MG_TEDDY_W; j++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + j));
        __m256i lo = _mm256_and_si256(v, nib), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
        for (int b = 0; b < 2; b++)
            m[b] = _mm256_and_si256(m[b], _mm256_and_si256(_mm256_shuffle_epi8(t[b][2 * j], lo), _mm256_shuffle_epi8(t[b][2 * j + 1], hi)));
    }
    return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_or_si256(m[0], m[1]), _mm256_setzero_si256()));
}

__attribute__((target("avx2")))
int mg_scan_core_avx2(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    __m256i t[2][2 * MG_TEDDY_W];
    for (int b = 0; b < 2; b++)
        for (int j = 0; j < 2 * MG_TEDDY_W; j++)
            t[b][j] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)s->nib[b][j]));
    size_t i = 0;
    int rc;
    for (; i + LANES + MG_TEDDY_W - 1 <= len; i += LANES)
        if ((rc = mg_scan_candidates(c, buf, len, i, teddy((const __m256i (*)[2 * MG_TEDDY_W])t, buf + i))) != 0)
            return rc;
    /* The rest (fewer than LANES + MG_TEDDY_W - 1 bytes) through a zero-padded
     * copy; a true anchor lies wholly inside buf, so the padding cannot hide it. */
    uint8_t tmp[2 * LANES + 2 * MG_TEDDY_W];
    size_t rest = len - i;
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, buf + i, rest);
    for (size_t k = 0; k + 1 < rest; k += LANES)
        if ((rc = mg_scan_candidates(c, buf, len, i + k, teddy((const __m256i (*)[2 * MG_TEDDY_W])t, tmp + k))) != 0)
            return rc;
    return s->has_single ? mg_scan_singles(c, buf, len) : 0;
}
#else
/* Not x86: never selected (mg_scanner_impl_supported says no). */
int mg_scan_core_avx2(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    return mg_scan_core_scalar(c, buf, len);
}
#endif
