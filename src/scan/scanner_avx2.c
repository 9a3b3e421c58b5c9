/* AVX2 prefilter: the Teddy-style three-byte nibble test of scanner_sse42.c
 * at 32 positions per round (the 16-entry tables are repeated in both
 * 128-bit lanes, as vpshufb works per lane). */
#include "scan/scanner_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2")))
int mg_scan_core_avx2(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    __m256i t[2][2 * MG_TEDDY_W];
    for (int j = 0; j < 2 * 2 * MG_TEDDY_W; j++)
        t[j / (2 * MG_TEDDY_W)][j % (2 * MG_TEDDY_W)] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)s->nib[j / (2 * MG_TEDDY_W)][j % (2 * MG_TEDDY_W)]));
    const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 + MG_TEDDY_W - 1 <= len; i += 32) {
        __m256i m = _mm256_set1_epi8(-1), m2 = m;
        for (int j = 0; j < MG_TEDDY_W; j++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(buf + i + (size_t)j));
            m = _mm256_and_si256(m, _mm256_and_si256(_mm256_shuffle_epi8(t[0][2 * j], _mm256_and_si256(v, nib)),
                          _mm256_shuffle_epi8(t[0][2 * j + 1], _mm256_and_si256(_mm256_srli_epi16(v, 4), nib))));
            m2 = _mm256_and_si256(m2, _mm256_and_si256(_mm256_shuffle_epi8(t[1][2 * j], _mm256_and_si256(v, nib)),
                          _mm256_shuffle_epi8(t[1][2 * j + 1], _mm256_and_si256(_mm256_srli_epi16(v, 4), nib))));
        }
        uint32_t cand = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_or_si256(m, m2), zero));
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
int mg_scan_core_avx2(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    return mg_scan_core_scalar(c, buf, len);
}
#endif
