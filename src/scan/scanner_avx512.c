/* AVX-512BW prefilter: the Teddy-style nibble test of scanner_sse42.c at 64
 * positions per round (the 16-entry tables repeated in all four 128-bit
 * lanes, as vpshufb works per lane). */
#include "scan/scanner_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx512f,avx512bw")))
int mg_scan_core_avx512(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    __m512i t[2][2 * MG_TEDDY_W];
    for (int j = 0; j < 2 * 2 * MG_TEDDY_W; j++)
        t[j / (2 * MG_TEDDY_W)][j % (2 * MG_TEDDY_W)] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)s->nib[j / (2 * MG_TEDDY_W)][j % (2 * MG_TEDDY_W)]));
    const __m512i nib = _mm512_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 64 + MG_TEDDY_W - 1 <= len; i += 64) {
        __m512i m = _mm512_set1_epi8(-1), m2 = m;
        for (int j = 0; j < MG_TEDDY_W; j++) {
            __m512i v = _mm512_loadu_si512((const void *)(buf + i + (size_t)j));
            m = _mm512_and_si512(m, _mm512_and_si512(_mm512_shuffle_epi8(t[0][2 * j], _mm512_and_si512(v, nib)),
                          _mm512_shuffle_epi8(t[0][2 * j + 1], _mm512_and_si512(_mm512_srli_epi16(v, 4), nib))));
            m2 = _mm512_and_si512(m2, _mm512_and_si512(_mm512_shuffle_epi8(t[1][2 * j], _mm512_and_si512(v, nib)),
                          _mm512_shuffle_epi8(t[1][2 * j + 1], _mm512_and_si512(_mm512_srli_epi16(v, 4), nib))));
        }
        uint64_t cand = _mm512_test_epi8_mask(_mm512_or_si512(m, m2), _mm512_or_si512(m, m2));
        while (cand) {
            unsigned j = (unsigned)__builtin_ctzll(cand);
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
int mg_scan_core_avx512(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    return mg_scan_core_scalar(c, buf, len);
}
#endif
