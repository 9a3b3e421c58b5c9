/* Engine: dispatch, limits, verdicts, notices and reports, with the
 * built-in defaults (mugai's own clamav database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "engine/engine.h"
#include "engine/report.h"

static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

static struct mg_engine *engine_with(const char *conf)
{
    char path[] = "/tmp/mugai-test-engine-XXXXXX";
    const char *p = NULL;
    if (conf) {
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
        close(fd);
        p = path;
    }
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(p, &err);
    if (pol == NULL)
        fail_msg("policy: %s", err->message);
    struct mg_engine *e = mg_engine_new(pol, &err);
    if (e == NULL)
        fail_msg("engine: %s", err->message);
    if (conf)
        unlink(path);
    return e;
}

static struct mg_engine *eng;

static int setup(void **state)
{
    (void)state;
    eng = engine_with("[general]\nlanguage = ja\n[clamav]\nmode = auto\nsystem-db = /nonexistent\n");
    return eng ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_engine_free(eng);
    return 0;
}

static void test_eicar_is_blocked_as_virus(void **state)
{
    (void)state;
    struct mg_job *job = mg_job_new(eng, "test-eicar");
    struct mg_item *r = mg_job_run(job, "eicar.txt", (const uint8_t *)eicar, strlen(eicar), MG_TC_UNKNOWN);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_VIRUS);
    assert_non_null(strstr(r->reason_detail, "EICAR"));
    struct mg_buf n;
    mg_buf_init(&n);
    mg_report_notice(job, &n);
    /* Japanese by default: the catalogue from the build tree is in use. */
    assert_non_null(strstr(mg_buf_cstr(&n), "「eicar.txt」を削除しました。"));
    assert_non_null(strstr(mg_buf_cstr(&n), "マルウェア"));
    mg_buf_free(&n);
    mg_job_free(job);
}

static void test_disguised_executable(void **state)
{
    (void)state;
    uint8_t pe[512];
    memset(pe, 0, sizeof(pe));
    memcpy(pe, "MZ", 2);
    pe[0x3c] = 0x80;
    memcpy(pe + 0x80, "PE\0\0\x4c\x01\x01", 7);
    pe[0x94] = 0xe0;
    pe[0x96] = 0x02;
    pe[0x98] = 0x0b;
    pe[0x99] = 0x01;
    struct mg_job *job = mg_job_new(eng, NULL);
    struct mg_item *r = mg_job_run(job, "invoice.pdf", pe, sizeof(pe), MG_TC_UNKNOWN);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_EXECUTABLE);
    assert_non_null(strstr(r->reason_detail, "named .pdf"));
    size_t len;
    assert_null(mg_item_result(r, &len));
    mg_job_free(job);
}

static void test_empty_and_unknown_fail_closed(void **state)
{
    (void)state;
    struct mg_job *job = mg_job_new(eng, NULL);
    struct mg_item *r = mg_job_run(job, "zero.doc", (const uint8_t *)"", 0, MG_TC_UNKNOWN);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_EMPTY);
    mg_job_free(job);

    uint8_t rnd[4096];
    for (size_t i = 0; i < sizeof(rnd); i++)
        rnd[i] = (uint8_t)(i * 7919u >> 3 ^ i * 31u);
    job = mg_job_new(eng, NULL);
    r = mg_job_run(job, "blob", rnd, sizeof(rnd), MG_TC_UNKNOWN);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_UNKNOWN_TYPE);
    mg_job_free(job);
}

static const uint8_t png[] = {
    0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R',
    0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    0, 0, 0, 0x0a, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4,
    0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

static void test_image_passes_only_when_it_is_one(void **state)
{
    (void)state;
    struct mg_job *job = mg_job_new(eng, NULL);
    struct mg_item *r = mg_job_run(job, "dot.png", png, sizeof(png), MG_TC_UNKNOWN);
    assert_int_equal(r->type.cls, MG_TC_IMAGE);
    assert_int_equal(r->verdict, MG_CLEAN);
    size_t len;
    assert_ptr_equal(mg_item_result(r, &len), png);
    assert_int_equal(len, sizeof(png));
    assert_string_equal(r->sha256_in, r->sha256_out);
    mg_job_free(job);

    const char *txt = "not an image\n";
    job = mg_job_new(eng, NULL);
    r = mg_job_run(job, "photo.jpg", (const uint8_t *)txt, strlen(txt), MG_TC_UNKNOWN);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_TYPE_MISMATCH);
    mg_job_free(job);
}

static void test_depth_and_count_limits(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("[limits]\nmax-depth = 3\nmax-items = 6\n[clamav]\nmode = off\n");
    struct mg_job *job = mg_job_new(e, NULL);
    struct mg_item *it = mg_job_run(job, "a.png", png, sizeof(png), MG_TC_UNKNOWN);
    for (int d = 1; d <= 4; d++) {
        it = mg_job_child(job, it, "n.png", png, sizeof(png));
        assert_non_null(it);
        assert_int_equal(it->depth, d);
        if (d <= 3)
            assert_int_equal(it->verdict, MG_CLEAN);
        else
            assert_int_equal(it->reason, MG_R_LIMIT_DEPTH);
    }
    struct mg_item *root = mg_job_root(job);
    assert_int_equal(mg_job_child(job, root, "x.png", png, sizeof(png))->verdict, MG_CLEAN);
    struct mg_item *over = mg_job_child(job, root, "y.png", png, sizeof(png));
    assert_int_equal(over->verdict, MG_BLOCKED);
    assert_int_equal(over->reason, MG_R_LIMIT_COUNT);
    assert_string_equal(over->path, "a.png/y.png");
    mg_job_free(job);
    mg_engine_free(e);
}

static void test_reports_name_everything(void **state)
{
    (void)state;
    struct mg_job *job = mg_job_new(eng, "job-report-1");
    mg_job_run(job, "eicar \"x\".txt", (const uint8_t *)eicar, strlen(eicar), MG_TC_UNKNOWN);
    struct mg_buf out;
    mg_buf_init(&out);
    mg_report_json(job, &out, false);
    const char *s = mg_buf_cstr(&out);
    assert_non_null(strstr(s, "\"schema\":\"mugai-report/1\""));
    assert_non_null(strstr(s, "\"job\":\"job-report-1\""));
    assert_non_null(strstr(s, "\"verdict\":\"blocked\""));
    assert_non_null(strstr(s, "\"reason\":\"virus\""));
    assert_non_null(strstr(s, "\"name\":\"eicar \\\"x\\\".txt\""));
    assert_non_null(strstr(s, "\"policy_sha256\":\""));
    assert_non_null(strstr(s, "\"sha256\":\"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f\""));
    mg_buf_reset(&out);
    mg_report_audit(job, &out);
    s = mg_buf_cstr(&out);
    assert_null(strchr(s, '\n'));
    assert_non_null(strstr(s, "\"items\":[{\"path\":\"eicar \\\"x\\\".txt\""));
    mg_buf_reset(&out);
    mg_report_json(job, &out, true);
    assert_non_null(strstr(mg_buf_cstr(&out), "\n  \"job\": \"job-report-1\""));
    mg_buf_free(&out);
    mg_job_free(job);
}

static void test_english_notice(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("[general]\nlanguage = en\n");
    struct mg_job *job = mg_job_new(e, NULL);
    mg_job_run(job, "zero.bin", (const uint8_t *)"", 0, MG_TC_UNKNOWN);
    struct mg_buf n;
    mg_buf_init(&n);
    mg_report_notice(job, &n);
    assert_non_null(strstr(mg_buf_cstr(&n), "\"zero.bin\" was removed. Reason: The file is empty."));
    mg_buf_free(&n);
    mg_job_free(job);
    mg_engine_free(e);
}

static void test_bad_config_is_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/mugai-test-bad-XXXXXX";
    int fd = mkstemp(path);
    const char *bad = "[types]\npdf = maybe\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    GError *err = NULL;
    assert_null(mg_policy_load(path, &err));
    assert_non_null(strstr(err->message, "pdf"));
    g_clear_error(&err);
    unlink(path);
}

static void test_clamav_required_without_db_refuses_to_start(void **state)
{
    (void)state;
    char path[] = "/tmp/mugai-test-req-XXXXXX";
    int fd = mkstemp(path);
    const char *conf = "[clamav]\nmode = required\nsystem-db = /nonexistent\n";
    assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
    close(fd);
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(path, &err);
    assert_non_null(pol);
    assert_null(mg_engine_new(pol, &err)); /* takes pol and frees it on failure */
    assert_non_null(strstr(err->message, "required"));
    g_clear_error(&err);
    unlink(path);
}

/* Tests build their own signature databases: an MD5 hash signature of one
 * fixture (.hdb) and a body pattern (.ndb), loaded through [clamav] extra-db. */
static void test_own_test_databases(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-test-db-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *fixture = "quarterly report, harmless but listed by hash\n";
    gchar *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, fixture, -1);
    char *hdb = g_strdup_printf("%s/test.hdb", dir);
    char *line = g_strdup_printf("%s:%zu:Mugai.Test.Fixture.Hash\n", md5, strlen(fixture));
    assert_true(g_file_set_contents(hdb, line, -1, NULL));
    char *ndb = g_strdup_printf("%s/test.ndb", dir);
    /* hex of "EVIL-MARKER-42" anywhere in any file */
    assert_true(g_file_set_contents(ndb, "Mugai.Test.Marker:0:*:4556494c2d4d41524b45522d3432\n", -1, NULL));
    char *conf = g_strdup_printf("[clamav]\nsystem-db = /nonexistent\nextra-db = %s\n", dir);
    struct mg_engine *e = engine_with(conf);

    struct mg_job *job = mg_job_new(e, NULL);
    struct mg_item *r = mg_job_run(job, "report.txt", (const uint8_t *)fixture, strlen(fixture), MG_TC_UNKNOWN);
    assert_int_equal(r->reason, MG_R_VIRUS);
    assert_non_null(strstr(r->reason_detail, "Mugai.Test.Fixture.Hash"));
    mg_job_free(job);

    const char *marked = "line one\nsomething EVIL-MARKER-42 here\n";
    job = mg_job_new(e, NULL);
    r = mg_job_run(job, "m.txt", (const uint8_t *)marked, strlen(marked), MG_TC_UNKNOWN);
    assert_int_equal(r->reason, MG_R_VIRUS);
    assert_non_null(strstr(r->reason_detail, "Mugai.Test.Marker"));
    mg_job_free(job);

    /* Same text without the marker: not a virus. */
    job = mg_job_new(e, NULL);
    r = mg_job_run(job, "m.txt", (const uint8_t *)"line one\n", 9, MG_TC_UNKNOWN);
    assert_int_not_equal(r->reason, MG_R_VIRUS);
    mg_job_free(job);
    mg_engine_free(e);
    unlink(hdb);
    unlink(ndb);
    rmdir(dir);
    g_free(md5);
    g_free(hdb);
    g_free(ndb);
    g_free(line);
    g_free(conf);
}

/* A mail whose only body carries EICAR, base64 or quoted-printable encoded
 * (so that no signature can match the raw bytes): libclamav does not unpack
 * mails whose parts mugai takes apart itself, so the mail sanitizer scans the
 * decoded body; a hit blocks the whole message as a virus. */
static void check_body_virus(const char *ctype, const char *cte, const char *body)
{
    char mail[1024];
    snprintf(mail, sizeof mail,
             "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
             "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n%s\r\n", ctype, cte, body);
    assert_null(strstr(mail, "EICAR"));
    struct mg_job *job = mg_job_new(eng, "test-body-virus");
    struct mg_item *r = mg_job_run(job, "m.eml", (const uint8_t *)mail, strlen(mail), MG_TC_MAIL);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_VIRUS);
    assert_non_null(r->reason_detail);
    assert_non_null(strstr(r->reason_detail, "EICAR"));
    assert_non_null(r->av_signature);
    mg_job_free(job);
}

static void test_virus_in_mail_body(void **state)
{
    (void)state;
    gchar *b64 = g_base64_encode((const guchar *)eicar, strlen(eicar));
    check_body_virus("text/plain; charset=us-ascii", "base64", b64);
    g_free(b64);
    /* Every character escaped: =58=35=4F... */
    GString *qp = g_string_new("");
    for (const char *p = eicar; *p; p++)
        g_string_append_printf(qp, "=%02X", (unsigned char)*p);
    check_body_virus("text/plain; charset=us-ascii", "quoted-printable", qp->str);
    g_string_free(qp, TRUE);
}

/* The same in an attachment: that part is blocked as a virus, and so is the
 * whole message (its text is the bait), as when libclamav unpacked it. */
/* Runs a job over a mail with a short text body and one base64 attachment. */
static struct mg_item *run_mail_with(struct mg_job *job, const char *name, const char *ctype,
                                     const void *data, size_t len)
{
    gchar *b64 = g_base64_encode(data, len);
    gchar *mail = g_strdup_printf(
        "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nSee the file.\r\n--b\r\n"
        "Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n", ctype, name, name, b64);
    g_free(b64);
    /* The job reads the bytes while it runs; keep them as long as it. */
    const uint8_t *kept = mg_job_keep(job, mail, strlen(mail));
    size_t len_mail = strlen(mail);
    g_free(mail);
    assert_non_null(kept);
    return mg_job_run(job, "m.eml", kept, len_mail, MG_TC_MAIL);
}

static void test_virus_in_mail_attachment(void **state)
{
    (void)state;
    struct mg_job *job = mg_job_new(eng, "test-att-virus");
    struct mg_item *r = run_mail_with(job, "tool.com", "application/octet-stream", eicar, strlen(eicar));
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_VIRUS);
    assert_non_null(strstr(r->reason_detail, "tool.com"));
    assert_non_null(strstr(r->reason_detail, "EICAR"));
    assert_int_equal(r->n_children, 1);
    assert_int_equal(r->children[0]->verdict, MG_BLOCKED);
    assert_int_equal(r->children[0]->reason, MG_R_VIRUS);
    mg_job_free(job);
}

/* A cid: resource of an HTML body is dropped, never delivered; a virus in
 * it still blocks the message, as libclamav's verdict on the whole message
 * did before it stopped unpacking mails. */
static void test_virus_in_dropped_resource(void **state)
{
    (void)state;
    gchar *b64 = g_base64_encode((const guchar *)eicar, strlen(eicar));
    gchar *mail = g_strdup_printf(
        "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/related; boundary=\"r\"\r\n\r\n--r\r\n"
        "Content-Type: text/html; charset=us-ascii\r\n\r\n<p>Hello <img src=\"cid:x@y\"></p>\r\n--r\r\n"
        "Content-Type: image/png\r\nContent-ID: <x@y>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "%s\r\n--r--\r\n", b64);
    g_free(b64);
    struct mg_job *job = mg_job_new(eng, "test-cid-virus");
    const uint8_t *kept = mg_job_keep(job, mail, strlen(mail));
    size_t len = strlen(mail);
    g_free(mail);
    struct mg_item *r = mg_job_run(job, "m.eml", kept, len, MG_TC_MAIL);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_VIRUS);
    mg_job_free(job);
}

/* A zip holding one deflated file (so that its bytes do not show in the
 * zip as they are): enough for the archive sanitizer. */
static size_t deflated_zip(const char *name, const char *data, uint8_t *z, size_t cap)
{
    size_t nl = strlen(name), dl = strlen(data), o = 0;
    uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)dl);
    uint8_t comp[256];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)dl;
    zs.next_out = comp;
    zs.avail_out = sizeof comp;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t cl = zs.total_out;
    deflateEnd(&zs);
    assert_true(2 * (46 + nl) + cl + 22 <= cap);
    uint8_t *p;
#define PUT16(v) (p = z + o, p[0] = (uint8_t)(v), p[1] = (uint8_t)((v) >> 8), o += 2)
#define PUT32(v) (PUT16((v) & 0xffff), PUT16(((uint32_t)(v)) >> 16))
    PUT32(0x04034b50); PUT16(20); PUT16(0); PUT16(8); PUT16(0); PUT16(0x21);
    PUT32(crc); PUT32(cl); PUT32(dl); PUT16(nl); PUT16(0);
    memcpy(z + o, name, nl), o += nl;
    memcpy(z + o, comp, cl), o += cl;
    size_t cd = o;
    PUT32(0x02014b50); PUT16(20); PUT16(20); PUT16(0); PUT16(8); PUT16(0); PUT16(0x21);
    PUT32(crc); PUT32(cl); PUT32(dl); PUT16(nl); PUT16(0); PUT16(0); PUT16(0); PUT16(0);
    PUT32(0); PUT32(0);
    memcpy(z + o, name, nl), o += nl;
    size_t cdl = o - cd;
    PUT32(0x06054b50); PUT16(0); PUT16(0); PUT16(1); PUT16(1); PUT32(cdl); PUT32(cd); PUT16(0);
#undef PUT32
#undef PUT16
    return o;
}

/* Deeper: EICAR in a zip attached to the mail. The zip's member is the
 * item with the virus; the message is still blocked as a whole. */
static void test_virus_in_zip_in_mail(void **state)
{
    (void)state;
    uint8_t zip[512];
    size_t zl = deflated_zip("eicar.com", eicar, zip, sizeof zip);
    struct mg_job *job = mg_job_new(eng, "test-zip-virus");
    struct mg_item *r = run_mail_with(job, "files.zip", "application/zip", zip, zl);
    assert_int_equal(r->verdict, MG_BLOCKED);
    assert_int_equal(r->reason, MG_R_VIRUS);
    assert_non_null(strstr(r->reason_detail, "eicar.com"));
    assert_int_equal(r->n_children, 1);
    assert_int_equal(r->children[0]->n_children, 1);
    assert_int_equal(r->children[0]->children[0]->reason, MG_R_VIRUS);
    mg_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eicar_is_blocked_as_virus),
        cmocka_unit_test(test_disguised_executable),
        cmocka_unit_test(test_empty_and_unknown_fail_closed),
        cmocka_unit_test(test_image_passes_only_when_it_is_one),
        cmocka_unit_test(test_depth_and_count_limits),
        cmocka_unit_test(test_reports_name_everything),
        cmocka_unit_test(test_english_notice),
        cmocka_unit_test(test_bad_config_is_refused),
        cmocka_unit_test(test_clamav_required_without_db_refuses_to_start),
        cmocka_unit_test(test_own_test_databases),
        cmocka_unit_test(test_virus_in_mail_body),
        cmocka_unit_test(test_virus_in_mail_attachment),
        cmocka_unit_test(test_virus_in_zip_in_mail),
        cmocka_unit_test(test_virus_in_dropped_resource),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
