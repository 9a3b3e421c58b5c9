/* Unit tests for the mail header codecs (sanitizers/mail/mail_hdr.c):
 * RFC 2047 decoding on raw values (split words, CP50220 extensions), RFC 2231
 * parameters, and the encoders' round trip and line lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/buf.h"
#include "sanitizers/mail/mail_hdr.h"

static char *dec(const char *raw, size_t *errors)
{
    static char res[4096];
    struct mg_buf b;
    mg_buf_init(&b);
    size_t e = 0;
    assert_true(mg_mail_hdr_decode(raw, strlen(raw), &b, &e));
    assert_true(b.len < sizeof(res));
    memcpy(res, b.data ? (const char *)b.data : "", b.len);
    res[b.len] = '\0';
    mg_buf_free(&b);
    if (errors)
        *errors = e;
    return res;
}

static char *param(const char *raw, const char *name, bool *found)
{
    static char res[4096];
    struct mg_buf b;
    mg_buf_init(&b);
    size_t e = 0;
    *found = mg_mail_param_get(raw, strlen(raw), name, &b, &e);
    assert_false(mg_buf_failed(&b));
    assert_true(b.len < sizeof(res));
    memcpy(res, b.data ? (const char *)b.data : "", b.len);
    res[b.len] = '\0';
    mg_buf_free(&b);
    return res;
}

static void test_decode_basic(void **state)
{
    (void)state;
    size_t e;
    assert_string_equal(dec("plain ascii", &e), "plain ascii");
    assert_int_equal(e, 0);
    assert_string_equal(dec("=?UTF-8?B?5pel5pys6Kqe44OG44K544OI?=", &e), "日本語テスト");
    assert_string_equal(dec("=?utf-8?q?caf=C3=A9_au_lait?=", &e), "café au lait");
    assert_int_equal(e, 0);
    /* Whitespace between two words disappears, around text it stays. */
    assert_string_equal(dec("a =?UTF-8?Q?b?= \r\n =?UTF-8?Q?c?= d", &e), "a bc d");
    /* Not a word: kept literally. */
    assert_string_equal(dec("=?x y?=", &e), "=?x y?=");
}

static void test_decode_iso2022jp_cp50220(void **state)
{
    (void)state;
    size_t e;
    /* ① (NEC row 13) in ISO-2022-JP, which glibc iconv refuses. */
    assert_string_equal(dec("=?ISO-2022-JP?B?GyRCLSEbKEI=?=", &e), "①");
    assert_int_equal(e, 0);
    assert_string_equal(dec("=?iso-2022-jp?B?GyRCMnE1RC0hLWobKEI=?=", &e), "会議①㈱");
    assert_int_equal(e, 0);
}

static void test_decode_split_character(void **state)
{
    (void)state;
    size_t e;
    /* "あい" split after two bytes of "あ": the words are joined as bytes
     * before UTF-8 decoding. */
    assert_string_equal(dec("=?UTF-8?B?44E=?= =?UTF-8?B?guOBhA==?=", &e), "あい");
    assert_int_equal(e, 0);
    /* Split in the middle of a base64 quantum (no padding on the first). */
    assert_string_equal(dec("=?UTF-8?B?5pel5p?= =?UTF-8?B?ys6Kqe?=", &e), "日本語");
    assert_int_equal(e, 0);
    /* Different charsets are not joined. */
    assert_string_equal(dec("=?UTF-8?Q?a?= =?ISO-8859-1?Q?=E9?=", &e), "aé");
}

static void test_decode_raw_8bit(void **state)
{
    (void)state;
    size_t e;
    assert_string_equal(dec("Re: \xe4\xbc\x9a\xe8\xad\xb0", &e), "Re: 会議");
    /* Raw ISO-2022-JP (ESC sequences) without encoded words. */
    assert_string_equal(dec("\x1b$B@A5a=q\x1b(B", &e), "請求書");
    /* Raw Shift_JIS (CP932) ①. */
    assert_string_equal(dec("No.\x87\x40", &e), "No.①");
}

static void test_decode_broken(void **state)
{
    (void)state;
    size_t e = 0;
    dec("=?UTF-8?Q?bad=ZZ?=", &e);
    assert_true(e > 0);
    e = 0;
    dec("=?UTF-8?B?5pe*l?=", &e);
    assert_true(e > 0);
}

static void test_unfold(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    const char *in = " a\r\n b\n\tc\rd\ne";
    assert_true(mg_mail_unfold(in, strlen(in), &b));
    assert_string_equal(mg_buf_cstr(&b), " a b\tc d e");
    mg_buf_free(&b);
}

static void test_param_2231(void **state)
{
    (void)state;
    bool f;
    assert_string_equal(param("attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.docm",
                              "filename", &f),
                        "請求書.docm");
    assert_true(f);
    /* Continuations, ISO-2022-JP, unordered, with a language. */
    assert_string_equal(param("attachment; filename*1*=%3Dq%1B%28B.pdf;\r\n"
                              " filename*0*=iso-2022-jp'ja'%1B%24B%40A5a",
                              "filename", &f),
                        "請求書.pdf");
    /* Plain continuations carrying an RFC 2047 word split in two. */
    assert_string_equal(param("application/pdf; name*0=\"=?ISO-2022-JP?B?GyRCQEE1\";"
                              " name*1=\"YT1xGyhC?=.pdf\"",
                              "name", &f),
                        "請求書.pdf");
    /* RFC 2047 in a quoted value (non-standard, universal in Japan). */
    assert_string_equal(param("attachment; filename=\"=?UTF-8?B?5pel5pys6Kqe?=.txt\"",
                              "filename", &f),
                        "日本語.txt");
    /* Extended value wins over the plain one; other names do not match. */
    assert_string_equal(param("attachment; filenamex=no; filename=\"old.txt\"; "
                              "filename*=utf-8''new.txt",
                              "filename", &f),
                        "new.txt");
    /* Quoted ';' and escapes. */
    assert_string_equal(param("attachment; filename=\"a;b\\\"c.txt\"", "filename", &f),
                        "a;b\"c.txt");
    /* gmime's raw values end with the line break. */
    assert_string_equal(param(" attachment;\r\n filename*=UTF-8''a.txt\r\n", "filename", &f),
                        "a.txt");
    param("attachment; size=3", "filename", &f);
    assert_false(f);
}

static void check_lines(const struct mg_buf *b, size_t max)
{
    size_t col = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == '\n') {
            assert_true(col <= max + 1);   /* + the CR */
            col = 0;
        } else {
            col++;
        }
    }
}

static void roundtrip_subject(const char *utf8, bool iso)
{
    struct mg_buf h, d;
    mg_buf_init(&h);
    mg_buf_init(&d);
    size_t um = 0, e = 0;
    assert_true(mg_mail_hdr_encode("Subject", (const uint8_t *)utf8, strlen(utf8), iso, &h, &um));
    assert_int_equal(um, 0);
    check_lines(&h, 76);
    for (size_t i = 0; i < h.len; i++)
        assert_true(h.data[i] < 0x80);
    const char *s = mg_buf_cstr(&h);
    assert_memory_equal(s, "Subject:", 8);
    assert_true(mg_mail_hdr_decode(s + 8, h.len - 8, &d, &e));
    /* The decoded value starts after the space that follows the colon. */
    assert_int_equal(e, 0);
    const char *got = mg_buf_cstr(&d);
    while (*got == ' ')
        got++;
    size_t gl = strlen(got);
    while (gl > 0 && (got[gl - 1] == '\n' || got[gl - 1] == '\r' || got[gl - 1] == ' '))
        gl--;
    assert_int_equal(gl, strlen(utf8));
    assert_memory_equal(got, utf8, gl);
    mg_buf_free(&h);
    mg_buf_free(&d);
}

static void test_encode_roundtrip(void **state)
{
    (void)state;
    const char *long_jp = "【重要】令和7年度 第①回 入札説明会のご案内（株式会社髙橋 ㈱ Ⅲ）"
                          "～ 〜 − － 詳細は添付資料をご確認ください。よろしくお願いいたします。";
    roundtrip_subject("日本語テスト", false);
    roundtrip_subject("日本語テスト", true);
    roundtrip_subject(long_jp, false);
    /* ISO-2022-JP has one code for 〜/～ and −/－ (charset.h decodes them
     * the CP932 way), so its round trip uses the full-width forms. */
    const char *long_jp_iso = "【重要】令和7年度 第①回 入札説明会のご案内（株式会社髙橋 ㈱ Ⅲ）"
                              "～ － 詳細は添付資料をご確認ください。よろしくお願いいたします。";
    roundtrip_subject(long_jp_iso, true);
    roundtrip_subject("plain ascii subject", false);
    roundtrip_subject("looks like =?an?encoded?= word", false);
}

static void test_param_encode(void **state)
{
    (void)state;
    const char *names[] = {"a.txt", "請求書.docx",
                           "令和7年度_第①回_入札説明会資料_最終版_株式会社髙橋_㈱.xlsx"};
    for (size_t k = 0; k < 3; k++) {
        struct mg_buf h;
        mg_buf_init(&h);
        mg_buf_puts(&h, "attachment");
        assert_true(mg_mail_param_encode("filename", (const uint8_t *)names[k],
                                         strlen(names[k]), &h));
        check_lines(&h, 78);
        bool f;
        char *got = param(mg_buf_cstr(&h), "filename", &f);
        assert_true(f);
        assert_string_equal(got, names[k]);
        mg_buf_free(&h);
    }
}

static void test_clean_text(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    /* "invoice" + RLO + "fdp.exe": the override is dropped. */
    mg_buf_puts(&b, "invoice\xe2\x80\xae" "fdp.exe\x01\n");
    assert_int_equal(mg_mail_clean_text(&b, true), 2);
    assert_string_equal(mg_buf_cstr(&b), "invoicefdp.exe \n");
    mg_buf_reset(&b);
    mg_buf_puts(&b, "a\nb\xff");
    assert_int_equal(mg_mail_clean_text(&b, false), 2);
    assert_string_equal(mg_buf_cstr(&b), "a b\xef\xbf\xbd");
    /* Runs: untouched text stays byte for byte (kana, tab, DEL, C1, a
     * truncated sequence at the very end). */
    mg_buf_reset(&b);
    mg_buf_puts(&b, "\xe3\x81\x82\tok\n");
    assert_int_equal(mg_mail_clean_text(&b, true), 0);
    assert_string_equal(mg_buf_cstr(&b), "\xe3\x81\x82\tok\n");
    mg_buf_reset(&b);
    mg_buf_puts(&b, "x\x7fy\xc2\x85z\xe2\x81\xa6w\xe3\x81");
    assert_int_equal(mg_mail_clean_text(&b, true), 5);
    assert_string_equal(mg_buf_cstr(&b), "x y zw\xef\xbf\xbd\xef\xbf\xbd");
    mg_buf_free(&b);
}

/* Found by fuzz_mail: an empty value reaches the decoder as (NULL, 0);
 * it decodes to nothing, without pointer arithmetic on NULL. */
static void test_decode_empty(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    size_t e = 0;
    assert_true(mg_mail_hdr_decode(NULL, 0, &b, &e));
    assert_int_equal(b.len, 0);
    assert_int_equal(e, 0);
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_basic),
        cmocka_unit_test(test_decode_empty),
        cmocka_unit_test(test_decode_iso2022jp_cp50220),
        cmocka_unit_test(test_decode_split_character),
        cmocka_unit_test(test_decode_raw_8bit),
        cmocka_unit_test(test_decode_broken),
        cmocka_unit_test(test_unfold),
        cmocka_unit_test(test_param_2231),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_param_encode),
        cmocka_unit_test(test_clean_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
