/* Unit tests for src/core: buffers, spool, sink, JSON, UTF-8, config, log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/sink.h"
#include "core/spool.h"
#include "core/utf8.h"

static void test_buf_limit_is_sticky(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    mg_buf_set_limit(&b, 8);
    assert_true(mg_buf_puts(&b, "12345678"));
    assert_false(mg_buf_putc(&b, '9'));
    assert_true(mg_buf_failed(&b));
    assert_false(mg_buf_puts(&b, ""));   /* stays failed */
    assert_int_equal(b.len, 8);
    assert_string_equal(mg_buf_cstr(&b), "12345678");
    mg_buf_free(&b);
}

static void test_buf_printf(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        assert_true(mg_buf_printf(&b, "%d,", i));
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_int_equal(b.len, 3890);
    mg_buf_free(&b);
}

static void test_spool_memory_then_disk(void **state)
{
    (void)state;
    struct mg_spool *sp = mg_spool_new(100, 0, NULL);
    assert_non_null(sp);
    uint8_t chunk[64];
    for (int i = 0; i < 64; i++)
        chunk[i] = (uint8_t)i;
    assert_true(mg_spool_write(sp, chunk, 64));
    assert_false(mg_spool_on_disk(sp));
    size_t len;
    const uint8_t *v = mg_spool_view(sp, &len);
    assert_int_equal(len, 64);
    assert_memory_equal(v, chunk, 64);
    /* Crossing the threshold moves everything to an unlinked file. */
    assert_true(mg_spool_write(sp, chunk, 64));
    assert_true(mg_spool_on_disk(sp));
    v = mg_spool_view(sp, &len);
    assert_int_equal(len, 128);
    assert_memory_equal(v, chunk, 64);
    assert_memory_equal(v + 64, chunk, 64);
    /* Writing after a view remaps. */
    assert_true(mg_spool_write(sp, "x", 1));
    v = mg_spool_view(sp, &len);
    assert_int_equal(len, 129);
    assert_int_equal(v[128], 'x');
    mg_spool_free(sp);
}

static void test_spool_max_size(void **state)
{
    (void)state;
    struct mg_spool *sp = mg_spool_new(4, 10, NULL);
    assert_true(mg_spool_write(sp, "0123456789", 10));
    assert_false(mg_spool_write(sp, "a", 1));
    assert_true(mg_spool_failed(sp));
    assert_int_equal(mg_spool_error(sp), EFBIG);
    mg_spool_truncate(sp);
    assert_false(mg_spool_failed(sp));
    assert_int_equal(mg_spool_size(sp), 0);
    mg_spool_free(sp);
}

static void test_spool_bad_tmpdir(void **state)
{
    (void)state;
    struct mg_spool *sp = mg_spool_new(2, 0, "/nonexistent/dir");
    assert_false(mg_spool_write(sp, "abcdef", 6));
    assert_int_equal(mg_spool_error(sp), ENOENT);
    mg_spool_free(sp);
}

static void test_sink_into_buf(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    mg_buf_set_limit(&b, 4);
    struct mg_sink s;
    mg_sink_init_buf(&s, &b);
    assert_true(mg_sink_puts(&s, "abc"));
    assert_false(mg_sink_puts(&s, "de"));
    assert_true(s.failed);
    assert_int_equal(s.written, 3);
    mg_buf_free(&b);
}

static void test_utf8_grammar(void **state)
{
    (void)state;
    assert_true(mg_utf8_valid((const uint8_t *)"日本語", strlen("日本語")));
    assert_false(mg_utf8_valid((const uint8_t *)"\xC0\xAF", 2));        /* overlong '/' */
    assert_false(mg_utf8_valid((const uint8_t *)"\xED\xA0\x80", 3));    /* surrogate */
    assert_false(mg_utf8_valid((const uint8_t *)"\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(mg_utf8_valid((const uint8_t *)"\xE6\x97", 2));        /* truncated */
    uint8_t out[4];
    assert_int_equal(mg_utf8_encode(0x2460, out), 3);
    assert_memory_equal(out, "\xE2\x91\xA0", 3);
    assert_int_equal(mg_utf8_encode(0xD800, out), 0);
}

static void test_json_escapes_hostile_strings(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    struct mg_json j;
    mg_json_init(&j, &b);
    mg_json_obj_begin(&j, NULL);
    mg_json_str(&j, "name", "a\"b\\c\n\x01\xff請求書");
    mg_json_uint(&j, "size", 42);
    mg_json_arr_begin(&j, "list");
    mg_json_bool(&j, NULL, true);
    mg_json_null(&j, NULL);
    mg_json_arr_end(&j);
    mg_json_obj_end(&j);
    assert_false(mg_json_failed(&j));
    assert_string_equal(mg_buf_cstr(&b),
        "{\"name\":\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD請求書\",\"size\":42,\"list\":[true,null]}");
    mg_buf_free(&b);
}

static const char defaults[] = "[a]\nsize = 1M\ntime = 30s\nmode = auto\nn = 5\n";

static void test_config_overlay_and_unknown_keys(void **state)
{
    (void)state;
    char path[] = "/tmp/mugai-test-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *user = "[a]\nsize = 25M\n";
    assert_int_equal(write(fd, user, strlen(user)), (ssize_t)strlen(user));
    close(fd);

    GError *err = NULL;
    GKeyFile *kf = mg_config_load(defaults, path, &err);
    assert_non_null(kf);
    uint64_t size;
    double secs;
    assert_true(mg_config_get_size(kf, "a", "size", &size, &err));
    assert_int_equal(size, 25u << 20);
    assert_true(mg_config_get_duration(kf, "a", "time", &secs, &err));
    assert_true(secs == 30.0);
    static const char *const modes[] = { "auto", "required", "off", NULL };
    int mode;
    assert_true(mg_config_get_choice(kf, "a", "mode", modes, &mode, &err));
    assert_int_equal(mode, 0);
    g_key_file_free(kf);

    fd = open(path, O_WRONLY | O_TRUNC);
    const char *typo = "[a]\nsiez = 1K\n";
    assert_int_equal(write(fd, typo, strlen(typo)), (ssize_t)strlen(typo));
    close(fd);
    kf = mg_config_load(defaults, path, &err);
    assert_null(kf);
    assert_non_null(err);
    assert_non_null(strstr(err->message, "siez"));
    g_clear_error(&err);
    unlink(path);
}

static void test_config_parsers(void **state)
{
    (void)state;
    uint64_t v;
    double d;
    assert_true(mg_config_parse_size("512K", &v));
    assert_int_equal(v, 512u * 1024);
    assert_true(mg_config_parse_size("1GB", &v));
    assert_false(mg_config_parse_size("-1", &v));
    assert_false(mg_config_parse_size("12Q", &v));
    assert_false(mg_config_parse_size("99999999999999999999G", &v));
    assert_true(mg_config_parse_duration("500ms", &d));
    assert_true(d > 0.49 && d < 0.51);
    assert_true(mg_config_parse_duration("2h", &d));
    assert_true(d == 7200.0);
    assert_false(mg_config_parse_duration("5x", &d));
}

static char captured[1024];
static void capture(enum mg_log_level lvl, const char *line, void *ud)
{
    (void)lvl;
    (void)ud;
    snprintf(captured, sizeof(captured), "%s", line);
}

static void test_log_one_line_per_event(void **state)
{
    (void)state;
    mg_log_set_capture(capture, NULL);
    mg_log(MG_LOG_WARN, "J1", "mail/1/a\nb.txt", "bad \"part\"\r\n%d", 7);
    assert_string_equal(captured,
        "level=warn job=\"J1\" item=\"mail/1/a\\x0ab.txt\" msg=\"bad \\\"part\\\"\\x0d\\x0a7\"");
    mg_log_set_capture(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_limit_is_sticky),
        cmocka_unit_test(test_buf_printf),
        cmocka_unit_test(test_spool_memory_then_disk),
        cmocka_unit_test(test_spool_max_size),
        cmocka_unit_test(test_spool_bad_tmpdir),
        cmocka_unit_test(test_sink_into_buf),
        cmocka_unit_test(test_utf8_grammar),
        cmocka_unit_test(test_json_escapes_hostile_strings),
        cmocka_unit_test(test_config_overlay_and_unknown_keys),
        cmocka_unit_test(test_config_parsers),
        cmocka_unit_test(test_log_one_line_per_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
