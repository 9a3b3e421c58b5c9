/* Unit tests for src/sandbox/frame.c: typed fields, exact consumption,
 * bounds, descriptor passing, and the sealing check on mapped memfds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/frame.h"
#include "sandbox/sandbox_private.h"

static void test_roundtrip_and_exact_end(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    mg_frame_put_u32(&b, 0xdeadbeef);
    mg_frame_put_u64(&b, 0x0102030405060708ull);
    mg_frame_put_str(&b, "名前.txt");
    mg_frame_put_str(&b, NULL);
    mg_frame_put_bytes(&b, "\0\1\2", 3);
    struct mg_frame_reader r;
    mg_frame_reader_init(&r, b.data, b.len);
    assert_int_equal(mg_frame_get_u32(&r), 0xdeadbeef);
    assert_true(mg_frame_get_u64(&r) == 0x0102030405060708ull);
    char *s = mg_frame_get_str(&r, 100);
    assert_string_equal(s, "名前.txt");
    g_free(s);
    assert_null(mg_frame_get_str(&r, 100));
    assert_false(r.bad);
    size_t n;
    const uint8_t *p = mg_frame_get_bytes(&r, 3, &n);
    assert_non_null(p);
    assert_int_equal(n, 3);
    assert_true(mg_frame_done(&r));
    /* One byte more than the fields: not done. */
    mg_buf_putc(&b, 'x');
    mg_frame_reader_init(&r, b.data, b.len);
    mg_frame_get_u32(&r);
    mg_frame_get_u64(&r);
    g_free(mg_frame_get_str(&r, 100));
    g_free(mg_frame_get_str(&r, 100));
    mg_frame_get_bytes(&r, 3, &n);
    assert_false(r.bad);
    assert_false(mg_frame_done(&r));
    mg_buf_free(&b);
}

static void test_truncated_oversized_and_nul(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    mg_frame_put_str(&b, "abcdef");
    struct mg_frame_reader r;
    /* Cut inside the string. */
    mg_frame_reader_init(&r, b.data, b.len - 1);
    assert_null(mg_frame_get_str(&r, 100));
    assert_true(r.bad);
    assert_false(mg_frame_done(&r));
    /* Over the caller's maximum. */
    mg_frame_reader_init(&r, b.data, b.len);
    assert_null(mg_frame_get_str(&r, 5));
    assert_true(r.bad);
    /* A length claiming more than the frame holds. */
    uint8_t lie[8] = { 0xf0, 0xff, 0xff, 0x0f, 'a', 'b', 'c', 'd' };
    mg_frame_reader_init(&r, lie, sizeof(lie));
    size_t n;
    assert_null(mg_frame_get_bytes(&r, SIZE_MAX, &n));
    assert_true(r.bad);
    /* An embedded NUL is not a string. */
    mg_buf_reset(&b);
    mg_frame_put_bytes(&b, "a\0b", 3);
    mg_frame_reader_init(&r, b.data, b.len);
    assert_null(mg_frame_get_str(&r, 100));
    assert_true(r.bad);
    /* Sticky: later reads fail too. */
    assert_int_equal(mg_frame_get_u32(&r), 0);
    mg_buf_free(&b);
}

static void test_socket_frames_and_fd(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct mg_buf b, in;
    mg_buf_init(&b);
    mg_buf_init(&in);
    mg_frame_put_str(&b, "hello");
    int mfd = mg_frame_memfd("bulk bytes", 10);
    assert_true(mfd >= 0);
    assert_true(mg_frame_send(sv[0], &b, mfd));
    close(mfd);
    int fd = -1;
    assert_true(mg_frame_recv(sv[1], &in, 1024, &fd, 1000));
    assert_true(fd >= 0);
    assert_int_equal(in.len, b.len);
    size_t n;
    uint8_t *m = mg_frame_map_fd(fd, 100, &n);
    assert_non_null(m);
    assert_int_equal(n, 10);
    assert_memory_equal(m, "bulk bytes", 10);
    munmap(m, n);
    /* Over the receiver's size limit. */
    errno = 0;
    assert_null(mg_frame_map_fd(fd, 9, &n));
    assert_int_equal(errno, EMSGSIZE);
    close(fd);
    /* A frame larger than max is refused without reading it into memory. */
    assert_true(mg_frame_send(sv[0], &b, -1));
    assert_false(mg_frame_recv(sv[1], &in, 4, &fd, 1000));
    assert_int_equal(errno, EMSGSIZE);
    /* Nothing to read: timeout. */
    int s2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s2), 0);
    assert_false(mg_frame_recv(s2[1], &in, 1024, &fd, 50));
    assert_int_equal(errno, ETIMEDOUT);
    /* Peer gone: reset. */
    close(s2[0]);
    assert_false(mg_frame_recv(s2[1], &in, 1024, &fd, 1000));
    assert_int_equal(errno, ECONNRESET);
    close(s2[1]);
    close(sv[0]);
    close(sv[1]);
    mg_buf_free(&b);
    mg_buf_free(&in);
}

static void test_unsealed_fd_refused(void **state)
{
    (void)state;
    /* A file the sender could still shrink would fault the mapping (SIGBUS). */
    int fd = memfd_create("t", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    size_t n;
    errno = 0;
    assert_null(mg_frame_map_fd(fd, 100, &n));
    assert_int_equal(errno, EPROTO);
    close(fd);
}

/* The seeds of fuzz_sandbox_result are written by a Python generator from
 * the documented layout; they must decode, so the fuzzer starts from the
 * accepting path and the layout in the generator stays true. */
static void test_result_seeds_decode(void **state)
{
    (void)state;
    static const char *const seeds[] = { "clean.bin", "sanitized_tree.bin", "blocked.bin" };
    static const size_t nodes[] = { 1, 2, 1 };
    const struct mg_sandbox_limits lim = { .max_output = 1u << 20, .max_frame = 1u << 20,
                                           .inline_max = 1u << 16 };
    for (size_t i = 0; i < 3; i++) {
        char *path = g_build_filename(MG_TEST_SOURCE_ROOT, "fuzz", "corpus", "sandbox_result", seeds[i], NULL);
        gchar *data = NULL;
        gsize len = 0;
        assert_true(g_file_get_contents(path, &data, &len, NULL));
        struct mg_sandbox_result res;
        assert_true(mg_sandbox_result_decode(&res, &lim, (const uint8_t *)data, len, -1));
        assert_int_equal(res.n_nodes, nodes[i]);
        assert_string_equal(res.job_id, "20261123T000000Z-0123456789ab");
        mg_sandbox_result_clear(&res);
        /* One byte less, or one more: refused. */
        assert_false(mg_sandbox_result_decode(&res, &lim, (const uint8_t *)data, len - 1, -1));
        gchar *more = g_malloc(len + 1);
        memcpy(more, data, len);
        more[len] = 0;
        assert_false(mg_sandbox_result_decode(&res, &lim, (const uint8_t *)more, len + 1, -1));
        g_free(more);
        g_free(data);
        g_free(path);
    }
}

/* A transform's reply (xform.c): the fuzz seeds decode (status, detail,
 * output as written by tests/fixtures/gen_sandbox_xform.py); a failure
 * with output, a success without, a status past the kind's range, more
 * output than asked for, and a trailing byte are refused. */
static void test_xform_reply(void **state)
{
    (void)state;
    const struct mg_sandbox_limits lim = { .max_output = 1u << 20, .max_frame = 1u << 20,
                                           .inline_max = 1u << 16 };
    static const char *const seeds[] = { "decoded.bin", "decoded-empty.bin", "over.bin", "wrong-password.bin",
                                         "tar.bin" };
    static const int status[] = { 0, 0, 3, 2, 0 };
    static const size_t outlen[] = { 6, 0, 0, 0, 12 };
    struct mg_sandbox_xresult x;
    for (size_t i = 0; i < 5; i++) {
        char *path = g_build_filename(MG_TEST_SOURCE_ROOT, "fuzz", "corpus", "sandbox_xform", seeds[i], NULL);
        gchar *data = NULL;
        gsize len = 0;
        assert_true(g_file_get_contents(path, &data, &len, NULL));
        enum mg_sandbox_xform k = (data[0] & 1) ? MG_XFORM_HTTP_DECODE : MG_XFORM_ARCHIVE_DECRYPT;
        const uint8_t *p = (const uint8_t *)data + 1;
        assert_true(mg_sandbox_xform_reply_decode(&x, &lim, k, 4096, p, len - 1, -1));
        assert_int_equal(x.status, status[i]);
        assert_int_equal(x.out_len, outlen[i]);
        assert_true((x.out != NULL) == (status[i] == 0));
        mg_sandbox_xresult_clear(&x);
        assert_false(mg_sandbox_xform_reply_decode(&x, &lim, k, 4096, p, len - 2, -1));
        if (outlen[i] > 0) /* more output than asked for */
            assert_false(mg_sandbox_xform_reply_decode(&x, &lim, k, outlen[i] - 1, p, len - 1, -1));
        g_free(data);
        g_free(path);
    }
    struct mg_buf b;
    int fd;
    /* A failure carrying output, a success without, a status out of range. */
    mg_buf_init(&b);
    assert_true(mg_sandbox_xform_reply_encode(&b, &lim, 2, "x", (const uint8_t *)"ab", 2, &fd));
    assert_false(mg_sandbox_xform_reply_decode(&x, &lim, MG_XFORM_ARCHIVE_DECRYPT, 4096, b.data, b.len, -1));
    mg_buf_reset(&b);
    assert_true(mg_sandbox_xform_reply_encode(&b, &lim, 0, NULL, NULL, 0, &fd));
    assert_false(mg_sandbox_xform_reply_decode(&x, &lim, MG_XFORM_HTTP_DECODE, 4096, b.data, b.len, -1));
    mg_buf_reset(&b);
    assert_true(mg_sandbox_xform_reply_encode(&b, &lim, 5, NULL, NULL, 0, &fd));
    assert_false(mg_sandbox_xform_reply_decode(&x, &lim, MG_XFORM_HTTP_DECODE, 4096, b.data, b.len, -1));
    assert_true(mg_sandbox_xform_reply_decode(&x, &lim, MG_XFORM_ARCHIVE_DECRYPT, 4096, b.data, b.len, -1));
    mg_sandbox_xresult_clear(&x);
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_exact_end),
        cmocka_unit_test(test_truncated_oversized_and_nul),
        cmocka_unit_test(test_socket_frames_and_fd),
        cmocka_unit_test(test_unsealed_fd_refused),
        cmocka_unit_test(test_result_seeds_decode),
        cmocka_unit_test(test_xform_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
