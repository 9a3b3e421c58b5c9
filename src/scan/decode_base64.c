/* Streaming base64 decoder: a scalar table loop plus SSE4.2/AVX2 blocks that
 * decode 16/32 characters at once while the input is pure alphabet (the bulk
 * of every MIME line), falling back to the scalar loop at line breaks,
 * padding and garbage. The vector decoding is W. Muła's and D. Lemire's
 * ("Faster Base64 Encoding and Decoding Using AVX2 Instructions", 2018). */
#include "scan/decode.h"

#if defined(__x86_64__) || defined(__i386__)
#define MG_B64_X86 1
#include <immintrin.h>
#endif
#include <string.h>

enum { B64_WS = 0xfd, B64_PAD = 0xfe, B64_BAD = 0xff };

/* Value of each base64 character; B64_PAD for '=', B64_WS for CR LF SP HT,
 * B64_BAD for everything else. */
static const uint8_t b64_rank[256] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0xfd, 0xff, 0xff, 0xfd, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3e, 0xff, 0xff, 0xff, 0x3f,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff,
    0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

void mg_b64_init(struct mg_b64 *d)
{
    memset(d, 0, sizeof *d);
    d->impl = mg_decode_best_impl();
}

#ifdef MG_B64_X86
/* Decodes 32 characters known to be pure alphabet into 24 bytes. */
__attribute__((target("avx2")))
static inline void dec32_avx2(const uint8_t *in, uint8_t *out)
{
    const __m256i lut_roll = _mm256_setr_epi8(
        0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i pack_shuf = _mm256_setr_epi8(
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    __m256i v = _mm256_loadu_si256((const __m256i *)in);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), _mm256_set1_epi8(0x0f));
    __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('/')), hi));
    __m256i x = _mm256_add_epi8(v, roll);
    x = _mm256_maddubs_epi16(x, _mm256_set1_epi32(0x01400140));
    x = _mm256_madd_epi16(x, _mm256_set1_epi32(0x00011000));
    x = _mm256_shuffle_epi8(x, pack_shuf);
    x = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
    _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(x));
    _mm_storel_epi64((__m128i *)(out + 16), _mm256_extracti128_si256(x, 1));
}

/* Decodes runs of pure alphabet 32 characters at a time, across CRLF / LF
 * line breaks; returns the characters used, ending on a group boundary.
 * A run (one line) is decoded in 32-character blocks; when the rest of the
 * line is shorter, the last 32 characters of the line are decoded once more
 * as one block (overlapping the previous one: same output bytes), so the end
 * of a 76-column MIME line does not fall to the scalar loop. A line whose
 * length is not a multiple of 4, or shorter than 32, is left to the scalar
 * loop from its start. */
__attribute__((target("avx2")))
static size_t blocks_avx2(const uint8_t *in, size_t len, uint8_t *out, size_t *outn)
{
    const __m256i lut_lo = _mm256_setr_epi8(
        0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a,
        0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
    const __m256i lut_hi = _mm256_setr_epi8(
        0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
        0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
    const __m256i nib = _mm256_set1_epi8(0x0f);
    size_t i = 0, rs = 0, o = 0;    /* rs: start of the current run; o: output at rs */
    while (i + 32 <= len) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(in + i));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nib);
        __m256i lo = _mm256_and_si256(v, nib);
        __m256i bad = _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo), _mm256_shuffle_epi8(lut_hi, hi));
        if (_mm256_testz_si256(bad, bad)) {
            dec32_avx2(in + i, out + o + (i - rs) / 4 * 3);
            i += 32;
            continue;
        }
        uint32_t m = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(bad, _mm256_setzero_si256()));
        size_t q = i + (unsigned)__builtin_ctz(m);   /* first byte outside the alphabet */
        size_t run = q - rs;
        if (run % 4 != 0 || run < 32) {
            *outn = o;
            return rs;                                /* the scalar loop takes this line */
        }
        if (q > i)                                    /* [q - 32, q) is all alphabet */
            dec32_avx2(in + q - 32, out + o + (q - 32 - rs) / 4 * 3);
        o += run / 4 * 3;
        if (in[q] == '\n') {
            i = rs = q + 1;
        } else if (in[q] == '\r' && q + 1 < len && in[q + 1] == '\n') {
            i = rs = q + 2;
        } else {
            *outn = o;
            return q;                                 /* padding or garbage: scalar */
        }
    }
    *outn = o + (i - rs) / 4 * 3;
    return i;
}

__attribute__((target("sse4.2,ssse3")))
static size_t blocks_sse42(const uint8_t *in, size_t len, uint8_t *out, size_t *outn)
{
    const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                         0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
    const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
                                         0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
    const __m128i lut_roll = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i nib = _mm_set1_epi8(0x0f), slash = _mm_set1_epi8('/');
    const __m128i pack_shuf = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    size_t i = 0, o = 0;
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), nib);
        __m128i lo = _mm_and_si128(v, nib);
        if (!_mm_testz_si128(_mm_shuffle_epi8(lut_lo, lo), _mm_shuffle_epi8(lut_hi, hi)))
            break;
        __m128i roll = _mm_shuffle_epi8(lut_roll, _mm_add_epi8(_mm_cmpeq_epi8(v, slash), hi));
        __m128i x = _mm_add_epi8(v, roll);
        x = _mm_maddubs_epi16(x, _mm_set1_epi32(0x01400140));
        x = _mm_madd_epi16(x, _mm_set1_epi32(0x00011000));
        x = _mm_shuffle_epi8(x, pack_shuf);
        _mm_storel_epi64((__m128i *)(out + o), x);
        uint32_t last = (uint32_t)_mm_extract_epi32(x, 2);
        memcpy(out + o + 8, &last, 4);
        o += 12;
    }
    *outn = o;
    return i;
}

#else
static size_t blocks_avx2(const uint8_t *in, size_t len, uint8_t *out, size_t *outn)
{
    (void)in, (void)len, (void)out;
    *outn = 0;
    return 0;
}
#define blocks_sse42 blocks_avx2
#endif

size_t mg_b64_feed(struct mg_b64 *d, const uint8_t *in, size_t len, uint8_t *out)
{
    const uint8_t *rank = b64_rank;
    size_t i = 0, o = 0;
    /* Locals, not d->...: stores through out (uint8_t *) may alias *d, which
     * would make the compiler reload the state after every output byte. */
    uint32_t acc = d->acc;
    unsigned nacc = d->nacc;
    bool padded = d->padded;
    uint64_t invalid = d->invalid;
    const enum mg_decode_impl impl = d->impl;
    while (i < len) {
        /* Vector blocks only on a group boundary and before any padding.
         * (impl is only non-scalar where the CPU has it: set by init, or by
         * a test that checked.) */
        if (nacc == 0 && !padded && len - i >= 16 && impl != MG_DECODE_SCALAR) {
            size_t n, used;
            if (impl == MG_DECODE_AVX2 && len - i >= 32)
                used = blocks_avx2(in + i, len - i, out + o, &n);
            else
                used = blocks_sse42(in + i, len - i, out + o, &n);
            i += used;
            o += n;
        }
        /* Whole groups of four alphabet characters. */
        if (nacc == 0 && !padded) {
            while (len - i >= 4) {
                uint32_t r0 = rank[in[i]], r1 = rank[in[i + 1]], r2 = rank[in[i + 2]], r3 = rank[in[i + 3]];
                if ((r0 | r1 | r2 | r3) & 0xc0)
                    break;
                uint32_t v = r0 << 18 | r1 << 12 | r2 << 6 | r3;
                out[o] = (uint8_t)(v >> 16);
                out[o + 1] = (uint8_t)(v >> 8);
                out[o + 2] = (uint8_t)v;
                o += 3;
                i += 4;
            }
        }
        /* One character at a time until (and including) the next byte
         * outside the alphabet, so a MIME line costs one such stretch. */
        bool seen_other = false;
        while (i < len) {
            uint8_t r = rank[in[i++]];
            if (r < 64) {
                if (padded) {
                    invalid++;             /* data after padding: keep decoding, count it */
                    padded = false;
                }
                acc = acc << 6 | r;
                if (++nacc == 4) {
                    out[o++] = (uint8_t)(acc >> 16);
                    out[o++] = (uint8_t)(acc >> 8);
                    out[o++] = (uint8_t)acc;
                    nacc = 0;
                    acc = 0;
                    if (seen_other)
                        break;
                }
                continue;
            }
            seen_other = true;
            if (r == B64_PAD) {
                if (nacc == 2) {
                    out[o++] = (uint8_t)(acc >> 4);
                    padded = true;
                } else if (nacc == 3) {
                    out[o++] = (uint8_t)(acc >> 10);
                    out[o++] = (uint8_t)(acc >> 2);
                    padded = true;
                } else if (!padded) {
                    invalid++;             /* '=' at a group start or after one char */
                    if (nacc == 1)
                        padded = true;
                }
                nacc = 0;
                acc = 0;
            } else if (r == B64_BAD) {
                invalid++;
            }
            if (nacc == 0)
                break;
        }
    }
    d->acc = acc;
    d->nacc = (uint8_t)nacc;
    d->padded = padded;
    d->invalid = invalid;
    return o;
}

size_t mg_b64_finish(struct mg_b64 *d, uint8_t *out)
{
    size_t o = 0;
    if (d->nacc == 2) {
        out[o++] = (uint8_t)(d->acc >> 4);
    } else if (d->nacc == 3) {
        out[o++] = (uint8_t)(d->acc >> 10);
        out[o++] = (uint8_t)(d->acc >> 2);
    } else if (d->nacc == 1) {
        d->invalid++;
    }
    d->nacc = 0;
    d->acc = 0;
    return o;
}
