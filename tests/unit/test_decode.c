/* Unit tests for the streaming base64 and quoted-printable decoders: every
 * implementation against glib's g_base64_decode on random data, at every
 * split point of small inputs, MIME line breaks, garbage counting, padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "scan/decode.h"

static const enum mg_decode_impl impls[] = { MG_DECODE_SCALAR, MG_DECODE_SSE42, MG_DECODE_AVX2 };

/* Decodes enc split into chunks at the given cut points. */
static uint8_t *b64_chunks(enum mg_decode_impl impl, const char *enc, size_t len,
                           const size_t *cuts, size_t ncuts, size_t *outlen, uint64_t *invalid)
{
    struct mg_b64 d;
    mg_b64_init(&d);
    d.impl = impl;
    uint8_t *out = malloc(MG_B64_OUT_MAX(len) + 3 * (ncuts + 2) + 3);
    assert_non_null(out);
    size_t o = 0, prev = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t cut = k < ncuts ? cuts[k] : len;
        o += mg_b64_feed(&d, (const uint8_t *)enc + prev, cut - prev, out + o);
        prev = cut;
    }
    o += mg_b64_finish(&d, out + o);
    *outlen = o;
    *invalid = d.invalid;
    return out;
}

static char *with_breaks(const char *s, size_t every, const char *brk)
{
    size_t n = strlen(s);
    GString *g = g_string_new(NULL);
    for (size_t i = 0; i < n; i += every) {
        g_string_append_len(g, s + i, (gssize)(n - i < every ? n - i : every));
        g_string_append(g, brk);
    }
    return g_string_free(g, FALSE);
}

static void check_b64(const char *enc, const uint8_t *want, size_t wantlen, bool every_split)
{
    size_t len = strlen(enc);
    for (size_t k = 0; k < 3; k++) {
        if (!mg_decode_impl_supported(impls[k]))
            continue;
        size_t ol;
        uint64_t inv;
        uint8_t *out = b64_chunks(impls[k], enc, len, NULL, 0, &ol, &inv);
        assert_int_equal(inv, 0);
        assert_int_equal(ol, wantlen);
        assert_memory_equal(out, want, wantlen);
        free(out);
        for (size_t a = 0; every_split && a <= len; a++) {
            for (size_t b = a; b <= len; b += 5) {
                size_t cuts[2] = { a, b };
                out = b64_chunks(impls[k], enc, len, cuts, 2, &ol, &inv);
                assert_int_equal(inv, 0);
                assert_int_equal(ol, wantlen);
                assert_memory_equal(out, want, wantlen);
                free(out);
            }
        }
    }
}

static void test_b64_vs_glib_small(void **state)
{
    (void)state;
    GRand *r = g_rand_new_with_seed(42);
    for (size_t n = 0; n <= 120; n += (n < 40 ? 1 : 7)) {
        uint8_t *data = g_malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            data[i] = (uint8_t)g_rand_int(r);
        gchar *enc = g_base64_encode(data, n);
        gsize gl;
        guchar *gd = g_base64_decode(enc, &gl);
        assert_int_equal(gl, n);
        check_b64(enc, gd, gl, true);
        char *crlf = with_breaks(enc, 76, "\r\n");
        char *lf = with_breaks(enc, 16, "\n");
        check_b64(crlf, gd, gl, true);
        check_b64(lf, gd, gl, n < 60);
        /* Line lengths around the vector block size, multiples of 4 or not
         * (the AVX2 path decodes whole lines across breaks). */
        static const size_t cols[] = { 32, 33, 36, 64, 72, 77 };
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            char *v1 = with_breaks(enc, cols[c], "\n"), *v2 = with_breaks(enc, cols[c], "\r\n");
            check_b64(v1, gd, gl, n < 50);
            check_b64(v2, gd, gl, n < 50);
            g_free(v1);
            g_free(v2);
        }
        g_free(crlf);
        g_free(lf);
        g_free(gd);
        g_free(enc);
        g_free(data);
    }
    g_rand_free(r);
}

static void test_b64_vs_glib_large(void **state)
{
    (void)state;
    enum { N = 1 << 20 };
    GRand *r = g_rand_new_with_seed(7);
    uint8_t *data = g_malloc(N);
    for (size_t i = 0; i < N; i++)
        data[i] = (uint8_t)g_rand_int(r);
    gchar *enc = g_base64_encode(data, N);
    for (size_t variant = 0; variant < 3; variant++) {
    /* MIME CRLF at 76, glib's own 72-column LF lines, odd 61-column lines */
    char *crlf = variant == 0 ? with_breaks(enc, 76, "\r\n")
               : variant == 1 ? with_breaks(enc, 72, "\n") : with_breaks(enc, 61, "\r\n");
    size_t len = strlen(crlf);
    for (size_t k = 0; k < 3; k++) {
        if (!mg_decode_impl_supported(impls[k]))
            continue;
        size_t cuts[64], nc = 0, at = 0;
        while (nc < 64) {
            at += 1 + g_rand_int_range(r, 0, 40000);
            if (at >= len)
                break;
            cuts[nc++] = at;
        }
        size_t ol;
        uint64_t inv;
        uint8_t *out = b64_chunks(impls[k], crlf, len, cuts, nc, &ol, &inv);
        assert_int_equal(inv, 0);
        assert_int_equal(ol, N);
        assert_memory_equal(out, data, N);
        free(out);
    }
    g_free(crlf);
    }
    g_free(enc);
    g_free(data);
    g_rand_free(r);
}

/* One decoder run: in[0..len) fed in two pieces split at a. */
typedef uint8_t *(*split_fn)(enum mg_decode_impl impl, const uint8_t *in, size_t len, size_t a, size_t *olen,
                             uint64_t *invalid);

/* Every implementation the CPU has, split at a, decodes in to want. */
static void expect_decoded(split_fn f, const char *in, size_t a, const char *want, uint64_t want_invalid)
{
    for (size_t k = 0; k < 3; k++) {
        if (!mg_decode_impl_supported(impls[k]))
            continue;
        size_t ol;
        uint64_t inv;
        uint8_t *out = f(impls[k], (const uint8_t *)in, strlen(in), a, &ol, &inv);
        assert_int_equal(ol, strlen(want));
        assert_memory_equal(out, want, ol);
        assert_int_equal(inv, want_invalid);
        free(out);
    }
}

static uint8_t *b64_split(enum mg_decode_impl impl, const uint8_t *in, size_t len, size_t a, size_t *olen,
                          uint64_t *invalid)
{
    return b64_chunks(impl, (const char *)in, len, a ? &a : NULL, a ? 1 : 0, olen, invalid);
}

static void b64_one(const char *enc, const char *want, uint64_t want_invalid)
{
    expect_decoded(b64_split, enc, 0, want, want_invalid);
}

static void test_b64_edges_and_garbage(void **state)
{
    (void)state;
    b64_one("QQ==", "A", 0);
    b64_one("QUI=", "AB", 0);
    b64_one("QUJD", "ABC", 0);
    b64_one("QQ", "A", 0);            /* unpadded tail tolerated */
    b64_one("QUJDR", "ABC", 1);       /* dangling single character */
    b64_one("=QUJD", "ABC", 1);
    b64_one("QU!JD", "ABC", 1);
    b64_one("Q*U*J*D\x80", "ABC", 4);
    b64_one("QQ==QUJD", "AABC", 1);   /* data after padding */
    b64_one("  QU\r\n\tJD \r\n", "ABC", 0);
    /* Garbage in a long line must not upset the vector path. */
    const char *src = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox.";
    gchar *enc = g_base64_encode((const guchar *)src, strlen(src));
    GString *g = g_string_new(NULL);
    for (size_t i = 0; enc[i]; i++) {
        g_string_append_c(g, enc[i]);
        if (i % 37 == 5)
            g_string_append_c(g, '%');
    }
    size_t n_bad = 0;
    for (size_t i = 0; i < g->len; i++)
        n_bad += g->str[i] == '%';
    for (size_t k = 0; k < 3; k++) {
        if (!mg_decode_impl_supported(impls[k]))
            continue;
        size_t ol;
        uint64_t inv;
        uint8_t *out = b64_chunks(impls[k], g->str, g->len, NULL, 0, &ol, &inv);
        assert_int_equal(ol, strlen(src));
        assert_memory_equal(out, src, ol);
        assert_int_equal(inv, n_bad);
        free(out);
    }
    g_string_free(g, TRUE);
    g_free(enc);
}

/* Decodes in[0..len) fed in two pieces split at a, with the given
 * implementation. */
static uint8_t *qp_split(enum mg_decode_impl impl, const uint8_t *in, size_t len, size_t a, size_t *olen,
                         uint64_t *invalid)
{
    struct mg_qp d;
    mg_qp_init(&d);
    d.impl = impl;
    uint8_t *out = malloc(2 * MG_QP_OUT_MAX(len));
    assert_non_null(out);
    size_t o = mg_qp_feed(&d, in, a, out);
    o += mg_qp_feed(&d, in + a, len - a, out + o);
    o += mg_qp_finish(&d, out + o);
    *olen = o;
    *invalid = d.invalid;
    return out;
}

static void qp_check(const char *in, const char *want, uint64_t want_invalid)
{
    for (size_t a = 0; a <= strlen(in); a++)     /* every split point */
        expect_decoded(qp_split, in, a, want, want_invalid);
}

/* The SIMD implementations the CPU has give the scalar state machine's
 * bytes and invalid count for in[0..len) split at a. */
static void qp_same_as_scalar(const uint8_t *in, size_t len, size_t a)
{
    size_t rl, l;
    uint64_t rinv, inv;
    uint8_t *ref = qp_split(MG_DECODE_SCALAR, in, len, a, &rl, &rinv);
    for (size_t k = 1; k < 3; k++) {
        if (!mg_decode_impl_supported(impls[k]))
            continue;
        uint8_t *out = qp_split(impls[k], in, len, a, &l, &inv);
        assert_int_equal(l, rl);
        assert_memory_equal(out, ref, l);
        assert_int_equal(inv, rinv);
        free(out);
    }
    free(ref);
}

/* The SIMD paths give the scalar state machine's bytes and invalid count on
 * random QP-like input (dense in '=', hex digits, CR, LF and whitespace),
 * split anywhere. */
static void test_qp_simd_vs_scalar(void **state)
{
    (void)state;
    static const char alphabet[] = "==\r\n\n  \t3DFa9xZ-\xe3";
    GRand *r = g_rand_new_with_seed(20261123);
    uint8_t in[400];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)g_rand_int_range(r, 0, (gint32)sizeof(in));
        /* Long plain runs now and then, so that whole vectors are skipped. */
        int plain = g_rand_int_range(r, 0, 4) == 0;
        for (size_t i = 0; i < len; i++)
            in[i] = plain && g_rand_int_range(r, 0, 40) ? (uint8_t)'a' + (uint8_t)(i % 26)
                                                         : (uint8_t)alphabet[g_rand_int_range(r, 0, (gint32)sizeof(alphabet) - 1)];
        size_t a = len ? (size_t)g_rand_int_range(r, 0, (gint32)len + 1) : 0;
        qp_same_as_scalar(in, len, a);
    }
    g_rand_free(r);
}

static void test_qp(void **state)
{
    (void)state;
    qp_check("a=3Db", "a=b", 0);
    qp_check("a=3db=E3=81=82", "a=b\xe3\x81\x82", 0);
    qp_check("ab=\r\ncd", "abcd", 0);
    qp_check("ab=\ncd", "abcd", 0);
    qp_check("ab= \t\r\ncd", "abcd", 0);
    qp_check("ab  \r\ncd \t\ne", "ab\r\ncd\ne", 0);
    qp_check("a b", "a b", 0);
    qp_check("a=ZZb", "a=ZZb", 1);
    qp_check("a=4Zb", "a=4Zb", 1);
    qp_check("a= x", "a= x", 1);
    qp_check("a=4", "a=4", 1);
    qp_check("end=", "end", 0);
    qp_check("x==41", "x=A", 1);
    qp_check("=\r=41", "A", 0);
    qp_check("Subject line with trailing space   ", "Subject line with trailing space", 0);
    /* Longer than one vector, so that the SIMD paths take whole runs. */
    qp_check("The quick brown fox jumps over the lazy dog, twice: =E6=97=A5=E6=9C=AC  \r\n"
             "second line with a soft break here =\r\nand the rest of it, then =3D and =\r\n",
             "The quick brown fox jumps over the lazy dog, twice: \xe6\x97\xa5\xe6\x9c\xac\r\n"
             "second line with a soft break here and the rest of it, then = and ", 0);
    qp_check("0123456789abcdef0123456789abcdef0123456789=4\r\n0123456789abcdef0123456789abcdef=",
             "0123456789abcdef0123456789abcdef0123456789=4\r\n0123456789abcdef0123456789abcdef", 1);
}

/* Long runs of escapes (Japanese UTF-8 text), sometimes broken by a bad
 * digit, a missing '=', a soft break or plain text, at every alignment:
 * the SIMD paths' block decoder agrees with the state machine. */
static void test_qp_escape_runs(void **state)
{
    (void)state;
    static const char hexd[] = "0123456789ABCDEFabcdef";
    GRand *r = g_rand_new_with_seed(7);
    char in[600];
    for (int round = 0; round < 2000; round++) {
        size_t n = 0;
        size_t lead = (size_t)g_rand_int_range(r, 0, 17);
        while (n < lead)
            in[n++] = 'x';
        while (n + 8 < sizeof(in) - 1) {
            int k = g_rand_int_range(r, 0, 60);
            if (k == 0) {
                memcpy(in + n, "=\r\n", 3);
                n += 3;
            } else if (k == 1) {
                memcpy(in + n, "=4G", 3);
                n += 3;
            } else if (k == 2) {
                memcpy(in + n, "E3=", 3);   /* '=' missing before, then a dangling one */
                n += 3;
            } else if (k == 3) {
                memcpy(in + n, "ok ", 3);
                n += 3;
            } else {
                in[n++] = '=';
                in[n++] = hexd[g_rand_int_range(r, 0, 22)];
                in[n++] = hexd[g_rand_int_range(r, 0, 22)];
            }
            if (g_rand_int_range(r, 0, 200) == 0)
                break;
        }
        size_t a = (size_t)g_rand_int_range(r, 0, (gint32)n + 1);
        qp_same_as_scalar((const uint8_t *)in, n, a);
    }
    g_rand_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_vs_glib_small),
        cmocka_unit_test(test_b64_vs_glib_large),
        cmocka_unit_test(test_b64_edges_and_garbage),
        cmocka_unit_test(test_qp),
        cmocka_unit_test(test_qp_simd_vs_scalar),
        cmocka_unit_test(test_qp_escape_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
