/* ISO-2022-JP decoded as the superset real mail uses (CP50220/50221): the
 * JIS X 0208 sets (ESC $ @, ESC $ B, with or without ESC & @) carry NEC row 13
 * and the NEC-selected IBM rows 89-92, decoded as JIS row/cell -> CP932 code
 * -> CP932 table; ESC ( I and SO/SI give half-width katakana; ESC $ ( D is
 * JIS X 0212. ESC ( J (JIS X 0201 Roman) is decoded as ASCII, as CP50220 and
 * CP932 do (0x5C stays a backslash; see doc/text.md). */
#include "scan/charset_priv.h"

enum g0 { G0_ASCII, G0_KANA, G0_X0208, G0_X0212 };

/* Length of the escape sequence at p[0] == ESC (intermediates 0x20-0x2F then
 * one final 0x30-0x7E), or 0 when it is truncated or not well formed. */
static size_t esc_len(const uint8_t *p, size_t len)
{
    size_t i = 1;
    while (i < len && i < 4 && p[i] >= 0x20 && p[i] <= 0x2F)
        i++;
    if (i == 1 || i >= len || p[i] < 0x30 || p[i] > 0x7E)
        return 0;
    return i + 1;
}

static bool esc_is(const uint8_t *p, size_t n, const char *seq)
{
    for (size_t i = 0; i < n; i++) {
        if (seq[i] == '\0' || p[i + 1] != (uint8_t)seq[i])
            return false;
    }
    return seq[n] == '\0';
}

void mg_decode_iso2022jp(struct mg_dec *d, const uint8_t *p, size_t len)
{
    enum g0 g0 = G0_ASCII;
    bool shifted = false;       /* SO: half-width katakana until SI */
    size_t i = 0;
    while (i < len) {
        uint8_t b = p[i];
        if (b == 0x1B) {
            size_t n = esc_len(p + i, len - i);
            if (n == 0) {
                mg_dec_err(d, i);
                i++;
                continue;
            }
            const uint8_t *e = p + i;
            size_t k = n - 1;
            if (esc_is(e, k, "(B") || esc_is(e, k, "(J"))
                g0 = G0_ASCII;
            else if (esc_is(e, k, "(I"))
                g0 = G0_KANA;
            else if (esc_is(e, k, "$@") || esc_is(e, k, "$B"))
                g0 = G0_X0208;
            else if (esc_is(e, k, "$(D"))
                g0 = G0_X0212;
            else if (esc_is(e, k, "&@"))
                ;                       /* JIS X 0208-1990 announcer: no change */
            else
                mg_dec_err(d, i);       /* another set (GB 2312, KS C ...): not ours */
            i += n;
            continue;
        }
        if (b == 0x0E) {
            shifted = true;
            i++;
            continue;
        }
        if (b == 0x0F) {
            shifted = false;
            i++;
            continue;
        }
        if (b >= 0x80) {                /* ISO-2022-JP is 7-bit */
            mg_dec_err(d, i);
            i++;
            continue;
        }
        if (b < 0x21 || b == 0x7F) {    /* controls, space, CR LF in any state */
            mg_buf_putc(d->out, b);
            i++;
            continue;
        }
        if (shifted || g0 == G0_KANA) {
            if (b <= 0x5F)
                mg_dec_cp(d, 0xFF61u + (b - 0x21u));
            else
                mg_dec_err(d, i);
            i++;
            continue;
        }
        if (g0 == G0_ASCII) {
            mg_buf_putc(d->out, b);
            i++;
            continue;
        }
        /* Two-byte sets. */
        if (i + 1 >= len || p[i + 1] < 0x21 || p[i + 1] > 0x7E) {
            mg_dec_err(d, i);           /* truncated pair; the next byte is reread */
            i++;
            continue;
        }
        uint32_t cp = 0;
        if (g0 == G0_X0208) {
            uint8_t s1, s2;
            if (mg_jis_to_sjis(b - 0x20u, p[i + 1] - 0x20u, &s1, &s2))
                cp = mg_cp932_lookup(s1, s2);
        } else {
            cp = mg_dec_g3(d, (uint8_t)(b | 0x80), (uint8_t)(p[i + 1] | 0x80));
        }
        if (cp == 0)
            mg_dec_err(d, i);
        else
            mg_dec_cp(d, cp);
        i += 2;
    }
}
