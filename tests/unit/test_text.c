/* Unit tests for the text sanitizer's pure part (sanitizers/text/text.h)
 * and the link rewriting it shares with html and mail (src/scan/urls.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "engine/engine.h"
#include "engine_fixture.h"
#include "sanitizers/text/text.h"
#include "scan/urls.h"

static char *rewrite(enum mg_urls_mode m, const char *in, size_t *count)
{
    struct mg_buf b;
    mg_buf_init(&b);
    assert_true(mg_urls_rewrite((const uint8_t *)in, strlen(in), m, "[X]", &b, count));
    mg_buf_cstr(&b);
    size_t n;
    return (char *)mg_buf_steal(&b, &n);
}

#define DEFANG(in, want, cnt) do {                                  \
        size_t c_ = 99;                                             \
        char *s_ = rewrite(MG_URLS_DEFANG, in, &c_);                \
        assert_string_equal(s_, want);                              \
        assert_int_equal(c_, cnt);                                  \
        free(s_);                                                   \
    } while (0)

#define REMOVE(in, want, cnt) do {                                  \
        size_t c_ = 99;                                             \
        char *s_ = rewrite(MG_URLS_REMOVE, in, &c_);                \
        assert_string_equal(s_, want);                              \
        assert_int_equal(c_, cnt);                                  \
        free(s_);                                                   \
    } while (0)

static void test_urls_defang_ascii(void **state)
{
    (void)state;
    DEFANG("see http://www.example.com/a?b=c#d now",
           "see hxxp://www[.]example[.]com/a?b=c#d now", 1);
    DEFANG("HTTPS://Example.JP:8443/x.", "hxxps://Example[.]JP:8443/x.", 1);
    DEFANG("ftp://files.example.org/", "fxp://files[.]example[.]org/", 1);
    DEFANG("<http://a.b/>, 'http://c.d'", "<hxxp://a[.]b/>, 'hxxp://c[.]d'", 2);
    DEFANG("(http://a.b/c)", "(hxxp://a[.]b/c)", 1);
    DEFANG("http://user@10.0.0.1/", "hxxp://user@10[.]0[.]0[.]1/", 1);
    /* a scheme inside a word or with no host is still defanged; these are not links */
    DEFANG("xhttp://a.b http:// https:/a.b mailto:a@b.c", "xhxxp://a[.]b hxxp:// https:/a.b mailto:a@b.c", 2);
    /* backslashes, and links inside links */
    DEFANG("http:\\\\evil.com\\x", "hxxp://evil[.]com\\x", 1);
    DEFANG("http://a.b/r?u=https://evil.c/&v=ftp://f.g", "hxxp://a[.]b/r?u=hxxps://evil[.]c/&v=fxp://f[.]g", 3);
    DEFANG("ftp://ftp://x.y", "fxp://fxp://x[.]y", 2);
    /* already defanged text stays as it is */
    DEFANG("hxxp://a[.]b", "hxxp://a[.]b", 0);
}

static void test_urls_defang_japanese(void **state)
{
    (void)state;
    /* full-width scheme, dots and path */
    DEFANG("リンク：ｈｔｔｐ：／／ｅｘａｍｐｌｅ．ｊｐ／ａ です",
           "リンク：hxxp://ｅｘａｍｐｌｅ[.]ｊｐ／ａ です", 1);
    /* mixed widths, upper case */
    DEFANG("ＨＴＴＰＳ://evil.example.com", "hxxps://evil[.]example[.]com", 1);
    /* ideographic full stop used as a dot inside the host */
    DEFANG("http://evil。example。com/", "hxxp://evil[.]example[.]com/", 1);
    /* Japanese text right after the link is not part of it */
    DEFANG("http://example.jpをご覧ください。", "hxxp://example[.]jpをご覧ください。", 1);
    DEFANG("詳細はhttps://example.jp/p。", "詳細はhxxps://example[.]jp/p。", 1);
    /* IDN host */
    DEFANG("http://日本語.jp/", "hxxp://日本語[.]jp/", 1);
    /* 「」 around a link */
    DEFANG("「http://a.jp」", "「hxxp://a[.]jp」", 1);
}

static void test_urls_remove(void **state)
{
    (void)state;
    REMOVE("a http://x.y/z?q=1 b https://p.q", "a [X] b [X]", 2);
    REMOVE("ｈｔｔｐ：／／ｘ．ｙ／ｚです", "[X]です", 1);
    REMOVE("no links here", "no links here", 0);
    REMOVE("go http:///evil.example/x now", "go [X] now", 1);
    size_t c = 99;
    char *s = rewrite(MG_URLS_KEEP, "http://a.b", &c);
    assert_string_equal(s, "http://a.b");
    assert_int_equal(c, 0);
    free(s);
}

/* 200 000 links nested in one path: a quadratic rewrite would not finish
 * within the test timeout. */
static void test_urls_nested_linear(void **state)
{
    (void)state;
    const char *unit = "http://a/";
    size_t n = 200000, ul = strlen(unit);
    char *in = malloc(n * ul + 1);
    assert_non_null(in);
    for (size_t i = 0; i < n; i++)
        memcpy(in + i * ul, unit, ul);
    in[n * ul] = '\0';
    for (int m = MG_URLS_DEFANG; m <= MG_URLS_REMOVE; m++) {
        size_t c = 0;
        char *s = rewrite((enum mg_urls_mode)m, in, &c);
        assert_int_equal(c, m == MG_URLS_DEFANG ? n : 1);
        free(s);
    }
    free(in);
}

static void test_urls_find_span(void **state)
{
    (void)state;
    const char *t = "go to https://host.example:81/p?x. ok";
    struct mg_url_span sp;
    assert_true(mg_urls_find((const uint8_t *)t, strlen(t), 0, &sp));
    assert_int_equal(sp.start, 6);
    assert_int_equal(sp.end, 33);
    assert_string_equal(sp.scheme, "https");
    assert_int_equal(sp.host_end - sp.host_start, strlen("host.example:81"));
    assert_false(mg_urls_find((const uint8_t *)t, strlen(t), sp.end, &sp));
}

static void test_strip_controls(void **state)
{
    (void)state;
    /* NUL, BEL, ESC, DEL, C1 (U+0085, U+009B), RLO U+202E, LRI U+2066 go;
     * TAB LF FF CR stay. */
    const char in[] = "a\0b\a\x1B[31m\t\n\f\r\x7F\xC2\x85\xC2\x9B" "exe.\xE2\x80\xAE" "fdp" "\xE2\x81\xA6" "z";
    struct mg_buf b;
    mg_buf_init(&b);
    size_t n = mg_text_strip_controls((const uint8_t *)in, sizeof in - 1, &b);
    assert_int_equal(n, 8);
    assert_int_equal(b.len, strlen("ab[31m\t\n\f\rexe.fdpz"));
    assert_memory_equal(b.data, "ab[31m\t\n\f\rexe.fdpz", b.len);
    mg_buf_free(&b);
}

static struct mg_text_opts opts(enum mg_urls_mode m)
{
    struct mg_text_opts o = { .urls = m, .url_removed = NULL, .max_out = 0 };
    return o;
}

static void test_clean_utf8_unchanged(void **state)
{
    (void)state;
    const char *in = "こんにちは\tworld\r\nhttp://example.jp\n";
    struct mg_text_opts o = opts(MG_URLS_KEEP);
    struct mg_buf b;
    struct mg_text_stats st;
    mg_buf_init(&b);
    assert_true(mg_text_clean(NULL, (const uint8_t *)in, strlen(in), &o, &b, &st));
    assert_false(st.changed);
    assert_int_equal(st.dec.errors, 0);
    assert_int_equal(st.dec.charset, MG_CS_UTF8);
    assert_int_equal(b.len, strlen(in));
    mg_buf_free(&b);
}

static void test_clean_converts_and_strips(void **state)
{
    (void)state;
    /* ISO-2022-JP with ① and a link, a NUL and a BOM-less start */
    const char in[] = "\x1B$B-!$\"\x1B(B x\0y http://a.jp\n";
    struct mg_text_opts o = opts(MG_URLS_DEFANG);
    struct mg_buf b;
    struct mg_text_stats st;
    mg_buf_init(&b);
    assert_true(mg_text_clean(NULL, (const uint8_t *)in, sizeof in - 1, &o, &b, &st));
    assert_true(st.changed);
    assert_int_equal(st.dec.charset, MG_CS_ISO2022JP);
    assert_int_equal(st.controls, 1);
    assert_int_equal(st.urls, 1);
    assert_string_equal(mg_buf_cstr(&b), "①あ xy hxxp://a[.]jp\n");
    mg_buf_free(&b);

    /* A CP932 label and its NEC/IBM characters */
    const char sj[] = "\x87\x40\xFB\xFC\x81\x60";
    o = opts(MG_URLS_KEEP);
    mg_buf_init(&b);
    assert_true(mg_text_clean("Shift_JIS", (const uint8_t *)sj, sizeof sj - 1, &o, &b, &st));
    assert_string_equal(mg_buf_cstr(&b), "①髙～");
    assert_int_equal(st.dec.charset, MG_CS_CP932);
    assert_string_equal(st.charset, "CP932");
    mg_buf_free(&b);
}

static void test_clean_bom_dropped(void **state)
{
    (void)state;
    const char in[] = "\xEF\xBB\xBF" "abc";
    struct mg_text_opts o = opts(MG_URLS_KEEP);
    struct mg_buf b;
    struct mg_text_stats st;
    mg_buf_init(&b);
    assert_true(mg_text_clean(NULL, (const uint8_t *)in, sizeof in - 1, &o, &b, &st));
    assert_true(st.bom);
    assert_true(st.changed);
    assert_string_equal(mg_buf_cstr(&b), "abc");
    mg_buf_free(&b);
    /* UTF-16 with a BOM becomes UTF-8 without one */
    const char u16[] = "\xFF\xFE" "a\0\x42\x30";
    mg_buf_init(&b);
    assert_true(mg_text_clean(NULL, (const uint8_t *)u16, sizeof u16 - 1, &o, &b, &st));
    assert_string_equal(mg_buf_cstr(&b), "aあ");
    assert_string_equal(st.charset, "UTF-16");
    assert_true(st.changed);
    mg_buf_free(&b);
}

static void test_clean_decode_errors(void **state)
{
    (void)state;
    /* invalid UTF-8 label: errors reported with the offset, caller blocks */
    const char in[] = "abc\xE3\x81";
    struct mg_text_opts o = opts(MG_URLS_KEEP);
    struct mg_buf b;
    struct mg_text_stats st;
    mg_buf_init(&b);
    assert_true(mg_text_clean("utf-8", (const uint8_t *)in, sizeof in - 1, &o, &b, &st));
    assert_int_equal(st.dec.errors, 2);
    assert_int_equal(st.dec.first_error, 3);
    assert_string_equal(st.charset, "UTF-8");
    mg_buf_free(&b);
    /* broken ISO-2022-JP escape */
    const char j[] = "ok\x1B$Zxx";
    mg_buf_init(&b);
    assert_true(mg_text_clean("ISO-2022-JP", (const uint8_t *)j, sizeof j - 1, &o, &b, &st));
    assert_true(st.dec.errors > 0);
    assert_int_equal(st.dec.first_error, 2);
    mg_buf_free(&b);
}

static void test_clean_limit(void **state)
{
    (void)state;
    const char in[] = "\x1B$B$\"$\"$\"$\"\x1B(B";   /* 4 x あ = 12 bytes of UTF-8 */
    struct mg_text_opts o = opts(MG_URLS_KEEP);
    o.max_out = 6;
    struct mg_buf b;
    struct mg_text_stats st;
    mg_buf_init(&b);
    assert_false(mg_text_clean(NULL, (const uint8_t *)in, sizeof in - 1, &o, &b, &st));
    assert_true(st.over_limit);
    mg_buf_free(&b);
}

/* ---- The sanitizer through the engine (dispatch, verdicts, actions). ---- */


static const char base_conf[] = MG_TEST_BASE_CONF;

static bool has_action(const struct mg_item *it, enum mg_action a, const char *detail)
{
    for (size_t i = 0; i < it->n_actions; i++) {
        if (it->actions[i].action == a &&
            (detail == NULL || strcmp(it->actions[i].detail, detail) == 0))
            return true;
    }
    return false;
}

struct run {
    struct mg_job *job;
    struct mg_item *it;
};

static struct run run_text(struct mg_engine *e, const char *name, const char *data, size_t len)
{
    struct run r;
    r.job = mg_job_new(e, NULL);
    r.it = mg_job_run(r.job, name, (const uint8_t *)data, len, MG_TC_TEXT);
    assert_non_null(r.it);
    return r;
}

static void test_engine_text(void **state)
{
    (void)state;
    struct mg_engine *e = mg_test_engine(base_conf);

    /* Clean UTF-8: CLEAN, the very bytes. */
    const char clean[] = "こんにちは\r\nhttp://example.jp/\r\n";
    struct run r = run_text(e, "a.txt", clean, sizeof clean - 1);
    assert_int_equal(r.it->verdict, MG_CLEAN);
    assert_string_equal(r.it->sanitizer, "text");
    size_t n;
    const uint8_t *res = mg_item_result(r.it, &n);
    assert_int_equal(n, sizeof clean - 1);
    assert_memory_equal(res, clean, n);
    mg_job_free(r.job);

    /* ISO-2022-JP with NEC/IBM characters: SANITIZED to UTF-8. */
    const char jis[] = "\x1B$B-!-j-7|byu\x1B(B ok\n";
    r = run_text(e, "b.txt", jis, sizeof jis - 1);
    assert_int_equal(r.it->verdict, MG_SANITIZED);
    assert_true(has_action(r.it, MG_A_CONVERTED_TO_UTF8, "ISO-2022-JP"));
    res = mg_item_result(r.it, &n);
    assert_int_equal(n, strlen("①㈱Ⅲ髙﨑 ok\n"));
    assert_memory_equal(res, "①㈱Ⅲ髙﨑 ok\n", n);
    mg_job_free(r.job);

    /* Controls and a NUL: stripped and counted; a BOM dropped. */
    const char ctl[] = "\xEF\xBB\xBF" "a\0b\x1B[0m\xE2\x80\xAE" "c\n";
    r = run_text(e, "c.txt", ctl, sizeof ctl - 1);
    assert_int_equal(r.it->verdict, MG_SANITIZED);
    assert_true(has_action(r.it, MG_A_CONTROL_STRIPPED, "3"));
    assert_false(has_action(r.it, MG_A_CONVERTED_TO_UTF8, NULL));
    res = mg_item_result(r.it, &n);
    assert_int_equal(n, strlen("ab[0mc\n"));
    assert_memory_equal(res, "ab[0mc\n", n);
    mg_job_free(r.job);

    /* Undecodable: BLOCKED as malformed, with the offset. */
    const char bad[] = "\x1B$B$\"\x1B$Zx\x1B(B";
    r = run_text(e, "d.txt", bad, sizeof bad - 1);
    assert_int_equal(r.it->verdict, MG_BLOCKED);
    assert_int_equal(r.it->reason, MG_R_MALFORMED);
    assert_non_null(r.it->reason_detail);
    assert_non_null(strstr(r.it->reason_detail, "first at byte offset 5"));
    assert_null(mg_item_result(r.it, &n));
    mg_job_free(r.job);
    mg_engine_free(e);
}

static void test_engine_text_urls(void **state)
{
    (void)state;
    char conf[256];
    snprintf(conf, sizeof conf, "%s[text]\nurls = defang\n", base_conf);
    struct mg_engine *e = mg_test_engine(conf);
    const char t[] = "see http://evil.example.com/x and ｈｔｔｐ：／／ａ．ｊｐ\n";
    struct run r = run_text(e, "u.txt", t, sizeof t - 1);
    assert_int_equal(r.it->verdict, MG_SANITIZED);
    assert_true(has_action(r.it, MG_A_URL_DEFANGED, "2"));
    size_t n;
    const uint8_t *res = mg_item_result(r.it, &n);
    const char *want = "see hxxp://evil[.]example[.]com/x and hxxp://ａ[.]ｊｐ\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(res, want, n);
    mg_job_free(r.job);
    mg_engine_free(e);

    snprintf(conf, sizeof conf, "%s[general]\nlanguage = ja\n[text]\nurls = remove\n", base_conf);
    e = mg_test_engine(conf);
    r = run_text(e, "u.txt", t, sizeof t - 1);
    assert_int_equal(r.it->verdict, MG_SANITIZED);
    assert_true(has_action(r.it, MG_A_URL_REMOVED, "2"));
    res = mg_item_result(r.it, &n);
    want = "see [リンク削除] and [リンク削除]\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(res, want, n);
    mg_job_free(r.job);
    mg_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls_defang_ascii),
        cmocka_unit_test(test_urls_defang_japanese),
        cmocka_unit_test(test_urls_remove),
        cmocka_unit_test(test_urls_find_span),
        cmocka_unit_test(test_urls_nested_linear),
        cmocka_unit_test(test_strip_controls),
        cmocka_unit_test(test_clean_utf8_unchanged),
        cmocka_unit_test(test_clean_converts_and_strips),
        cmocka_unit_test(test_clean_bom_dropped),
        cmocka_unit_test(test_clean_decode_errors),
        cmocka_unit_test(test_clean_limit),
        cmocka_unit_test(test_engine_text),
        cmocka_unit_test(test_engine_text_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
