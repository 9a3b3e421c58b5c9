/* The byte-oriented decoders: US-ASCII, UTF-8, CP932 and EUC-JP (eucJP-ms).
 * Each undecodable sequence is counted and written as U+FFFD; the caller
 * decides what a non-zero count means (the text sanitizer blocks). */
#include "scan/charset_priv.h"

#include "core/utf8.h"

void mg_dec_cp(struct mg_dec *d, uint32_t cp)
{
    uint8_t u[4];
    size_t n = mg_utf8_encode(cp, u);
    if (n == 0) {                       /* cannot happen for table values */
        n = mg_utf8_encode(0xFFFD, u);
    }
    mg_buf_append(d->out, u, n);
}

void mg_dec_err(struct mg_dec *d, size_t off)
{
    if (d->res->errors == 0)
        d->res->first_error = off;
    d->res->errors++;
    mg_buf_append(d->out, "\xEF\xBF\xBD", 3);
}

void mg_decode_ascii(struct mg_dec *d, const uint8_t *p, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x80)
            continue;
        mg_buf_append(d->out, p + run, i - run);
        mg_dec_err(d, i);
        run = i + 1;
    }
    mg_buf_append(d->out, p + run, len - run);
}

void mg_decode_utf8(struct mg_dec *d, const uint8_t *p, size_t len)
{
    size_t i = 0, run = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = mg_utf8_valid_prefix(p + i, len - i);
        if (n > 0) {
            i += n;
            continue;
        }
        mg_buf_append(d->out, p + run, i - run);
        mg_dec_err(d, i);           /* one error per bad byte, then resync */
        i++;
        run = i;
    }
    mg_buf_append(d->out, p + run, len - run);
}

static bool cp932_lead(uint8_t b)
{
    return (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC);
}

static bool cp932_trail(uint8_t b)
{
    return b >= 0x40 && b <= 0xFC && b != 0x7F;
}

void mg_decode_cp932(struct mg_dec *d, const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t b = p[i];
        if (b < 0x80) {
            mg_buf_putc(d->out, b);
            i++;
        } else if (b >= 0xA1 && b <= 0xDF) {
            mg_dec_cp(d, 0xFF61u + (b - 0xA1u));
            i++;
        } else if (cp932_lead(b)) {
            if (i + 1 >= len || !cp932_trail(p[i + 1])) {
                /* Truncated, or the trail is not a trail byte: only the lead
                 * is bad; the next byte is decoded on its own (WHATWG). */
                mg_dec_err(d, i);
                i++;
                continue;
            }
            uint32_t cp = mg_cp932_lookup(b, p[i + 1]);
            if (cp == 0)
                mg_dec_err(d, i);
            else
                mg_dec_cp(d, cp);
            i += 2;
        } else {                        /* 0x80, 0xA0, 0xFD-0xFF */
            mg_dec_err(d, i);
            i++;
        }
    }
}

static bool euc_byte(uint8_t b)
{
    return b >= 0xA1 && b <= 0xFE;
}

/* eucJP-ms G1: rows 1-84 are JIS X 0208 plus NEC row 13, the same codes as
 * CP932 by arithmetic; rows 85-94 are the user-defined area, U+E000.. */
static uint32_t euc_g1(uint8_t b1, uint8_t b2)
{
    unsigned row = b1 - 0xA0u, cell = b2 - 0xA0u;
    if (row >= 85)
        return 0xE000u + (row - 85u) * 94u + (cell - 1u);
    uint8_t s1, s2;
    if (!mg_jis_to_sjis(row, cell, &s1, &s2))
        return 0;
    return mg_cp932_lookup(s1, s2);
}

void mg_decode_eucjp(struct mg_dec *d, const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t b = p[i];
        if (b < 0x80) {
            mg_buf_putc(d->out, b);
            i++;
        } else if (b == 0x8E) {         /* SS2: half-width katakana */
            if (i + 1 < len && p[i + 1] >= 0xA1 && p[i + 1] <= 0xDF) {
                mg_dec_cp(d, 0xFF61u + (p[i + 1] - 0xA1u));
                i += 2;
            } else {
                mg_dec_err(d, i);
                i++;
            }
        } else if (b == 0x8F) {         /* SS3: JIS X 0212 and IBM extensions */
            if (i + 2 < len && euc_byte(p[i + 1]) && euc_byte(p[i + 2])) {
                uint32_t cp = mg_dec_g3(d, p[i + 1], p[i + 2]);
                if (cp == 0)
                    mg_dec_err(d, i);
                else
                    mg_dec_cp(d, cp);
                i += 3;
            } else {
                mg_dec_err(d, i);
                i++;
            }
        } else if (euc_byte(b)) {
            if (i + 1 < len && euc_byte(p[i + 1])) {
                uint32_t cp = euc_g1(b, p[i + 1]);
                if (cp == 0)
                    mg_dec_err(d, i);
                else
                    mg_dec_cp(d, cp);
                i += 2;
            } else {
                mg_dec_err(d, i);
                i++;
            }
        } else {
            mg_dec_err(d, i);
            i++;
        }
    }
}
