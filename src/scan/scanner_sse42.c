/* SSE4.2 (SSSE3 shuffles) prefilter: a Teddy-style test of the six anchor
 * bytes at 16 positions at once. Each byte's low and high nibble select a
 * bucket mask from a 16-entry table (pshufb); a position survives when some
 * bucket accepts all twelve nibbles. Two banks of 8 buckets. Survivors go
 * through the exact pair bitmap, the folded anchor hash and verification
 * (scanner.c). The last bytes of a buffer are copied to a zero-padded block
 * so that they are filtered the same way (streams feed many small chunks). */
#include "scan/scanner_int.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

enum { LANES = 16 };

/* Candidate positions among the LANES starting at p (p[0 .. LANES + 4] readable). */
__attribute__((target("sse4.2,ssse3")))
static inline uint32_t teddy(const __m128i t[2][2 * MG_TEDDY_W], const uint8_t *p)
{
    const __m128i nib = _mm_set1_epi8(0x0f);
    __m128i m[2] = { _mm_set1_epi8(-1), _mm_set1_epi8(-1) };
    for (int j = 0; j < MG_TEDDY_W; j++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + j));
        __m128i lo = _mm_and_si128(v, nib), hi = _mm_and_si128(_mm_srli_epi16(v, 4), nib);
        for (int b = 0; b < 2; b++)
            m[b] = _mm_and_si128(m[b], _mm_and_si128(_mm_shuffle_epi8(t[b][2 * j], lo), _mm_shuffle_epi8(t[b][2 * j + 1], hi)));
    }
    return ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(m[0], m[1]), _mm_setzero_si128())) & 0xffffu;
}

__attribute__((target("sse4.2,ssse3")))
int mg_scan_core_sse42(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    __m128i t[2][2 * MG_TEDDY_W];
    for (int b = 0; b < 2; b++)
        for (int j = 0; j < 2 * MG_TEDDY_W; j++)
            t[b][j] = _mm_loadu_si128((const __m128i *)s->nib[b][j]);
    size_t i = 0;
    int rc;
    for (; i + LANES + MG_TEDDY_W - 1 <= len; i += LANES)
        if ((rc = mg_scan_candidates(c, buf, len, i, teddy((const __m128i (*)[2 * MG_TEDDY_W])t, buf + i))) != 0)
            return rc;
    /* The rest (fewer than LANES + MG_TEDDY_W - 1 bytes) through a zero-padded
     * copy; a true anchor lies wholly inside buf, so the padding cannot hide it. */
    uint8_t tmp[2 * LANES + 2 * MG_TEDDY_W];
    size_t rest = len - i;
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, buf + i, rest);
    for (size_t k = 0; k + 1 < rest; k += LANES)
        if ((rc = mg_scan_candidates(c, buf, len, i + k, teddy((const __m128i (*)[2 * MG_TEDDY_W])t, tmp + k))) != 0)
            return rc;
    return s->has_single ? mg_scan_singles(c, buf, len) : 0;
}
#else
/* Not x86: never selected (mg_scanner_impl_supported says no). */
int mg_scan_core_sse42(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    return mg_scan_core_scalar(c, buf, len);
}
#endif
