/* Unit tests for src/scan/charset*: labels, every ISO-2022-JP escape, the
 * NEC/IBM extensions in the three Japanese encodings, the six JIS/Microsoft
 * look-alikes, broken input, the encoder, and the committed CP932 table
 * against the running glibc iconv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gmime/gmime.h>
#include <iconv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "scan/charset.h"
#include "scan/charset_priv.h"

/* Decodes with label and returns the UTF-8 as a C string owned by *b. */
static const char *dec(struct mg_buf *b, const char *label, const char *in, size_t len,
                       struct mg_decode_result *r)
{
    mg_buf_init(b);
    assert_true(mg_charset_to_utf8(label, (const uint8_t *)in, len, b, r));
    assert_true(mg_utf8_valid(b->data, b->len));
    return mg_buf_cstr(b);
}

#define DEC_OK(label, in, want, cs) do {                                  \
        struct mg_buf b_; struct mg_decode_result r_;                     \
        const char *got_ = dec(&b_, label, in, sizeof(in) - 1, &r_);      \
        assert_string_equal(got_, want);                                  \
        assert_int_equal(r_.errors, 0);                                   \
        assert_int_equal(r_.charset, cs);                                 \
        mg_buf_free(&b_);                                                 \
    } while (0)

/* Expects errors (at least one) with the first at offset off. */
#define DEC_ERR(label, in, want, off) do {                                \
        struct mg_buf b_; struct mg_decode_result r_;                     \
        const char *got_ = dec(&b_, label, in, sizeof(in) - 1, &r_);      \
        assert_string_equal(got_, want);                                  \
        assert_true(r_.errors > 0);                                       \
        assert_int_equal(r_.first_error, off);                            \
        mg_buf_free(&b_);                                                 \
    } while (0)

static void test_labels(void **state)
{
    (void)state;
    assert_int_equal(mg_charset_from_label("ISO-2022-JP"), MG_CS_ISO2022JP);
    assert_int_equal(mg_charset_from_label(" \"iso-2022-jp\" "), MG_CS_ISO2022JP);
    assert_int_equal(mg_charset_from_label("Shift_JIS"), MG_CS_CP932);
    assert_int_equal(mg_charset_from_label("x-sjis"), MG_CS_CP932);
    assert_int_equal(mg_charset_from_label("Windows-31J"), MG_CS_CP932);
    assert_int_equal(mg_charset_from_label("EUC-JP"), MG_CS_EUCJP);
    assert_int_equal(mg_charset_from_label("utf-8"), MG_CS_UTF8);
    assert_int_equal(mg_charset_from_label("US-ASCII"), MG_CS_ASCII);
    assert_int_equal(mg_charset_from_label("iso-8859-1"), MG_CS_OTHER);
    assert_int_equal(mg_charset_from_label(""), MG_CS_UNKNOWN);
    assert_int_equal(mg_charset_from_label(NULL), MG_CS_UNKNOWN);
    assert_string_equal(mg_charset_name(MG_CS_CP932), "CP932");
    assert_string_equal(mg_charset_name(MG_CS_ISO2022JP), "ISO-2022-JP");
}

static void test_iso2022jp_escapes(void **state)
{
    (void)state;
    /* ESC $ B and ESC ( B: あ */
    DEC_OK("ISO-2022-JP", "a\x1B$B$\"\x1B(Bb", "aあb", MG_CS_ISO2022JP);
    /* ESC $ @ (JIS C 6226-1978) reads as JIS X 0208 */
    DEC_OK("ISO-2022-JP", "\x1B$@F|K\\\x1B(B", "日本", MG_CS_ISO2022JP);
    /* ESC & @ ESC $ B (JIS X 0208-1990 announcer) */
    DEC_OK("ISO-2022-JP", "\x1B&@\x1B$B8l\x1B(B", "語", MG_CS_ISO2022JP);
    /* ESC ( J: JIS X 0201 Roman decoded as ASCII (backslash stays) */
    DEC_OK("ISO-2022-JP", "\x1B(Ja\\~\x1B(B", "a\\~", MG_CS_ISO2022JP);
    /* ESC ( I: half-width katakana ｱｲ */
    DEC_OK("ISO-2022-JP", "\x1B(I12\x1B(B", "ｱｲ", MG_CS_ISO2022JP);
    /* SO / SI: half-width katakana ｶ between them */
    DEC_OK("ISO-2022-JP", "x\x0E\x36\x0Fy", "xｶy", MG_CS_ISO2022JP);
    /* ESC $ ( D: JIS X 0212, 0x3021 is U+4E02 丂 */
    DEC_OK("ISO-2022-JP", "\x1B$(D0!\x1B(B", "丂", MG_CS_ISO2022JP);
    /* newline inside a two-byte run keeps the set: a mailer that forgot
     * ESC ( B before the line end loses no text */
    DEC_OK("ISO-2022-JP", "\x1B$B$\"\n$\"\x1B(B", "あ\nあ", MG_CS_ISO2022JP);
}

static void test_nec_ibm_extensions(void **state)
{
    (void)state;
    /* ISO-2022-JP, CP50220 style: row 13 and rows 89/92 */
    DEC_OK("ISO-2022-JP", "\x1B$B-!-j-7|byu\x1B(B", "①㈱Ⅲ髙﨑", MG_CS_ISO2022JP);
    /* CP932 labelled Shift_JIS: NEC row 13 and IBM extensions (0xFA-0xFC) */
    DEC_OK("Shift_JIS", "\x87\x40\x87\x8A\x87\x56\xFB\xFC\xFA\xB1", "①㈱Ⅲ髙﨑", MG_CS_CP932);
    /* and the NEC-selected IBM twins (0xED/0xEE) */
    DEC_OK("Shift_JIS", "\xEE\xE0\xED\x95", "髙﨑", MG_CS_CP932);
    /* EUC-JP as eucJP-ms: row 13 in G1, IBM extensions in G3 */
    DEC_OK("EUC-JP", "\xAD\xA1\xAD\xEA\xAD\xB7\x8F\xF4\xFB\x8F\xF4\xBD", "①㈱Ⅲ髙﨑", MG_CS_EUCJP);
}

struct lookalike {
    const char *jis;      /* two JIS bytes */
    const char *sjis;     /* CP932 */
    const char *euc;      /* EUC-JP */
    const char *ms;       /* what we decode to (CP932 mapping) */
    const char *jisform;  /* the JIS-table character, accepted by the encoder */
};

static const struct lookalike lookalikes[] = {
    { "!A", "\x81\x60", "\xA1\xC1", "～", "〜" },
    { "!]", "\x81\x7C", "\xA1\xDD", "－", "−" },
    { "!B", "\x81\x61", "\xA1\xC2", "∥", "‖" },
    { "!q", "\x81\x91", "\xA1\xF1", "￠", "¢" },
    { "!r", "\x81\x92", "\xA1\xF2", "￡", "£" },
    { "\"L", "\x81\xCA", "\xA2\xCC", "￢", "¬" },
};

static void test_lookalikes_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lookalikes / sizeof lookalikes[0]; i++) {
        const struct lookalike *l = &lookalikes[i];
        char jis[16];
        snprintf(jis, sizeof jis, "\x1B$B%s\x1B(B", l->jis);
        struct mg_buf b;
        struct mg_decode_result r;
        assert_string_equal(dec(&b, "ISO-2022-JP", jis, strlen(jis), &r), l->ms);
        assert_int_equal(r.errors, 0);
        mg_buf_free(&b);
        assert_string_equal(dec(&b, "Shift_JIS", l->sjis, 2, &r), l->ms);
        assert_int_equal(r.errors, 0);
        mg_buf_free(&b);
        assert_string_equal(dec(&b, "EUC-JP", l->euc, 2, &r), l->ms);
        assert_int_equal(r.errors, 0);
        mg_buf_free(&b);
        /* Encoding either form gives the same JIS code, which decodes to
         * the CP932 form: the round trip of the decoded text is exact. */
        const char *forms[2] = { l->ms, l->jisform };
        for (size_t k = 0; k < 2; k++) {
            struct mg_buf e;
            size_t bad = 99;
            mg_buf_init(&e);
            assert_true(mg_charset_utf8_to_iso2022jp((const uint8_t *)forms[k],
                                                     strlen(forms[k]), &e, &bad));
            assert_int_equal(bad, 0);
            assert_string_equal(mg_buf_cstr(&e), jis);
            mg_buf_free(&e);
        }
    }
}

static void test_broken_escapes(void **state)
{
    (void)state;
    /* lone ESC at the end */
    DEC_ERR("ISO-2022-JP", "ab\x1B", "ab\xEF\xBF\xBD", 2);
    /* ESC $ with nothing after it */
    DEC_ERR("ISO-2022-JP", "a\x1B$", "a\xEF\xBF\xBD$", 1);
    /* a set that is not ours (ESC $ A, GB 2312): one error, sequence skipped */
    DEC_ERR("ISO-2022-JP", "\x1B$Axy", "\xEF\xBF\xBDxy", 0);
    /* ESC followed by a control */
    DEC_ERR("ISO-2022-JP", "\x1B\n", "\xEF\xBF\xBD\n", 0);
    /* 8-bit byte in 7-bit ISO-2022-JP */
    DEC_ERR("ISO-2022-JP", "a\xA4\xA2", "a\xEF\xBF\xBD\xEF\xBF\xBD", 1);
    /* kana set byte out of range */
    DEC_ERR("ISO-2022-JP", "\x1B(I`", "\xEF\xBF\xBD", 3);
    /* unassigned JIS code (row 9) */
    DEC_ERR("ISO-2022-JP", "\x1B$B)!\x1B(B", "\xEF\xBF\xBD", 3);
}

static void test_truncated_double_byte(void **state)
{
    (void)state;
    DEC_ERR("ISO-2022-JP", "\x1B$B$", "\xEF\xBF\xBD", 3);
    DEC_ERR("ISO-2022-JP", "\x1B$B$\x1B(Ba", "\xEF\xBF\xBD" "a", 3);
    DEC_ERR("Shift_JIS", "a\x82", "a\xEF\xBF\xBD", 1);
    /* lead followed by a non-trail: the next byte is read on its own */
    DEC_ERR("Shift_JIS", "\x82\x0A" "b", "\xEF\xBF\xBD\nb", 0);
    DEC_ERR("EUC-JP", "\xA4", "\xEF\xBF\xBD", 0);
    DEC_ERR("EUC-JP", "\x8F\xF4", "\xEF\xBF\xBD\xEF\xBF\xBD", 0);
    DEC_ERR("EUC-JP", "\x8E" "a", "\xEF\xBF\xBD" "a", 0);
    /* CP932 single bytes that glibc rejects */
    DEC_ERR("Shift_JIS", "\x80\xA0\xFD", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 0);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    DEC_OK("UTF-8", "\xE3\x81\x82", "あ", MG_CS_UTF8);
    DEC_ERR("UTF-8", "a\xC0\x80", "a\xEF\xBF\xBD\xEF\xBF\xBD", 1);         /* overlong */
    DEC_ERR("UTF-8", "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 0); /* surrogate */
    DEC_ERR("UTF-8", "ab\xF5\x80", "ab\xEF\xBF\xBD\xEF\xBF\xBD", 2);
    DEC_ERR("UTF-8", "\xE3\x81", "\xEF\xBF\xBD\xEF\xBF\xBD", 0);           /* truncated */
    DEC_ERR("US-ASCII", "ok\xE9", "ok\xEF\xBF\xBD", 2);
}

static void test_other_labels(void **state)
{
    (void)state;
    DEC_OK("ISO-8859-1", "caf\xE9", "café", MG_CS_OTHER);
    DEC_OK("windows-1252", "\x80" "5", "€5", MG_CS_OTHER);
    DEC_OK("GB2312", "\xD6\xD0", "中", MG_CS_OTHER);
    DEC_OK("Big5", "\xA4\xA4", "中", MG_CS_OTHER);
    DEC_OK("EUC-KR", "\xC7\xD1", "한", MG_CS_OTHER);
    DEC_OK(NULL, "\xFF\xFE" "A\0" "B\0", "AB", MG_CS_OTHER);   /* UTF-16 with BOM */
    DEC_ERR("UTF-16LE", "A\0\x00\xDC", "A\xEF\xBF\xBD\xEF\xBF\xBD", 2);       /* lone surrogate */
    /* iconv suffixes in a label are not passed on (//IGNORE would hide errors) */
    DEC_ERR("ISO-8859-7//IGNORE", "ok\x80", "ok\xEF\xBF\xBD", 2);   /* iconv would give U+0080 */
    /* a label nobody knows: the bytes decide */
    DEC_OK("x-no-such-charset", "\xE3\x81\x82", "あ", MG_CS_UTF8);
}

static void test_detect(void **state)
{
    (void)state;
    const char *ascii = "hello";
    const char *jis = "\x1B$B$3$s$K$A$O\x1B(B";
    const char *utf8 = "こんにちは";
    const char *sjis = "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\x81\x41\x90\xa2\x8a\x45";
    const char *euc = "\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf\xa1\xa2\xc0\xa4\xb3\xa6";
    assert_int_equal(mg_charset_detect((const uint8_t *)ascii, 5), MG_CS_ASCII);
    assert_int_equal(mg_charset_detect((const uint8_t *)jis, strlen(jis)), MG_CS_ISO2022JP);
    assert_int_equal(mg_charset_detect((const uint8_t *)utf8, strlen(utf8)), MG_CS_UTF8);
    assert_int_equal(mg_charset_detect((const uint8_t *)sjis, strlen(sjis)), MG_CS_CP932);
    assert_int_equal(mg_charset_detect((const uint8_t *)euc, strlen(euc)), MG_CS_EUCJP);
    /* UTF-8 with one bad byte is UTF-8 with an error, not CP932 */
    const char *almost = "テキスト \xFF です";
    assert_int_equal(mg_charset_detect((const uint8_t *)almost, strlen(almost)), MG_CS_UTF8);
    struct mg_buf b;
    struct mg_decode_result r;
    assert_string_equal(dec(&b, NULL, sjis, strlen(sjis), &r), "こんにちは、世界");
    assert_int_equal(r.charset, MG_CS_CP932);
    mg_buf_free(&b);
    assert_string_equal(dec(&b, NULL, euc, strlen(euc), &r), "こんにちは、世界");
    assert_int_equal(r.charset, MG_CS_EUCJP);
    mg_buf_free(&b);
}

static void test_encoder(void **state)
{
    (void)state;
    const char *in = "件名: ①㈱Ⅲ髙﨑 ｶﾞｷﾞﾊﾟｳﾞｱ。 ok\r\n";
    struct mg_buf e;
    size_t bad = 99;
    mg_buf_init(&e);
    assert_true(mg_charset_utf8_to_iso2022jp((const uint8_t *)in, strlen(in), &e, &bad));
    assert_int_equal(bad, 0);
    for (size_t i = 0; i < e.len; i++)
        assert_true(e.data[i] < 0x80);         /* 7-bit */
    /* ends in ASCII */
    assert_memory_equal(e.data + e.len - 8, "\x1B(B ok\r\n", 8);
    struct mg_buf b;
    struct mg_decode_result r;
    assert_string_equal(dec(&b, "ISO-2022-JP", (const char *)e.data, e.len, &r),
                        "件名: ①㈱Ⅲ髙﨑 ガギパヴア。 ok\r\n");
    assert_int_equal(r.errors, 0);
    mg_buf_free(&b);
    mg_buf_free(&e);

    /* ¥ and ‾ have no JIS X 0208 code of their own: written full-width */
    mg_buf_init(&e);
    assert_true(mg_charset_utf8_to_iso2022jp((const uint8_t *)"¥‾", strlen("¥‾"), &e, &bad));
    assert_string_equal(mg_buf_cstr(&e), "\x1B$B!o!1\x1B(B");
    mg_buf_free(&e);

    /* No JIS code: "?" and counted, never dropped. ESC would shift a reader. */
    const char *emoji = "a\xF0\x9F\x98\x80" "b\x1B" "c\xE9";
    mg_buf_init(&e);
    assert_false(mg_charset_utf8_to_iso2022jp((const uint8_t *)emoji, strlen(emoji), &e, &bad));
    assert_int_equal(bad, 3);
    assert_string_equal(mg_buf_cstr(&e), "a?b?c?");
    mg_buf_free(&e);

    /* Every CP932 character outside the user-defined area survives
     * CP932 -> UTF-8 -> ISO-2022-JP -> UTF-8. */
    size_t n = 0;
    for (unsigned lead = 0x81; lead <= 0xFC; lead++) {
        for (unsigned trail = 0x40; trail <= 0xFC; trail++) {
            uint32_t cp = mg_cp932_lookup((uint8_t)lead, (uint8_t)trail);
            if (cp == 0 || (cp >= 0xE000 && cp <= 0xF8FF))
                continue;
            uint8_t u[4];
            size_t ul = mg_utf8_encode(cp, u);
            mg_buf_init(&e);
            assert_true(mg_charset_utf8_to_iso2022jp(u, ul, &e, &bad));
            assert_true(dec(&b, "ISO-2022-JP", (const char *)e.data, e.len, &r) != NULL);
            assert_int_equal(r.errors, 0);
            assert_int_equal(b.len, ul);
            assert_memory_equal(b.data, u, ul);
            mg_buf_free(&b);
            mg_buf_free(&e);
            n++;
        }
    }
    assert_true(n > 7000);
}

/* The committed table equals what this machine's glibc says, code by code. */
static uint32_t glibc_decode(iconv_t cd, const uint8_t *in, size_t len)
{
    iconv(cd, NULL, NULL, NULL, NULL);
    char src[4], dst[8];
    memcpy(src, in, len);
    char *ip = src, *op = dst;
    size_t il = len, ol = sizeof dst;
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0)
        return 0;
    uint32_t cp = 0;
    size_t n = sizeof dst - ol;
    if (mg_utf8_decode((const uint8_t *)dst, n, &cp) != n)
        return 0;
    return cp;
}

static void test_tables_match_glibc(void **state)
{
    (void)state;
    iconv_t cp932 = iconv_open("UTF-8", "CP932");
    iconv_t eucms = iconv_open("UTF-8", "EUC-JP-MS");
    if (cp932 == (iconv_t)-1 || eucms == (iconv_t)-1)
        skip();
    size_t mapped = 0;
    for (unsigned lead = 0x81; lead <= 0xFC; lead++) {
        for (unsigned trail = 0x40; trail <= 0xFC; trail++) {
            uint8_t s[2] = { (uint8_t)lead, (uint8_t)trail };
            uint32_t ours = mg_cp932_lookup(s[0], s[1]);
            if (lead >= 0xA0 && lead < 0xE0)
                ours = 0;
            uint32_t theirs = (lead >= 0xA0 && lead < 0xE0) ? 0 : glibc_decode(cp932, s, 2);
            if (ours != theirs)
                fail_msg("CP932 %02X%02X: ours U+%04X glibc U+%04X", lead, trail,
                         (unsigned)ours, (unsigned)theirs);
            mapped += ours != 0;
        }
    }
    assert_true(mapped > 9000);
    /* eucJP-ms G1 through our arithmetic against glibc's EUC-JP-MS. */
    for (unsigned b1 = 0xA1; b1 <= 0xFE; b1++) {
        for (unsigned b2 = 0xA1; b2 <= 0xFE; b2++) {
            uint8_t s[2] = { (uint8_t)b1, (uint8_t)b2 };
            struct mg_buf b;
            struct mg_decode_result r;
            const char *got = dec(&b, "EUC-JP", (const char *)s, 2, &r);
            uint32_t ours = 0;
            if (r.errors == 0)
                mg_utf8_decode((const uint8_t *)got, b.len, &ours);
            uint32_t theirs = glibc_decode(eucms, s, 2);
            if (ours != theirs)
                fail_msg("EUC-JP %02X%02X: ours U+%04X glibc U+%04X", b1, b2,
                         (unsigned)ours, (unsigned)theirs);
            mg_buf_free(&b);
        }
    }
    iconv_close(cp932);
    iconv_close(eucms);
}

static void test_jis_arithmetic(void **state)
{
    (void)state;
    for (unsigned row = 1; row <= 120; row++) {
        for (unsigned cell = 1; cell <= 94; cell++) {
            uint8_t s1, s2;
            unsigned r2, c2;
            assert_true(mg_jis_to_sjis(row, cell, &s1, &s2));
            assert_true(mg_sjis_to_jis(s1, s2, &r2, &c2));
            assert_int_equal(r2, row);
            assert_int_equal(c2, cell);
        }
    }
    uint8_t s1, s2;
    assert_true(mg_jis_to_sjis(13, 1, &s1, &s2));
    assert_int_equal(s1, 0x87);
    assert_int_equal(s2, 0x40);
    assert_true(mg_jis_to_sjis(115, 1, &s1, &s2));
    assert_int_equal(s1, 0xFA);
    assert_int_equal(s2, 0x40);
    assert_false(mg_jis_to_sjis(0, 1, &s1, &s2));
    assert_false(mg_jis_to_sjis(1, 95, &s1, &s2));
}

/* Random bytes through every decoder: no crash, valid UTF-8 out, the error
 * offset inside the input. Deterministic (xorshift) so a failure repeats. */
static void test_random_chunks(void **state)
{
    (void)state;
    static const char *const lbl[] = { "ISO-2022-JP", "Shift_JIS", "EUC-JP", "UTF-8",
                                       "US-ASCII", "ISO-8859-1", "UTF-16", NULL };
    uint32_t x = 2463534242u;
    uint8_t buf[512];
    for (int round = 0; round < 300; round++) {
        size_t len = (size_t)(round * 7 % 512);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            /* bias toward the interesting bytes */
            static const char bias[] = "\x1B$B(@DIJ!~\x0E\x0F\x8E\x8F\xA1\xFE\x81\xFC";
            buf[i] = (round % 3 == 0) ? (uint8_t)bias[x % (sizeof(bias) - 1)]
                                      : (uint8_t)x;
        }
        for (size_t k = 0; k < sizeof lbl / sizeof lbl[0]; k++) {
            struct mg_buf b;
            struct mg_decode_result r;
            mg_buf_init(&b);
            assert_true(mg_charset_to_utf8(lbl[k], buf, len, &b, &r));
            assert_true(mg_utf8_valid(b.data, b.len));
            if (r.errors > 0)
                assert_true(r.first_error < len);
            struct mg_buf e;
            mg_buf_init(&e);
            size_t bad;
            (void)mg_charset_utf8_to_iso2022jp(b.data, b.len, &e, &bad);
            mg_buf_free(&e);
            mg_buf_free(&b);
        }
    }
}

/* Real mails (../shared/corpus/email, Joruri Mail's test suite): the
 * text/plain body of each, transfer-decoded by gmime, decodes with its own
 * label without an error to the text the sender wrote. */
static void corpus_body(const char *file, const char *want_label, const char *want)
{
    const char *root = getenv("MG_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/corpus/email/%s", root ? root : MG_TEST_SOURCE_ROOT, file);
    GMimeStream *fs = g_mime_stream_fs_open(path, O_RDONLY, 0, NULL);
    if (fs == NULL) {
        print_message("corpus file %s absent\n", path);
        skip();
    }
    GMimeParser *parser = g_mime_parser_new_with_stream(fs);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    assert_non_null(msg);
    GMimePartIter *it = g_mime_part_iter_new((GMimeObject *)msg);
    bool found = false;
    do {
        GMimeObject *o = g_mime_part_iter_get_current(it);
        if (!GMIME_IS_PART(o) || !g_mime_content_type_is_type(g_mime_object_get_content_type(o),
                                                               "text", "plain"))
            continue;
        const char *label = g_mime_object_get_content_type_parameter(o, "charset");
        assert_non_null(label);
        assert_true(g_ascii_strcasecmp(label, want_label) == 0);
        GMimeStream *mem = g_mime_stream_mem_new();
        g_mime_data_wrapper_write_to_stream(g_mime_part_get_content((GMimePart *)o), mem);
        GByteArray *ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)mem);
        struct mg_buf b;
        struct mg_decode_result r;
        const char *got = dec(&b, label, (const char *)ba->data, ba->len, &r);
        assert_int_equal(r.errors, 0);
        assert_non_null(strstr(got, want));
        mg_buf_free(&b);
        g_object_unref(mem);
        found = true;
    } while (g_mime_part_iter_next(it));
    assert_true(found);
    g_mime_part_iter_free(it);
    g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(fs);
}

static void test_corpus_mails(void **state)
{
    (void)state;
    g_mime_init();
    corpus_body("joruri_iso-2022-jp.eml", "iso-2022-jp", "エンコードテスト");
    corpus_body("joruri_shift_jis.eml", "shift_jis", "エンコードテスト");
    corpus_body("joruri_euc-jp.eml", "euc-jp", "エンコードテスト");
    corpus_body("joruri_invalid_charset_iso-2022-jp.eml", "iso-2022-jp", "本文");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_iso2022jp_escapes),
        cmocka_unit_test(test_nec_ibm_extensions),
        cmocka_unit_test(test_lookalikes_round_trip),
        cmocka_unit_test(test_broken_escapes),
        cmocka_unit_test(test_truncated_double_byte),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_other_labels),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_encoder),
        cmocka_unit_test(test_tables_match_glibc),
        cmocka_unit_test(test_jis_arithmetic),
        cmocka_unit_test(test_random_chunks),
        cmocka_unit_test(test_corpus_mails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
