/* AVX2 filter: the exact 64 Kibit pair bitmap tested at 32 positions per
 * round with 4 gathers of 8 words, so there are no false candidates beyond
 * the bitmap's own. */
#include "scan/scanner_int.h"

#include <immintrin.h>

__attribute__((target("avx2")))
int mg_scan_core_avx2(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    const int *bm = (const int *)s->bitmap;
    const __m256i m31 = _mm256_set1_epi32(31);
    size_t i = 0;
    for (; i + 33 <= len; i += 32) {
        uint32_t hits = 0;
        for (unsigned g = 0; g < 4; g++) {
            __m256i a = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(buf + i + 8 * g)));
            __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(buf + i + 8 * g + 1)));
            __m256i idx = _mm256_or_si256(a, _mm256_slli_epi32(b, 8));
            __m256i w = _mm256_i32gather_epi32(bm, _mm256_srli_epi32(idx, 5), 4);
            __m256i t = _mm256_sllv_epi32(w, _mm256_sub_epi32(m31, _mm256_and_si256(idx, m31)));
            hits |= (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(t)) << (8 * g);
        }
        while (hits) {
            unsigned j = (unsigned)__builtin_ctz(hits);
            hits &= hits - 1;
            int rc = mg_scan_verify_pair(c, buf, len, i + j);
            if (rc)
                return rc;
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
