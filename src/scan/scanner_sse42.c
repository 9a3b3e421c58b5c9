/* SSE4.2 (SSSE3 shuffles) prefilter: a Teddy-style test of the three anchor
 * bytes at 16 positions at once. Each byte's low and high nibble select a
 * bucket mask from a 16-entry table (pshufb); a position survives when some
 * bucket accepts all six nibbles. Survivors go through the exact pair bitmap,
 * the folded-triple bitmap and verification (scanner.c). Buckets group
 * anchors by the low bits of their first byte. */
#include "scan/scanner_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("sse4.2,ssse3")))
int mg_scan_core_sse42(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    __m128i t[2][2 * MG_TEDDY_W];
    for (int j = 0; j < 2 * 2 * MG_TEDDY_W; j++)
        t[j / (2 * MG_TEDDY_W)][j % (2 * MG_TEDDY_W)] = _mm_loadu_si128((const __m128i *)s->nib[j / (2 * MG_TEDDY_W)][j % (2 * MG_TEDDY_W)]);
    const __m128i nib = _mm_set1_epi8(0x0f), zero = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 + MG_TEDDY_W - 1 <= len; i += 16) {
        __m128i m = _mm_set1_epi8(-1), m2 = m;
        for (int j = 0; j < MG_TEDDY_W; j++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(buf + i + (size_t)j));
            m = _mm_and_si128(m, _mm_and_si128(_mm_shuffle_epi8(t[0][2 * j], _mm_and_si128(v, nib)),
                          _mm_shuffle_epi8(t[0][2 * j + 1], _mm_and_si128(_mm_srli_epi16(v, 4), nib))));
            m2 = _mm_and_si128(m2, _mm_and_si128(_mm_shuffle_epi8(t[1][2 * j], _mm_and_si128(v, nib)),
                          _mm_shuffle_epi8(t[1][2 * j + 1], _mm_and_si128(_mm_srli_epi16(v, 4), nib))));
        }
        unsigned cand = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(m, m2), zero)) & 0xffffu;
        while (cand) {
            unsigned j = (unsigned)__builtin_ctz(cand);
            cand &= cand - 1;
            uint32_t pair = buf[i + j] | (uint32_t)buf[i + j + 1] << 8;
            if (mg_scan_bit(s, pair)) {
                int rc = mg_scan_verify_pair(c, buf, len, i + j);
                if (rc)
                    return rc;
            }
        }
    }
    for (; i + 1 < len; i++) {
        uint32_t pair = buf[i] | (uint32_t)buf[i + 1] << 8;
        if (mg_scan_bit(s, pair)) {
            int rc = mg_scan_verify_pair(c, buf, len, i);
            if (rc)
                return rc;
        }
    }
    return s->has_single ? mg_scan_singles(c, buf, len) : 0;
}
#else
/* Not x86: never selected (mg_scanner_impl_supported says no). */
int mg_scan_core_sse42(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    return mg_scan_core_scalar(c, buf, len);
}
#endif
