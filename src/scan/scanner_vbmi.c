/* AVX-512 VBMI prefilter, 64 positions per round. Where the nibble filter
 * (scanner_avx512.c) needs two vpshufb per byte and bank and so six anchor
 * bytes to be selective, this one looks up each byte in a 128-entry table
 * with one vpermi2b per bank. vpermi2b ignores bit 7 of its index, so the
 * raw bytes loaded from buf are the indexes (mg_scan_vbmi_index): a byte shares
 * its entry only with its x ^ 0x80 twin, and MG_VBMI_W = 5 anchor bytes
 * suffice. Candidate masks are kept for 64 blocks (4 KiB) and handled after
 * them. Masked loads at the end of a buffer: no copy, no read past the end. */
#include "scan/scanner_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define VBMI_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))

#ifndef PF_DIST
#define PF_DIST 2048
#endif
#ifndef PF_MIN_LEN
#define PF_MIN_LEN (4 * PF_DIST)
#endif

struct vtab {
    __m512i lo[2][MG_VBMI_W], hi[2][MG_VBMI_W];
};

/* Candidate positions among the 64 starting at p: the bytes at p + j for
 * each anchor byte j, by plain loads (whole) or by loads masked with k[j]
 * (absent lanes read as zero bytes). vpermi2b is the bottleneck (two cycles on
 * port 5 plus one more uop on port 0 or 5), so the rest is kept to as few
 * uops as possible: the ten lookups are combined by four three-input
 * ternary-logic ANDs and one OR. */
VBMI_TARGET
static inline uint64_t filter(const struct vtab *t, const uint8_t *p, const __mmask64 *k, bool whole)
{
    __m512i l[2][MG_VBMI_W];
#pragma GCC unroll 8
    for (int j = 0; j < MG_VBMI_W; j++) {
        /* (no pointer formed past buf's end: an empty mask loads from p) */
        __m512i c = whole ? _mm512_loadu_si512((const void *)(p + j))
                          : _mm512_maskz_loadu_epi8(k[j], k[j] ? p + j : p);
        /* Load each of the five vectors once for both banks: left alone,
         * gcc loads it twice (vpermi2b overwrites its index operand) and in
         * unaligned buffers every one of those ten loads splits a cache
         * line; one load and a register copy are cheaper (hot 4 KiB
         * stream: ~27 -> ~24 cycles per 64 bytes). The empty asm makes c
         * opaque so that it cannot be rematerialised as a second load. */
        __asm__("" : "+v"(c));
        l[0][j] = _mm512_permutex2var_epi8(t->lo[0][j], c, t->hi[0][j]);
        l[1][j] = _mm512_permutex2var_epi8(t->lo[1][j], c, t->hi[1][j]);
        if (!whole) {
            /* A byte past the end accepts every bucket: an anchor running
             * past buf's end stays a candidate (for the stream's seam). */
            l[0][j] = _mm512_mask_blend_epi8(k[j], _mm512_set1_epi8(-1), l[0][j]);
            l[1][j] = _mm512_mask_blend_epi8(k[j], _mm512_set1_epi8(-1), l[1][j]);
        }
    }
#if MG_VBMI_W == 5
    __m512i a0 = _mm512_ternarylogic_epi32(l[0][0], l[0][1], l[0][2], 0x80);   /* a & b & c */
    __m512i a1 = _mm512_ternarylogic_epi32(l[1][0], l[1][1], l[1][2], 0x80);
    a0 = _mm512_ternarylogic_epi32(a0, l[0][3], l[0][4], 0x80);
    a1 = _mm512_ternarylogic_epi32(a1, l[1][3], l[1][4], 0x80);
    __m512i m = _mm512_or_si512(a0, a1);
#else
    __m512i m0 = l[0][0], m1 = l[1][0];
    for (int j = 1; j < MG_VBMI_W; j++) {
        m0 = _mm512_and_si512(m0, l[0][j]);
        m1 = _mm512_and_si512(m1, l[1][j]);
    }
    __m512i m = _mm512_or_si512(m0, m1);
#endif
    return _mm512_test_epi8_mask(m, m);
}

VBMI_TARGET
int mg_scan_core_vbmi(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    struct vtab t;
#pragma GCC unroll 2
    for (int b = 0; b < 2; b++)
#pragma GCC unroll 8
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
    /* Software prefetch PF_DIST bytes ahead. Memory latency here is far
     * longer than the ~14 blocks the out-of-order window holds, and the
     * hardware prefetcher stops at each 4 KiB page: without it a block
     * scan over cold memory ran at about half its cache-hot speed. Not for
     * a lone small buffer (a cold 4 KiB chunk got slower with it), only
     * when the buffer is large. Prefetches are hints: none goes past the
     * end of buf. */
    uintptr_t pf_end = len >= PF_MIN_LEN ? (uintptr_t)buf + len : 0;
    /* The last two blocks' masks, for c->tail_cand: positions end - 128 on. */
    uint64_t last[2] = { 0, 0 };
    size_t end = 0;
    while (i + 1 < len) {
        size_t nb = (len - 1 - i + 63) / 64;   /* blocks with a position that has a next byte */
        if (nb > 64)
            nb = 64;
        uint64_t any = 0;
        size_t b = 0;
        /* Whole blocks (all 64 + MG_VBMI_W - 1 bytes inside buf). */
        for (; b < nb && i + 64 * b + 64 + MG_VBMI_W - 1 <= len; b++) {
            uintptr_t pf = (uintptr_t)buf + i + 64 * b + PF_DIST;
            if (pf < pf_end)
                _mm_prefetch((const char *)pf, _MM_HINT_T0);
            masks[b] = filter(&t, buf + i + 64 * b, NULL, true);
        }
        /* The last one or two: masked loads, no read past the end; bytes
         * past the end pass every bucket (see filter()). Candidates they
         * cause are dropped by mg_scan_candidates() and the verification,
         * which check against len. */
        for (; b < nb; b++) {
            size_t o = i + 64 * b;
            __mmask64 k[MG_VBMI_W];
            for (size_t j = 0; j < MG_VBMI_W; j++) {
                size_t n = o + j < len ? len - o - j : 0;
                k[j] = n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
            }
            masks[b] = filter(&t, buf + o, k, false);
        }
        /* Which blocks have candidates, eight masks per test: done in the
         * loop, "(masks[b] != 0) << b" took ~1 cycle per block of scalar
         * uops (a variable shift is three on Intel). */
        for (size_t g = 0; g < nb; g += 8) {
            __mmask8 km = nb - g >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (nb - g)) - 1);
            __m512i v = _mm512_maskz_loadu_epi64(km, masks + g);
            any |= (uint64_t)_mm512_test_epi64_mask(v, v) << g;
        }
        if (nb >= 2) {
            last[0] = masks[nb - 2];
            last[1] = masks[nb - 1];
        } else {
            last[0] = last[1];
            last[1] = masks[0];
        }
        end = i + 64 * nb;
        while (any) {
            size_t x = (unsigned)__builtin_ctzll(any);
            any &= any - 1;
            if ((rc = mg_scan_candidates(c, buf, len, i + 64 * x, masks[x])) != 0)
                return rc;
        }
        i += 64 * nb;
    }
    if (c->tail_cand && len >= 64) {
        /* Blocks cover every position with a next byte: end is in
         * [len - 1, len + 62], so the window's shift is in [2, 65]. The last
         * position (no next byte) is always a candidate. */
        unsigned __int128 w = (unsigned __int128)last[1] << 64 | last[0];
        *c->tail_cand = (uint64_t)(w >> (len + 64 - end)) | (uint64_t)1 << 63;
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
