/* UTF-8 -> ISO-2022-JP the CP50220 way, for legacy clients: half-width
 * katakana become full-width (with voiced marks combined), the NEC row 13
 * and NEC-selected IBM rows 89-92 are written as JIS rows like any other
 * (IBM extensions at 0xFA-0xFC are written at their rows 89-92 twins), and
 * the six JIS/Microsoft look-alikes are accepted in both forms. Nothing is
 * dropped: what has no JIS code is written as "?" and counted. */
#include "scan/charset.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/utf8.h"
#include "scan/charset_priv.h"

struct rev {
    uint16_t cp;
    uint16_t sjis;
};

static struct rev *rev_tab;
static size_t rev_len;
static pthread_once_t rev_once = PTHREAD_ONCE_INIT;

/* Lower is preferred when several codes give the same character. */
static int rank(uint16_t sjis)
{
    unsigned lead = sjis >> 8;
    if (lead == 0x87)
        return 1;                       /* NEC row 13 */
    if (lead == 0xED || lead == 0xEE)
        return 2;                       /* NEC-selected IBM, rows 89-92 */
    if (lead >= 0xFA)
        return 3;                       /* IBM, rows 115-119: not in ISO-2022-JP */
    return 0;                           /* JIS X 0208 */
}

static int rev_cmp(const void *a, const void *b)
{
    const struct rev *x = a, *y = b;
    if (x->cp != y->cp)
        return x->cp < y->cp ? -1 : 1;
    int rx = rank(x->sjis), ry = rank(y->sjis);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return x->sjis < y->sjis ? -1 : (x->sjis > y->sjis);
}

/* The JIS forms of the six look-alikes (and ¥, ‾) that CP932 does not
 * decode to: accepted on input so that text from a JIS-table source is
 * written, not replaced. Decoding gives the CP932 forms (doc/text.md). */
static const struct rev extra[] = {
    { 0x00A2, 0x8191 }, { 0x00A3, 0x8192 }, { 0x00A5, 0x818F }, { 0x00AC, 0x81CA },
    { 0x2016, 0x8161 }, { 0x203E, 0x8150 }, { 0x2212, 0x817C }, { 0x301C, 0x8160 },
};

static void rev_build(void)
{
    size_t cap = MG_CP932_FWD_LEN + sizeof extra / sizeof extra[0];
    struct rev *t = calloc(cap, sizeof *t);
    if (t == NULL)
        return;
    size_t n = 0;
    for (unsigned lead = 0x81; lead <= 0xFC; lead++) {
        if (lead >= 0xA0 && lead < 0xE0)
            continue;
        if (lead >= 0xF0 && lead <= 0xF9)
            continue;                   /* user-defined: no ISO-2022-JP code */
        for (unsigned trail = 0x40; trail <= 0xFC; trail++) {
            uint32_t cp = mg_cp932_lookup((uint8_t)lead, (uint8_t)trail);
            if (cp == 0 || trail == 0x7F || n >= cap)
                continue;
            t[n].cp = (uint16_t)cp;
            t[n].sjis = (uint16_t)(lead << 8 | trail);
            n++;
        }
    }
    for (size_t i = 0; i < sizeof extra / sizeof extra[0] && n < cap; i++)
        t[n++] = extra[i];
    qsort(t, n, sizeof *t, rev_cmp);
    /* Keep the preferred (first) entry of each code point. */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w > 0 && t[w - 1].cp == t[i].cp)
            continue;
        t[w++] = t[i];
    }
    rev_tab = t;
    rev_len = w;
}

/* JIS row/cell for a code point, false if ISO-2022-JP cannot carry it. */
static bool jis_of(uint32_t cp, unsigned *row, unsigned *cell)
{
    if (cp > 0xFFFF || rev_tab == NULL)
        return false;
    size_t lo = 0, hi = rev_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rev_tab[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= rev_len || rev_tab[lo].cp != cp)
        return false;
    uint16_t s = rev_tab[lo].sjis;
    if (!mg_sjis_to_jis((uint8_t)(s >> 8), (uint8_t)(s & 0xFF), row, cell))
        return false;
    return *row <= 94;
}

/* Half-width katakana U+FF61..U+FF9F -> full-width. */
static const uint16_t kana_full[63] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7,
    0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8,
    0x30AA, 0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB,
    0x30BD, 0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD,
    0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1,
    0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF,
    0x30F3, 0x309B, 0x309C,
};

static bool takes_dakuten(uint32_t k)
{
    return (k >= 0x30AB && k <= 0x30C2 && (k % 2) == 1) || k == 0x30C4 || k == 0x30C6 ||
           k == 0x30C8 || (k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0);
}

static bool takes_handakuten(uint32_t k)
{
    return k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0;
}

enum mode { M_ASCII, M_JIS };

static void set_mode(struct mg_buf *out, enum mode *cur, enum mode want)
{
    if (*cur == want)
        return;
    mg_buf_append(out, want == M_JIS ? "\x1B$B" : "\x1B(B", 3);
    *cur = want;
}

bool mg_charset_utf8_to_iso2022jp(const uint8_t *p, size_t len, struct mg_buf *out,
                                  size_t *unmappable)
{
    pthread_once(&rev_once, rev_build);
    size_t bad = 0;
    enum mode m = M_ASCII;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = mg_utf8_decode(p + i, len - i, &cp);
        if (n == 0) {                   /* invalid UTF-8: one "?" per byte */
            set_mode(out, &m, M_ASCII);
            mg_buf_putc(out, '?');
            bad++;
            i++;
            continue;
        }
        i += n;
        if (cp < 0x80) {
            set_mode(out, &m, M_ASCII);
            if (cp == 0x1B || cp == 0x0E || cp == 0x0F) {  /* would shift the reader */
                mg_buf_putc(out, '?');
                bad++;
            } else {
                mg_buf_putc(out, (uint8_t)cp);
            }
            continue;
        }
        if (cp >= 0xFF61 && cp <= 0xFF9F) {
            cp = kana_full[cp - 0xFF61];
            uint32_t next;
            size_t k = mg_utf8_decode(p + i, len - i, &next);
            if (k > 0 && next == 0xFF9E && (takes_dakuten(cp) || cp == 0x30A6)) {
                cp = cp == 0x30A6 ? 0x30F4 : cp + 1;
                i += k;
            } else if (k > 0 && next == 0xFF9F && takes_handakuten(cp)) {
                cp += 2;
                i += k;
            }
        }
        unsigned row, cell;
        if (!jis_of(cp, &row, &cell)) {
            set_mode(out, &m, M_ASCII);
            mg_buf_putc(out, '?');
            bad++;
            continue;
        }
        set_mode(out, &m, M_JIS);
        mg_buf_putc(out, (uint8_t)(row + 0x20));
        mg_buf_putc(out, (uint8_t)(cell + 0x20));
    }
    set_mode(out, &m, M_ASCII);
    if (unmappable != NULL)
        *unmappable = bad;
    return bad == 0 && rev_tab != NULL && !mg_buf_failed(out);
}
