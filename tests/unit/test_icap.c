/* Unit tests for proto/icap: the pure parsers (request line and headers,
 * Encapsulated, chunk-size lines, HTTP status and target, file names), the
 * Content-Encoding decoder, the preview fast path, the ISTag, and the HTTP
 * header rewriting for a rebuilt body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/spool.h"
#include "engine/policy.h"
#include "proto/icap/icap_decode.h"
#include "proto/icap/icap_fast.h"
#include "proto/icap/icap_http.h"
#include "proto/icap/icap_parse.h"
#include "proto/icap/icap_server.h"

static enum mg_icap_perr REQ(const char *s, struct mg_icap_req *r)
{
    return mg_icap_parse_request(s, strlen(s), r);
}

static void test_request_line(void **state)
{
    (void)state;
    struct mg_icap_req r;
    assert_int_equal(REQ("RESPMOD icap://proxy.example:1344/respmod?mode=x ICAP/1.0\r\nHost: a\r\n\r\n", &r),
                     MG_ICAP_P_OK);
    assert_int_equal(r.method, MG_ICAP_M_RESPMOD);
    assert_int_equal(r.service_len, 8);
    assert_memory_equal(r.service, "/respmod", 8);
    assert_int_equal(r.head.n_hdrs, 1);
    assert_int_equal(REQ("OPTIONS icap://h ICAP/1.0\r\n\r\n", &r), MG_ICAP_P_OK);
    assert_int_equal(r.service_len, 1);
    assert_int_equal(REQ("REQMOD ICAPS://h/reqmod ICAP/1.0\r\n\r\n", &r), MG_ICAP_P_OK);
    assert_int_equal(r.method, MG_ICAP_M_REQMOD);
    /* Methods are case-sensitive: an unknown method parses, as OTHER (501). */
    assert_int_equal(REQ("respmod icap://h/respmod ICAP/1.0\r\n\r\n", &r), MG_ICAP_P_OK);
    assert_int_equal(r.method, MG_ICAP_M_OTHER);
    assert_int_equal(REQ("RESPMOD icap://h/respmod ICAP/2.0\r\n\r\n", &r), MG_ICAP_P_BAD_VERSION);
    assert_int_equal(REQ("RESPMOD icap://h/respmod HTTP/1.1\r\n\r\n", &r), MG_ICAP_P_BAD_VERSION);
    assert_int_equal(REQ("RESPMOD http://h/respmod ICAP/1.0\r\n\r\n", &r), MG_ICAP_P_BAD_LINE);
    assert_int_equal(REQ("RESPMOD icap:///respmod ICAP/1.0\r\n\r\n", &r), MG_ICAP_P_BAD_LINE);
    assert_int_equal(REQ("RESPMOD  icap://h/ ICAP/1.0\r\n\r\n", &r), MG_ICAP_P_BAD_LINE);
    assert_int_equal(REQ("RESPMOD\r\n\r\n", &r), MG_ICAP_P_BAD_LINE);
    assert_int_equal(REQ("\r\n\r\n", &r), MG_ICAP_P_BAD_LINE);
}

static void test_headers(void **state)
{
    (void)state;
    struct mg_icap_req r;
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\nAllow:  204 , 206\t\r\nX-Empty:\r\n\r\n", &r), MG_ICAP_P_OK);
    const struct mg_icap_hdr *a = mg_icap_head_get(&r.head, "allow", NULL);
    assert_non_null(a);
    assert_int_equal(a->value_len, 9); /* "204 , 206" */
    assert_true(mg_icap_value_has_token(a->value, a->value_len, "204"));
    assert_true(mg_icap_value_has_token(a->value, a->value_len, "206"));
    assert_false(mg_icap_value_has_token(a->value, a->value_len, "20"));
    assert_non_null(mg_icap_head_get(&r.head, "X-Empty", NULL));
    /* Framing must be CRLF; obs-fold, bare LF, no colon, NUL, bad names refused. */
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\nHost: a\n\n", &r), MG_ICAP_P_BAD_LINE);
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\nHost: a\n\r\n", &r), MG_ICAP_P_BAD_HEADER);
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\nHost: a\r\n folded\r\n\r\n", &r), MG_ICAP_P_BAD_HEADER);
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\nHost a\r\n\r\n", &r), MG_ICAP_P_BAD_HEADER);
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\nHo st: a\r\n\r\n", &r), MG_ICAP_P_BAD_HEADER);
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\n: a\r\n\r\n", &r), MG_ICAP_P_BAD_HEADER);
    const char nul[] = "OPTIONS icap://h/x ICAP/1.0\r\nHost: a\0b\r\n\r\n";
    assert_int_equal(mg_icap_parse_request(nul, sizeof(nul) - 1, &r), MG_ICAP_P_BAD_HEADER);
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\nHost: a\r\n", &r), MG_ICAP_P_NO_END);
    /* Bytes after the empty line are not part of the block. */
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\n\r\nX", &r), MG_ICAP_P_BAD_HEADER);
    /* Duplicate detection. */
    bool dup = false;
    assert_int_equal(REQ("OPTIONS icap://h/x ICAP/1.0\r\nPreview: 1\r\npreview: 2\r\n\r\n", &r), MG_ICAP_P_OK);
    assert_non_null(mg_icap_head_get(&r.head, "Preview", &dup));
    assert_true(dup);
}

static void test_header_bounds(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    mg_buf_puts(&b, "OPTIONS icap://h/x ICAP/1.0\r\n");
    for (int i = 0; i < MG_ICAP_MAX_HEADERS; i++)
        mg_buf_printf(&b, "X-%d: v\r\n", i);
    mg_buf_puts(&b, "\r\n");
    struct mg_icap_req r;
    assert_int_equal(mg_icap_parse_request((const char *)b.data, b.len, &r), MG_ICAP_P_OK);
    b.len -= 2;
    mg_buf_puts(&b, "X-one-more: v\r\n\r\n");
    assert_int_equal(mg_icap_parse_request((const char *)b.data, b.len, &r), MG_ICAP_P_TOO_MANY);
    mg_buf_reset(&b);
    mg_buf_puts(&b, "OPTIONS icap://h/x ICAP/1.0\r\nX: ");
    for (int i = 0; i < MG_ICAP_MAX_HEAD_BYTES; i++)
        mg_buf_putc(&b, 'a');
    mg_buf_puts(&b, "\r\n\r\n");
    assert_int_equal(mg_icap_parse_request((const char *)b.data, b.len, &r), MG_ICAP_P_TOO_LONG);
    mg_buf_free(&b);
    assert_int_equal(mg_icap_head_end("A\r\n\r\nB", 7), 5);
    assert_int_equal(mg_icap_head_end("A\r\n\r", 4), 0);
    assert_int_equal(mg_icap_head_end("A\n\nB", 4), 3);
}

static bool ENC(const char *v, enum mg_icap_method m, struct mg_icap_encap *e)
{
    return mg_icap_parse_encapsulated(v, strlen(v), m, e);
}

static void test_encapsulated(void **state)
{
    (void)state;
    struct mg_icap_encap e;
    assert_true(ENC("req-hdr=0, res-hdr=137, res-body=296", MG_ICAP_M_RESPMOD, &e));
    assert_true(e.has_req_hdr && e.has_res_hdr);
    assert_int_equal(e.res_hdr, 137);
    assert_int_equal(e.body, MG_ICAP_B_RES);
    assert_int_equal(e.body_off, 296);
    assert_true(ENC("res-hdr=0,res-body=10", MG_ICAP_M_RESPMOD, &e));
    assert_true(ENC("req-hdr=0, null-body=170", MG_ICAP_M_REQMOD, &e));
    assert_int_equal(e.body, MG_ICAP_B_NULL);
    assert_true(ENC("req-hdr=0, req-body=40", MG_ICAP_M_REQMOD, &e));
    assert_true(ENC("null-body=0", MG_ICAP_M_OPTIONS, &e));
    assert_true(ENC("res-body=0", MG_ICAP_M_RESPMOD, &e)); /* body only: session then refuses (no res-hdr) */
    /* Order, monotonic offsets, first at 0, one body entity, last. */
    assert_false(ENC("res-hdr=0, req-hdr=10, res-body=20", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-hdr=0, res-body=20", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-hdr=30, res-body=20", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=5, res-body=20", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("res-body=0, res-hdr=10", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-body=10, null-body=20", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-hdr=10", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-hdr=-1, res-body=20", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-hdr=+1, res-body=20", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-body=99999999999999999999", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-body=70000", MG_ICAP_M_RESPMOD, &e)); /* over MAX_ENCAP */
    assert_true(e.too_large);
    assert_false(ENC("req-hdr=0, res-hdr=20, res-body=10", MG_ICAP_M_RESPMOD, &e));
    assert_false(e.too_large);
    assert_false(ENC("req-hdr=0, res-body=", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-body=10,", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0 res-body=10", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("foo-hdr=0, res-body=10", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("", MG_ICAP_M_RESPMOD, &e));
    /* Which entities each method may carry. */
    assert_false(ENC("req-hdr=0, req-body=10", MG_ICAP_M_RESPMOD, &e));
    assert_false(ENC("req-hdr=0, res-hdr=10, res-body=20", MG_ICAP_M_REQMOD, &e));
    assert_false(ENC("req-hdr=0, res-body=20", MG_ICAP_M_REQMOD, &e));
    assert_false(ENC("req-hdr=0, null-body=20", MG_ICAP_M_OPTIONS, &e));
}

static bool CH(const char *l, uint64_t *n, bool *ieof) { return mg_icap_parse_chunk_line(l, strlen(l), n, ieof); }

static void test_chunk_line(void **state)
{
    (void)state;
    uint64_t n;
    bool ieof;
    assert_true(CH("1a", &n, &ieof));
    assert_int_equal(n, 26);
    assert_false(ieof);
    assert_true(CH("0; ieof", &n, &ieof));
    assert_int_equal(n, 0);
    assert_true(ieof);
    assert_true(CH("0;ieof", &n, &ieof));
    assert_true(ieof);
    assert_true(CH("FF ; name=value; q=\"a;b\\\"c\"; ieof", &n, &ieof));
    assert_int_equal(n, 255);
    assert_true(ieof);
    assert_true(CH("000000000000010", &n, &ieof));
    assert_int_equal(n, 16);
    assert_false(CH("", &n, &ieof));
    assert_false(CH("-1", &n, &ieof));
    assert_false(CH("+1", &n, &ieof));
    assert_false(CH("0x10", &n, &ieof));
    assert_false(CH("1 2", &n, &ieof));
    assert_false(CH("1000000000000000", &n, &ieof)); /* 16 hex digits: over 2^60 */
    assert_false(CH("ffffffffffffffffffff", &n, &ieof));
    assert_false(CH("5;", &n, &ieof));
    assert_false(CH("5; =x", &n, &ieof));
    assert_false(CH("5; a=\"unterminated", &n, &ieof));
}

static void test_http_lines(void **state)
{
    (void)state;
    int code = 0;
    assert_true(mg_icap_http_status("HTTP/1.1 206 Partial Content", 28, &code));
    assert_int_equal(code, 206);
    assert_true(mg_icap_http_status("HTTP/1.0 200", 12, &code));
    assert_false(mg_icap_http_status("HTTP/1.1 20x OK", 15, &code));
    assert_false(mg_icap_http_status("HTTP/1.1 2000 OK", 16, &code));
    assert_false(mg_icap_http_status("GARBAGE", 7, &code));
    const char *p;
    size_t pl;
    const char *l = "GET http://host.example:8080/a/b%20c.pdf?x=/y HTTP/1.1";
    assert_true(mg_icap_http_target_path(l, strlen(l), &p, &pl));
    assert_int_equal(pl, strlen("/a/b%20c.pdf"));
    assert_memory_equal(p, "/a/b%20c.pdf", pl);
    l = "POST /upload/x.docx HTTP/1.1";
    assert_true(mg_icap_http_target_path(l, strlen(l), &p, &pl));
    assert_memory_equal(p, "/upload/x.docx", pl);
    l = "GET http://host HTTP/1.1";
    assert_false(mg_icap_http_target_path(l, strlen(l), &p, &pl));
    l = "CONNECT host:443 HTTP/1.1";
    assert_false(mg_icap_http_target_path(l, strlen(l), &p, &pl));
}

static bool FN(const char *v, char *out) { return mg_icap_disposition_filename(v, strlen(v), out, 64); }

static void test_disposition(void **state)
{
    (void)state;
    char n[64];
    assert_true(FN("attachment; filename=\"report.pdf\"", n));
    assert_string_equal(n, "report.pdf");
    assert_true(FN("attachment; filename=plain.txt; size=3", n));
    assert_string_equal(n, "plain.txt");
    /* filename* (RFC 8187) wins over filename. */
    assert_true(FN("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E8%B3%87%E6%96%99.docx", n));
    assert_string_equal(n, "資料.docx");
    /* Paths are cut to the last segment; "..", empty and control characters refused. */
    assert_true(FN("attachment; filename=\"../../etc/passwd\"", n));
    assert_string_equal(n, "passwd");
    assert_true(FN("attachment; filename=\"C:\\\\temp\\\\a.exe\"", n));
    assert_string_equal(n, "a.exe");
    assert_false(FN("attachment; filename=\"..\"", n));
    assert_false(FN("attachment; filename=\"\"", n));
    assert_false(FN("inline", n));
    assert_false(FN("attachment; filename*=ISO-8859-1''x.txt", n));
    /* A long name is truncated to the buffer. */
    char big[600];
    memset(big, 'a', sizeof(big));
    memcpy(big, "a; filename=", 12);
    big[sizeof(big) - 1] = '\0';
    assert_true(FN(big, n));
    assert_int_equal(strlen(n), 63);
}

/* decode */

static size_t gz(int window_bits, const void *in, size_t len, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static enum mg_icap_dec_rc DEC(const char *enc, const uint8_t *in, size_t len, uint64_t max, struct mg_spool **sp)
{
    *sp = mg_spool_new(1024, 0, NULL);
    assert_non_null(*sp);
    return mg_icap_decode(enc, in, len, *sp, max);
}

static void test_decode(void **state)
{
    (void)state;
    static const char text[] = "住民説明会のお知らせ。 hello hello hello hello hello hello";
    uint8_t c[4096];
    struct mg_spool *sp;
    size_t n, len;
    const uint8_t *v;

    n = gz(15 + 16, text, sizeof(text) - 1, c, sizeof(c));
    assert_int_equal(DEC("gzip", c, n, 1 << 20, &sp), MG_ICAP_DEC_OK);
    v = mg_spool_view(sp, &len);
    assert_int_equal(len, sizeof(text) - 1);
    assert_memory_equal(v, text, len);
    mg_spool_free(sp);
    /* Two gzip members one after the other (RFC 1952) decode as one body. */
    memcpy(c + n, c, n);
    assert_int_equal(DEC("x-gzip", c, 2 * n, 1 << 20, &sp), MG_ICAP_DEC_OK);
    assert_int_equal(mg_spool_size(sp), 2 * (sizeof(text) - 1));
    mg_spool_free(sp);
    /* Truncated, or garbage after the stream: refused. */
    assert_int_equal(DEC("gzip", c, n - 5, 1 << 20, &sp), MG_ICAP_DEC_BAD);
    mg_spool_free(sp);
    c[n] = 'X';
    assert_int_equal(DEC("gzip", c, n + 1, 1 << 20, &sp), MG_ICAP_DEC_BAD);
    mg_spool_free(sp);
    /* deflate: zlib-wrapped and raw both accepted. */
    n = gz(15, text, sizeof(text) - 1, c, sizeof(c));
    assert_int_equal(DEC("deflate", c, n, 1 << 20, &sp), MG_ICAP_DEC_OK);
    assert_int_equal(mg_spool_size(sp), sizeof(text) - 1);
    mg_spool_free(sp);
    n = gz(-15, text, sizeof(text) - 1, c, sizeof(c));
    assert_int_equal(DEC("Deflate", c, n, 1 << 20, &sp), MG_ICAP_DEC_OK);
    assert_int_equal(mg_spool_size(sp), sizeof(text) - 1);
    mg_spool_free(sp);
    /* A bomb stops at max. */
    uint8_t *zeros = calloc(1, 1 << 20);
    assert_non_null(zeros);
    n = gz(15 + 16, zeros, 1 << 20, c, sizeof(c));
    assert_true(n < 4096);
    assert_int_equal(DEC("gzip", c, n, 100000, &sp), MG_ICAP_DEC_OVER);
    mg_spool_free(sp);
    free(zeros);
    /* identity passes through; unknown and layered encodings are refused. */
    assert_int_equal(DEC("identity", (const uint8_t *)"abc", 3, 10, &sp), MG_ICAP_DEC_OK);
    assert_int_equal(mg_spool_size(sp), 3);
    mg_spool_free(sp);
    assert_int_equal(DEC("zstd", (const uint8_t *)"abc", 3, 10, &sp), MG_ICAP_DEC_UNSUPPORTED);
    mg_spool_free(sp);
    assert_int_equal(DEC("gzip, gzip", (const uint8_t *)"abc", 3, 10, &sp), MG_ICAP_DEC_UNSUPPORTED);
    mg_spool_free(sp);
    assert_true(mg_icap_encodings_supported("gzip"));
    assert_true(mg_icap_encodings_supported("identity, gzip"));
    assert_false(mg_icap_encodings_supported("compress"));
    assert_false(mg_icap_encodings_supported("gzip, deflate"));
    assert_int_equal(mg_icap_encodings_supported("br"), mg_icap_have_brotli());
    if (mg_icap_have_brotli()) {
        /* "hello" as a brotli stream (uncompressed meta-block), from `brotli -c`. */
        static const uint8_t br[] = { 0x0b, 0x02, 0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x03 };
        assert_int_equal(DEC("br", br, sizeof(br), 100, &sp), MG_ICAP_DEC_OK);
        v = mg_spool_view(sp, &len);
        assert_int_equal(len, 5);
        assert_memory_equal(v, "hello", 5);
        mg_spool_free(sp);
        assert_int_equal(DEC("br", br, sizeof(br) - 1, 100, &sp), MG_ICAP_DEC_BAD);
        mg_spool_free(sp);
    }
}

static void test_fast_path(void **state)
{
    (void)state;
    struct mg_policy p;
    memset(&p, 0, sizeof(p));
    p.by_class[MG_TC_IMAGE] = MG_DO_PASS;
    p.by_class[MG_TC_TEXT] = MG_DO_SANITIZE;
    static const uint8_t png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert_true(mg_icap_fast_pass(&p, "image/png", "a.png", false, png, sizeof(png)));
    assert_true(mg_icap_fast_pass(&p, "IMAGE/PNG; x=y", "", false, png, sizeof(png)));
    assert_true(mg_icap_fast_pass(&p, "image/jpeg", "photo", false, png, sizeof(png))); /* any image magic */
    assert_false(mg_icap_fast_pass(&p, "image/png", "a.png", true, png, sizeof(png)));  /* encoded */
    assert_false(mg_icap_fast_pass(&p, "image/png", "a.html", false, png, sizeof(png))); /* name says HTML */
    assert_false(mg_icap_fast_pass(&p, "image/png", "a.png", false, (const uint8_t *)"MZ\x90", 3));
    assert_false(mg_icap_fast_pass(&p, "image/svg+xml", "a.svg", false, (const uint8_t *)"<svg", 4));
    assert_false(mg_icap_fast_pass(&p, "image/pngx", "a.png", false, png, sizeof(png)));
    assert_false(mg_icap_fast_pass(&p, NULL, "a.png", false, png, sizeof(png)));
    /* Text only when the policy passes text. */
    assert_false(mg_icap_fast_pass(&p, "text/plain", "a.txt", false, (const uint8_t *)"hello", 5));
    p.by_class[MG_TC_TEXT] = MG_DO_PASS;
    assert_true(mg_icap_fast_pass(&p, "text/plain", "a.txt", false, (const uint8_t *)"hello", 5));
    assert_false(mg_icap_fast_pass(&p, "text/plain", "a.txt", false, (const uint8_t *)"he\0lo", 5));
    /* A UTF-8 sequence cut at the end of the preview is fine; invalid UTF-8 in the middle is not. */
    assert_true(mg_icap_fast_pass(&p, "text/plain", "a.txt", false, (const uint8_t *)"ab\xe3\x81", 4));
    assert_false(mg_icap_fast_pass(&p, "text/plain", "a.txt", false, (const uint8_t *)"a\xff\xfe bcdefgh", 11));
    p.by_class[MG_TC_IMAGE] = MG_DO_SANITIZE;
    assert_false(mg_icap_fast_pass(&p, "image/png", "a.png", false, png, sizeof(png)));
}

static void test_istag(void **state)
{
    (void)state;
    char a[40], b[40], c[40], d[40];
    mg_icap_istag("hash1", "ClamAV 1.4 daily.cld 27000", a);
    mg_icap_istag("hash1", "ClamAV 1.4 daily.cld 27000", b);
    mg_icap_istag("hash2", "ClamAV 1.4 daily.cld 27000", c);
    mg_icap_istag("hash1", "ClamAV 1.4 daily.cld 27001", d);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    /* A quoted string of at most 32 characters (RFC 3507 4.7). */
    assert_int_equal(a[0], '"');
    assert_int_equal(a[strlen(a) - 1], '"');
    assert_true(strlen(a) - 2 <= 32);
}

static void test_rebuilt_head(void **state)
{
    (void)state;
    const char *blk = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 999\r\n"
                      "Content-Encoding: gzip\r\nETag: \"x\"\r\nContent-MD5: abc\r\nTransfer-Encoding: chunked\r\n"
                      "Content-Disposition: inline; filename=\"a.html\"\r\nSet-Cookie: s=1\r\n\r\n";
    struct mg_icap_head h;
    assert_int_equal(mg_icap_parse_head(blk, strlen(blk), &h), MG_ICAP_P_OK);
    struct mg_buf b;
    mg_buf_init(&b);
    mg_icap_http_rebuilt_head(&h, "text/plain; charset=utf-8", "お知らせ \"1\".txt", 42, "J1", "sanitized", &b);
    const char *s = mg_buf_cstr(&b);
    assert_non_null(strstr(s, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(s, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_null(strstr(s, "text/html"));
    assert_non_null(strstr(s, "Content-Length: 42\r\n"));
    assert_null(strstr(s, "999"));
    assert_null(strstr(s, "Content-Encoding"));
    assert_null(strstr(s, "ETag"));
    assert_null(strstr(s, "Content-MD5"));
    assert_null(strstr(s, "Transfer-Encoding"));
    assert_non_null(strstr(s, "Set-Cookie: s=1\r\n"));
    assert_non_null(strstr(s, "Content-Disposition: inline; filename=\"____________ _1_.txt\"; "
                              "filename*=UTF-8''%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B%20%221%22.txt\r\n"));
    assert_non_null(strstr(s, "X-Mugai-Job: J1\r\n"));
    assert_int_equal(strcmp(s + strlen(s) - 4, "\r\n\r\n"), 0);
    mg_buf_free(&b);
    assert_string_equal(mg_icap_mime_for_name("a.DOCX"),
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    assert_string_equal(mg_icap_mime_for_name("a.txt"), "text/plain; charset=utf-8");
    assert_string_equal(mg_icap_mime_for_name("noext"), "application/octet-stream");
    mg_buf_init(&b);
    mg_icap_html_escape("<a href='x'>&\"", 14, &b);
    assert_string_equal(mg_buf_cstr(&b), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_line), cmocka_unit_test(test_headers),
        cmocka_unit_test(test_header_bounds), cmocka_unit_test(test_encapsulated),
        cmocka_unit_test(test_chunk_line), cmocka_unit_test(test_http_lines),
        cmocka_unit_test(test_disposition), cmocka_unit_test(test_decode),
        cmocka_unit_test(test_fast_path), cmocka_unit_test(test_istag),
        cmocka_unit_test(test_rebuilt_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
