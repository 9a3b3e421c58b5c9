/* Streaming quoted-printable decoder (RFC 2045 section 6.7): =XX escapes
 * (either hex case accepted), soft line breaks "=" CRLF / "=" LF (also with
 * transport padding between "=" and the break), trailing whitespace before a
 * line break dropped. An "=" that starts neither is kept literally with what
 * follows and counted in `invalid`.
 *
 * The state machine below handles one byte at a time. In between, while no
 * escape or whitespace is pending, the SIMD path (any level but scalar)
 * finds the next '=', CR or LF 16 bytes at a time, copies the run before it and
 * decodes complete "=XX" escapes and line breaks itself; only soft breaks,
 * malformed escapes, whitespace before a special byte and escapes cut by
 * the end of a feed go through the state machine. The output is the same
 * byte for byte (fuzz_decode compares them on every input and split). */
#include "scan/decode.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MG_QP_X86 1
#endif

enum { QP_TEXT, QP_EQ, QP_EQ_HEX, QP_EQ_WS, QP_SOFT_CR };

void mg_qp_init(struct mg_qp *d)
{
    memset(d, 0, sizeof *d);
    d->impl = mg_decode_best_impl();
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static size_t flush_ws(struct mg_qp *d, uint8_t *out)
{
    size_t n = d->nws;
    memcpy(out, d->ws, n);
    d->nws = 0;
    return n;
}

/* The state machine: one input byte, returns the bytes written to out. */
static inline size_t qp_byte(struct mg_qp *d, uint8_t c, uint8_t *out)
{
    size_t o = 0;
    switch (d->state) {
    case QP_TEXT:
        break;
    case QP_EQ:
        if (hexval(c) >= 0) {
            d->hex1 = c;
            d->state = QP_EQ_HEX;
            return 0;
        }
        if (c == '\n') {
            d->state = QP_TEXT;
            return 0;
        }
        if (c == '\r') {
            d->state = QP_SOFT_CR;
            return 0;
        }
        if (c == ' ' || c == '\t') {
            d->ws[d->nws++] = c;
            d->state = QP_EQ_WS;
            return 0;
        }
        out[o++] = '=';
        d->invalid++;
        d->state = QP_TEXT;
        break;                      /* c is ordinary text */
    case QP_EQ_HEX:
        d->state = QP_TEXT;
        if (hexval(c) >= 0) {
            out[o++] = (uint8_t)(hexval(d->hex1) << 4 | hexval(c));
            return o;
        }
        out[o++] = '=';
        out[o++] = d->hex1;
        d->invalid++;
        break;
    case QP_EQ_WS:
        if ((c == ' ' || c == '\t') && d->nws < MG_QP_WS_MAX) {
            d->ws[d->nws++] = c;
            return 0;
        }
        if (c == '\n' || c == '\r') {
            d->nws = 0;
            d->state = c == '\r' ? QP_SOFT_CR : QP_TEXT;
            return 0;
        }
        out[o++] = '=';
        o += flush_ws(d, out + o);
        d->invalid++;
        d->state = QP_TEXT;
        break;
    case QP_SOFT_CR:
        d->state = QP_TEXT;
        if (c == '\n')
            return 0;
        break;
    }
    /* QP_TEXT */
    if (c == ' ' || c == '\t') {
        if (d->nws == MG_QP_WS_MAX)
            o += flush_ws(d, out + o);   /* too long to be padding: keep it */
        d->ws[d->nws++] = c;
    } else if (c == '\r' || c == '\n') {
        d->nws = 0;                      /* trailing whitespace is transport padding */
        out[o++] = c;
    } else {
        o += flush_ws(d, out + o);
        if (c == '=')
            d->state = QP_EQ;
        else
            out[o++] = c;
    }
    return o;
}

#ifdef MG_QP_X86
/* Offset of the first '=', CR or LF in in[0..len), or len. 16 bytes at a
 * time: QP lines are at most 76 characters, and a 32-byte AVX2 twin of this
 * loop measured no faster (bench-scan qpdec: 0.94-0.97 against 0.95-0.99
 * GB/s), so both SIMD levels use it. */
static size_t find_special(const uint8_t *in, size_t len)
{
    const __m128i eq = _mm_set1_epi8('='), cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
    size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, eq), _mm_cmpeq_epi8(v, cr)), _mm_cmpeq_epi8(v, lf));
        uint32_t m = (uint32_t)_mm_movemask_epi8(hit);
        if (m)
            return i + (unsigned)__builtin_ctz(m);
    }
    for (; i < len; i++)
        if (in[i] == '=' || in[i] == '\r' || in[i] == '\n')
            break;
    return i;
}

/* Hex digit values plus one; 0 for anything else. */
static const int8_t hexv[256] = {
    ['0'] = 0 + 1, ['1'] = 1 + 1, ['2'] = 2 + 1, ['3'] = 3 + 1, ['4'] = 4 + 1,
    ['5'] = 5 + 1, ['6'] = 6 + 1, ['7'] = 7 + 1, ['8'] = 8 + 1, ['9'] = 9 + 1,
    ['A'] = 10 + 1, ['B'] = 11 + 1, ['C'] = 12 + 1, ['D'] = 13 + 1, ['E'] = 14 + 1, ['F'] = 15 + 1,
    ['a'] = 10 + 1, ['b'] = 11 + 1, ['c'] = 12 + 1, ['d'] = 13 + 1, ['e'] = 14 + 1, ['f'] = 15 + 1,
};   /* stored plus one so that the zero fill means "not a digit" */

/* Five escapes "=XX=XX=XX=XX=XX" at in[0..15) (16 bytes readable) decoded
 * to out[0..5) (8 bytes writable); false, nothing written, when the 15
 * bytes are anything else. */
__attribute__((target("sse4.2,ssse3")))
static bool five_escapes(const uint8_t *in, uint8_t *out)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
    uint32_t eq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
    if ((eq & 0x7fff) != 0x1249)   /* '=' at 0, 3, 6, 9, 12 and nowhere else */
        return false;
    /* Digits at 1 2 4 5 7 8 10 11 13 14: hex value or 0xff. */
    __m128i dig = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    __m128i is_dec = _mm_cmpeq_epi8(_mm_min_epu8(dig, _mm_set1_epi8(9)), dig);
    __m128i al = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i is_alpha = _mm_cmpeq_epi8(_mm_min_epu8(al, _mm_set1_epi8(5)), al);
    __m128i val = _mm_or_si128(_mm_and_si128(is_dec, dig),
                               _mm_and_si128(is_alpha, _mm_add_epi8(al, _mm_set1_epi8(10))));
    uint32_t ok = (uint32_t)_mm_movemask_epi8(_mm_or_si128(is_dec, is_alpha));
    if ((ok & 0x6db6) != 0x6db6)
        return false;
    __m128i hi = _mm_shuffle_epi8(val, _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    __m128i lo = _mm_shuffle_epi8(val, _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    __m128i bytes = _mm_or_si128(_mm_slli_epi16(hi, 4), lo);   /* hi < 16: no carry into the next byte */
    _mm_storel_epi64((__m128i *)(void *)out, bytes);
    return true;
}

/* The fast path, entered in state QP_TEXT with no whitespace pending: runs
 * of plain bytes, complete "=XX" escapes and line breaks. Returns the bytes
 * written; *used says how much input it took. It stops, leaving the state
 * untouched, at the first byte that needs the state machine. */
static size_t qp_runs(const uint8_t *in, size_t len, uint8_t *out, size_t *used)
{
    size_t i = 0, o = 0;
    for (;;) {
        /* Escapes back to back: what UTF-8 Japanese text is made of. */
        while (len - i >= 16 && five_escapes(in + i, out + o)) {
            i += 15;
            o += 5;
        }
        while (len - i >= 3 && in[i] == '=') {
            int h1 = hexv[in[i + 1]], h2 = hexv[in[i + 2]];
            if (!h1 || !h2)
                goto out;   /* soft break or malformed */
            out[o++] = (uint8_t)((h1 - 1) << 4 | (h2 - 1));
            i += 3;
        }
        if (i == len || in[i] == '=')
            break;          /* an escape cut by the end of the feed */
        size_t s = i + find_special(in + i, len - i);
        /* Whitespace right before a line break (or maybe one, at the end of
         * the feed) may be padding: the state machine decides. */
        size_t r = s;
        while (r > i && (in[r - 1] == ' ' || in[r - 1] == '\t'))
            r--;
        memcpy(out + o, in + i, r - i);
        o += r - i;
        i = r;
        if (r != s || s == len)
            break;
        if (in[s] == '\r' || in[s] == '\n') {
            out[o++] = in[s];
            i = s + 1;
        }
    }
out:
    *used = i;
    return o;
}
#endif

size_t mg_qp_feed(struct mg_qp *d, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0, i = 0;
    while (i < len) {
#ifdef MG_QP_X86
        if (d->impl != MG_DECODE_SCALAR && d->state == QP_TEXT && d->nws == 0) {
            size_t used;
            o += qp_runs(in + i, len - i, out + o, &used);
            i += used;
            if (i == len)
                break;
        }
#endif
        o += qp_byte(d, in[i++], out + o);
    }
    return o;
}

size_t mg_qp_finish(struct mg_qp *d, uint8_t *out)
{
    size_t o = 0;
    if (d->state == QP_EQ_HEX) {
        out[o++] = '=';
        out[o++] = d->hex1;
        d->invalid++;
    }
    /* "=" (with padding) at the very end is a soft break; trailing whitespace
     * at the end of the last line is padding: both dropped. */
    d->nws = 0;
    d->state = QP_TEXT;
    return o;
}
