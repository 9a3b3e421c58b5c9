/* SSE4.2 (SSSE3 shuffles) prefilter: a Teddy-style test of the anchor pair
 * at 16 positions at once. Each byte's low and high nibble select a bucket
 * mask from a 16-entry table (pshufb); a position survives when some bucket
 * accepts all four nibbles of the pair. Survivors are checked against the
 * exact bitmap and verified. Buckets group anchors by their first byte, so
 * the filter is tight on the first byte and loose on the second. */
#include "scan/scanner_int.h"

#include <immintrin.h>

__attribute__((target("sse4.2,ssse3")))
int mg_scan_core_sse42(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    size_t i = 0;
    const __m128i lo0 = _mm_loadu_si128((const __m128i *)s->lo0);
    const __m128i hi0 = _mm_loadu_si128((const __m128i *)s->hi0);
    const __m128i lo1 = _mm_loadu_si128((const __m128i *)s->lo1);
    const __m128i hi1 = _mm_loadu_si128((const __m128i *)s->hi1);
    const __m128i nib = _mm_set1_epi8(0x0f);
    const __m128i zero = _mm_setzero_si128();
    for (; i + 17 <= len; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(buf + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(buf + i + 1));
        __m128i m = _mm_and_si128(_mm_shuffle_epi8(lo0, _mm_and_si128(a, nib)),
                                  _mm_shuffle_epi8(hi0, _mm_and_si128(_mm_srli_epi16(a, 4), nib)));
        m = _mm_and_si128(m, _mm_shuffle_epi8(lo1, _mm_and_si128(b, nib)));
        m = _mm_and_si128(m, _mm_shuffle_epi8(hi1, _mm_and_si128(_mm_srli_epi16(b, 4), nib)));
        unsigned cand = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(m, zero)) & 0xffffu;
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
