/* Unit tests for sanitizers/pdf: the rule tables, and the disarm core on
 * small PDFs built here with a correct xref table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <qpdf/qpdf-c.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/sink.h"
#include "sanitizers/pdf/pdf_disarm.h"
#include "sanitizers/pdf/pdf_objects.h"
#include "sanitizers/pdf/pdf_rules.h"

/* ---- building PDFs ---- */

/* objs[i] is the body of object i+1; lens[i] its length (NULL: strings). */
static void build_pdf_bin(struct mg_buf *b, const char *const *objs, const size_t *lens, size_t n)
{
    size_t off[32];
    assert_true(n < 32);
    mg_buf_init(b);
    assert_true(mg_buf_puts(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"));
    for (size_t i = 0; i < n; i++) {
        off[i] = b->len;
        assert_true(mg_buf_printf(b, "%zu 0 obj\n", i + 1));
        assert_true(mg_buf_append(b, objs[i], lens != NULL ? lens[i] : strlen(objs[i])));
        assert_true(mg_buf_puts(b, "\nendobj\n"));
    }
    size_t xref = b->len;
    assert_true(mg_buf_printf(b, "xref\n0 %zu\n0000000000 65535 f \n", n + 1));
    for (size_t i = 0; i < n; i++)
        assert_true(mg_buf_printf(b, "%010zu 00000 n \n", off[i]));
    assert_true(mg_buf_printf(b, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
                              n + 1, xref));
}

static void build_pdf(struct mg_buf *b, const char *const *objs, size_t n)
{
    build_pdf_bin(b, objs, NULL, n);
}

#define PAGE "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R %s >>"
#define PAGES "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
#define CONTENT "<< /Length 8 >>\nstream\nBT ET q\nendstream"

struct rec {
    enum mg_action a[32];
    char detail[32][256];
    size_t n;
};

static void on_action(void *ctx, enum mg_action a, const char *detail)
{
    struct rec *r = ctx;
    if (r->n < 32) {
        r->a[r->n] = a;
        snprintf(r->detail[r->n], sizeof(r->detail[0]), "%s", detail);
        r->n++;
    }
}

static bool has_action(const struct rec *r, enum mg_action a, const char *needle)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->a[i] == a && strstr(r->detail[i], needle) != NULL)
            return true;
    }
    return false;
}

static enum mg_pdf_status disarm(const struct mg_buf *in, enum mg_urls_mode uri,
                                 struct rec *r, struct mg_buf *out)
{
    struct mg_pdf_opts opts = { .uri = uri };
    struct mg_pdf_hooks hooks = { .ctx = r, .action = on_action };
    struct mg_sink sink;
    struct mg_pdf_result res;
    memset(r, 0, sizeof(*r));
    mg_buf_init(out);
    mg_sink_init_buf(&sink, out);
    enum mg_pdf_status st = mg_pdf_disarm(in->data, in->len, &opts, &hooks, &sink, &res);
    if (st == MG_PDF_OK) {
        /* The independent check: the output, read back, has nothing left. */
        assert_int_equal(mg_pdf_count_active(out->data, out->len, &opts), 0);
    }
    return st;
}

static size_t count(const struct mg_buf *b)
{
    struct mg_pdf_opts opts = { .uri = MG_URLS_KEEP };
    return mg_pdf_count_active(b->data, b->len, &opts);
}

/* ---- rules ---- */

static void test_rules_actions(void **state)
{
    (void)state;
    enum mg_action k;
    assert_int_equal(mg_pdf_action_class("/GoTo", &k), MG_PDF_ACT_GOTO);
    assert_int_equal(mg_pdf_action_class("/URI", &k), MG_PDF_ACT_URI);
    assert_int_equal(mg_pdf_action_class("/Named", &k), MG_PDF_ACT_SAFE);
    assert_int_equal(mg_pdf_action_class("/JavaScript", &k), MG_PDF_ACT_BAD);
    assert_int_equal(k, MG_A_JAVASCRIPT_REMOVED);
    assert_int_equal(mg_pdf_action_class("/GoToR", &k), MG_PDF_ACT_BAD);
    assert_int_equal(k, MG_A_EXTERNAL_REMOVED);
    /* Unknown types are not allowed (allow-list). */
    assert_int_equal(mg_pdf_action_class("/SomethingNew", &k), MG_PDF_ACT_BAD);
    assert_int_equal(mg_pdf_action_class(NULL, &k), MG_PDF_ACT_BAD);
    assert_true(mg_pdf_action_dangerous("/Launch"));
    assert_false(mg_pdf_action_dangerous("/P"));   /* a structure element's /S */
    assert_true(mg_pdf_key_forbidden("/JS", &k));
    assert_true(mg_pdf_key_forbidden("/XFA", &k));
    assert_int_equal(k, MG_A_FORM_REMOVED);
    assert_false(mg_pdf_key_forbidden("/Contents", &k));
    assert_true(mg_pdf_annot_forbidden("/FileAttachment", &k));
    assert_int_equal(k, MG_A_ATTACHMENT_REMOVED);
    assert_false(mg_pdf_annot_forbidden("/Link", &k));
}

static void test_rules_uri(void **state)
{
    (void)state;
    assert_true(mg_pdf_uri_is_web("https://example.jp/", 19));
    assert_true(mg_pdf_uri_is_web(" HTTP://x", 9));
    assert_false(mg_pdf_uri_is_web("file:///etc/passwd", 18));
    assert_true(mg_pdf_uri_is_script("\tJavaScript:alert(1)", 20));
    assert_false(mg_pdf_uri_is_script("https://x", 9));
    char out[128];
    const char *u = "https://www.example.co.jp/a.b?x=1.2";
    size_t n = mg_pdf_uri_defang(u, strlen(u), out, sizeof(out));
    assert_string_equal(out, "hxxps://www[.]example[.]co[.]jp/a.b?x=1.2");
    assert_int_equal(n, strlen(out));
    assert_true(mg_pdf_uri_is_web(out, n));
    /* Too small an output buffer fails instead of truncating. */
    assert_int_equal(mg_pdf_uri_defang(u, strlen(u), out, 10), 0);
}

static void test_obj_headers(void **state)
{
    (void)state;
    const char *d = "%PDF-1.7\n1 0 obj<<>>endobj 12  3\r\nobj\n(x 5 0 objstm) 7 0 object "
                    "x9 0 obj -4 0 obj 99999999999 0 obj 8 70000 obj\n2 0 obj";
    size_t pos = 0;
    int id, gen;
    assert_true(mg_pdf_next_obj_header((const uint8_t *)d, strlen(d), &pos, &id, &gen));
    assert_int_equal(id, 1);
    assert_int_equal(gen, 0);
    assert_true(mg_pdf_next_obj_header((const uint8_t *)d, strlen(d), &pos, &id, &gen));
    assert_int_equal(id, 12);
    assert_int_equal(gen, 3);
    /* objstm, object, x9, -4, an 11-digit number and generation 70000 are not headers */
    assert_true(mg_pdf_next_obj_header((const uint8_t *)d, strlen(d), &pos, &id, &gen));
    assert_int_equal(id, 2);
    assert_false(mg_pdf_next_obj_header((const uint8_t *)d, strlen(d), &pos, &id, &gen));
    assert_int_equal(pos, strlen(d));

    int ids[4];
    const char *h = " 10 0 11 25\n12 40 13 55";
    assert_int_equal(mg_pdf_objstm_ids((const uint8_t *)h, strlen(h), 3, ids, 4), 3);
    assert_int_equal(ids[0], 10);
    assert_int_equal(ids[2], 12);
    assert_int_equal(mg_pdf_objstm_ids((const uint8_t *)"5 0 x", 5, 9, ids, 4), 1);
}

static void test_inflate_bounds(void **state)
{
    (void)state;
    /* 1 MiB of zeros deflates to about 1 KiB. */
    uint8_t *plain = g_malloc0(1 << 20);
    uLongf zlen = compressBound(1 << 20);
    uint8_t *zeros = g_malloc(zlen);
    assert_int_equal(compress2(zeros, &zlen, plain, 1 << 20, 9), Z_OK);
    g_free(plain);
    size_t n = 0;
    uint8_t *p = mg_pdf_inflate(zeros, zlen, 1000, false, &n);
    assert_null(p);                         /* over the cap */
    p = mg_pdf_inflate(zeros, zlen, 1000, true, &n);
    assert_non_null(p);                     /* the prefix is enough for a header */
    assert_int_equal(n, 1000);
    g_free(p);
    p = mg_pdf_inflate(zeros, zlen, 1 << 20, false, &n);
    assert_non_null(p);                     /* exactly at the cap is fine */
    assert_int_equal(n, 1 << 20);
    g_free(p);
    g_free(zeros);
    assert_null(mg_pdf_inflate((const uint8_t *)"not zlib", 8, 100, true, &n));
}

/* ---- disarm ---- */

static void test_openaction_javascript(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
        "<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 5);
    assert_true(count(&in) > 0);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_JAVASCRIPT_REMOVED, "/OpenAction"));
    assert_int_equal(r.n, 1);      /* one removal, not counted twice by the sweep */
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_goto_openaction_kept(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /GoTo /D [3 0 R /Fit] >> >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 4);
    assert_int_equal(count(&in), 0);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_int_equal(r.n, 0);
    /* The jump is still there. */
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    assert_int_equal(qpdf_read_memory(q, "out", (const char *)out.data, out.len, "") & QPDF_ERRORS, 0);
    qpdf_oh root = qpdf_get_root(q);
    assert_true(qpdf_oh_has_key(q, root, "/OpenAction"));
    qpdf_cleanup(&q);
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_names_javascript_and_escapes(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 5 0 R >> >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
        "<< /Names [(x) << /S /J#61vaScript /J#53 (this.print\\(\\)) >>] >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 5);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_JAVASCRIPT_REMOVED, "Names/JavaScript"));
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_annotation_aa_and_launch(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [5 0 R 6 0 R] >>",
        CONTENT,
        "<< /Type /Annot /Subtype /Widget /Rect [0 0 10 10] /AA << /E << /S /JavaScript /JS (1) >> "
        "/X << /S /GoTo /D [3 0 R /Fit] >> >> >>",
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /Launch /F (cmd.exe) >> >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 6);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_JAVASCRIPT_REMOVED, "page 1 annotation /AA /E"));
    assert_true(has_action(&r, MG_A_ACTION_REMOVED, "page 1 annotation /A (Launch)"));
    assert_int_equal(r.n, 2);      /* the GoTo entry of /AA stays */
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_orphan_object_swept(void **state)
{
    (void)state;
    /* Object 5 is referenced by nothing: the sweep still sees it, and the
     * writer drops it. */
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
        "<< /S /JavaScript /JS (evil) /Marker (MG-ORPHAN) >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 5);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_ITEM_REMOVED, "unreferenced objects (1 findings)"));
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    assert_int_equal(qpdf_read_memory(q, "out", (const char *)out.data, out.len, "") & QPDF_ERRORS, 0);
    qpdf_oh tr = qpdf_get_trailer(q);
    qpdf_oh size = qpdf_oh_get_key(q, tr, "/Size");
    /* catalog, pages, page, content, plus the object stream and xref stream at most */
    assert_true(qpdf_oh_get_int_value(q, size) <= 7);
    qpdf_cleanup(&q);
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static qpdf_oh first_link_uri(qpdf_data q)
{
    qpdf_oh page = qpdf_get_page_n(q, 0);
    qpdf_oh annots = qpdf_oh_get_key(q, page, "/Annots");
    qpdf_oh a = qpdf_oh_get_array_item(q, annots, 0);
    qpdf_oh act = qpdf_oh_get_key(q, a, "/A");
    return qpdf_oh_get_key(q, act, "/URI");
}

static void test_uri_policies(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [5 0 R 6 0 R] >>",
        CONTENT,
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (http://evil.example/x) >> >>",
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (javascript:alert\\(1\\)) >> >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 6);

    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_JAVASCRIPT_REMOVED, "page 1 annotation /A"));
    assert_int_equal(r.n, 1);
    mg_buf_free(&out);

    assert_int_equal(disarm(&in, MG_URLS_DEFANG, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_URL_DEFANGED, "1"));
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    assert_int_equal(qpdf_read_memory(q, "out", (const char *)out.data, out.len, "") & QPDF_ERRORS, 0);
    qpdf_oh u = first_link_uri(q);
    assert_string_equal(qpdf_oh_get_string_value(q, u), "hxxp://evil[.]example/x");
    qpdf_cleanup(&q);
    mg_buf_free(&out);

    assert_int_equal(disarm(&in, MG_URLS_REMOVE, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_URL_REMOVED, "1"));
    mg_buf_free(&out);
    mg_buf_free(&in);
}

static void test_forbidden_annotations_and_xfa(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 6 0 R >> "
        "/Names << /EmbeddedFiles << /Names [(a.exe) << /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>] >> >> >>",
        PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [5 0 R] >>",
        CONTENT,
        "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS << /Type /Filespec /F (b.js) /EF << /F 7 0 R >> >> >>",
        "<< /Length 7 >>\nstream\n<xdp/>\n\nendstream",
        "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 7);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_FORM_REMOVED, "form /XFA"));
    assert_true(has_action(&r, MG_A_ATTACHMENT_REMOVED, "Names/EmbeddedFiles"));
    assert_true(has_action(&r, MG_A_ATTACHMENT_REMOVED, "a.exe"));
    assert_true(has_action(&r, MG_A_ATTACHMENT_REMOVED, "page 1 annotation /FileAttachment"));
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_deterministic(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (x) >> >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
    };
    struct mg_buf in, a, b;
    struct rec r;
    build_pdf(&in, objs, 4);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &a), MG_PDF_OK);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &b), MG_PDF_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    mg_buf_free(&in);
    mg_buf_free(&a);
    mg_buf_free(&b);
}

static void test_garbage_is_malformed(void **state)
{
    (void)state;
    struct mg_buf in, out;
    struct rec r;
    mg_buf_init(&in);
    assert_true(mg_buf_puts(&in, "%PDF-1.4\nthis is not a pdf at all\n"));
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_MALFORMED);
    assert_int_equal(out.len, 0);
    mg_buf_reset(&in);
    assert_true(mg_buf_puts(&in, "GIF89a"));
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_MALFORMED);
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_broken_xref_repaired(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
        "<< /S /JavaScript /JS (x) >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 5);
    /* Point startxref at garbage: qpdf rebuilds the table by scanning. */
    char *sx = strstr((char *)in.data, "startxref\n");
    assert_non_null(sx);
    memcpy(sx + 10, "9", 1);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_JAVASCRIPT_REMOVED, "/OpenAction"));
    assert_true(has_action(&r, MG_A_REPAIRED, "repairs"));
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_forged_size(void **state)
{
    (void)state;
    /* A /Size of ten million costs nothing: the sweep goes by the object
     * headers actually in the file, not by /Size. */
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 4);
    char *sz = strstr((char *)in.data, "/Size 5 ");
    assert_non_null(sz);
    struct mg_buf forged;
    mg_buf_init(&forged);
    assert_true(mg_buf_append(&forged, in.data, (size_t)(sz - (char *)in.data)));
    assert_true(mg_buf_puts(&forged, "/Size 10000000 "));
    assert_true(mg_buf_puts(&forged, sz + strlen("/Size 5 ")));
    assert_int_equal(disarm(&forged, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    mg_buf_free(&forged);
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_signature_removed(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /SigFlags 3 >> "
        "/Perms << /DocMDP 6 0 R >> >>",
        PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [5 0 R] >>",
        CONTENT,
        "<< /Type /Annot /Subtype /Widget /FT /Sig /T (sig1) /Rect [0 0 0 0] /P 3 0 R /V 6 0 R >>",
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
        "/ByteRange [0 10 20 30] /Contents <3082> >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 6);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_true(has_action(&r, MG_A_SIGNATURE_REMOVED, "page 1 annotation /V"));
    assert_true(has_action(&r, MG_A_SIGNATURE_REMOVED, "document /Perms"));
    assert_int_equal(r.n, 2);
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    assert_int_equal(qpdf_read_memory(q, "out", (const char *)out.data, out.len, "") & QPDF_ERRORS, 0);
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh form = qpdf_oh_get_key(q, root, "/AcroForm");
    assert_false(qpdf_oh_has_key(q, form, "/SigFlags"));
    assert_int_equal(qpdf_oh_get_array_n_items(q, qpdf_oh_get_key(q, form, "/Fields")), 1);
    qpdf_cleanup(&q);
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static bool never(void *ctx)
{
    (void)ctx;
    return false;
}

static void test_time_limit(void **state)
{
    (void)state;
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
    };
    struct mg_buf in, out;
    build_pdf(&in, objs, 4);
    struct mg_pdf_opts opts = { .uri = MG_URLS_KEEP };
    struct mg_pdf_hooks hooks = { .time_ok = never };
    struct mg_sink sink;
    struct mg_pdf_result res;
    mg_buf_init(&out);
    mg_sink_init_buf(&sink, &out);
    assert_int_equal(mg_pdf_disarm(in.data, in.len, &opts, &hooks, &sink, &res), MG_PDF_TIME);
    assert_int_equal(out.len, 0);
    mg_buf_free(&in);
    mg_buf_free(&out);
}

static void test_limits(void **state)
{
    (void)state;
    char nest[400];
    size_t o = 0;
    o += (size_t)snprintf(nest + o, sizeof(nest) - o, "<< /Type /Catalog /Pages 2 0 R /X ");
    for (int i = 0; i < 100; i++)
        nest[o++] = '[';
    for (int i = 0; i < 100; i++)
        nest[o++] = ']';
    snprintf(nest + o, sizeof(nest) - o, " >>");
    const char *objs[] = {
        nest, PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 4);
    /* Deeper than the walk goes: blocked, not recursed into. */
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_MALFORMED);
    mg_buf_free(&out);
    mg_buf_free(&in);

    objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
    build_pdf(&in, objs, 4);
    struct mg_pdf_opts opts = { .uri = MG_URLS_KEEP, .max_objects = 3 };
    struct mg_sink sink;
    struct mg_pdf_result res;
    mg_buf_init(&out);
    mg_sink_init_buf(&sink, &out);
    assert_int_equal(mg_pdf_disarm(in.data, in.len, &opts, NULL, &sink, &res), MG_PDF_TOO_MANY);
    assert_int_equal(out.len, 0);
    mg_buf_free(&out);
    mg_buf_free(&in);
}

static void test_not_actions_kept(void **state)
{
    (void)state;
    /* Outline siblings are linked by /Next and structure elements carry
     * attributes in /A: neither is an action and both must stay. */
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /Outlines 5 0 R /StructTreeRoot 8 0 R >>", PAGES,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
        "<< /Type /Outlines /First 6 0 R /Last 7 0 R /Count 2 >>",
        "<< /Title (one) /Parent 5 0 R /Next 7 0 R /Dest [3 0 R /Fit] >>",
        "<< /Title (two) /Parent 5 0 R /Prev 6 0 R /A << /S /GoTo /D [3 0 R /Fit] >> >>",
        "<< /Type /StructTreeRoot /K << /S /P /A << /O /Layout /Placement /Block >> >> >>",
    };
    struct mg_buf in, out;
    struct rec r;
    build_pdf(&in, objs, 8);
    assert_int_equal(count(&in), 0);
    assert_int_equal(disarm(&in, MG_URLS_KEEP, &r, &out), MG_PDF_OK);
    assert_int_equal(r.n, 0);
    mg_buf_free(&in);
    mg_buf_free(&out);
}

struct got {
    char name[64];
    char data[64];
    size_t len;
    int calls;
};

static bool on_embedded(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    struct got *g = ctx;
    g->calls++;
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->len = len < sizeof(g->data) ? len : sizeof(g->data);
    memcpy(g->data, data, g->len);
    return true;
}

static void test_extract(void **state)
{
    (void)state;
    /* "hello" deflated, so the capped inflater is used. */
    static const unsigned char z[] = { 0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00,
                                       0x06, 0x2c, 0x02, 0x15 };
    char emb[160];
    snprintf(emb, sizeof(emb), "<< /Type /EmbeddedFile /Filter /FlateDecode /Length %zu >>\nstream\n",
             sizeof(z));
    struct mg_buf s5;
    mg_buf_init(&s5);
    assert_true(mg_buf_puts(&s5, emb));
    assert_true(mg_buf_append(&s5, z, sizeof(z)));
    assert_true(mg_buf_puts(&s5, "\nendstream"));
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(a.txt) 6 0 R] >> >> >>",
        PAGES, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>", CONTENT,
        (const char *)s5.data,
        "<< /Type /Filespec /F (a.txt) /UF (a.txt) /EF << /F 5 0 R >> >>",
    };
    size_t lens[6];
    for (size_t i = 0; i < 6; i++)
        lens[i] = i == 4 ? s5.len : strlen(objs[i]);
    struct mg_buf in, out;
    build_pdf_bin(&in, objs, lens, 6);
    struct got g = { .calls = 0 };
    struct mg_pdf_opts opts = { .uri = MG_URLS_KEEP, .extract_files = true, .max_extract = 100 };
    struct mg_pdf_hooks hooks = { .ctx = &g, .embedded = on_embedded };
    struct mg_sink sink;
    struct mg_pdf_result res;
    mg_buf_init(&out);
    mg_sink_init_buf(&sink, &out);
    assert_int_equal(mg_pdf_disarm(in.data, in.len, &opts, &hooks, &sink, &res), MG_PDF_OK);
    assert_int_equal(g.calls, 1);
    assert_string_equal(g.name, "a.txt");
    assert_int_equal(g.len, 5);
    assert_memory_equal(g.data, "hello", 5);
    assert_int_equal(mg_pdf_count_active(out.data, out.len, &opts), 0);
    mg_buf_free(&out);

    /* Over the cap: removed, not extracted. */
    opts.max_extract = 4;
    g.calls = 0;
    mg_buf_init(&out);
    mg_sink_init_buf(&sink, &out);
    assert_int_equal(mg_pdf_disarm(in.data, in.len, &opts, &hooks, &sink, &res), MG_PDF_OK);
    assert_int_equal(g.calls, 0);
    assert_int_equal(mg_pdf_count_active(out.data, out.len, &opts), 0);
    mg_buf_free(&out);
    mg_buf_free(&in);
    mg_buf_free(&s5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_actions),
        cmocka_unit_test(test_rules_uri),
        cmocka_unit_test(test_obj_headers),
        cmocka_unit_test(test_inflate_bounds),
        cmocka_unit_test(test_forged_size),
        cmocka_unit_test(test_openaction_javascript),
        cmocka_unit_test(test_goto_openaction_kept),
        cmocka_unit_test(test_names_javascript_and_escapes),
        cmocka_unit_test(test_annotation_aa_and_launch),
        cmocka_unit_test(test_orphan_object_swept),
        cmocka_unit_test(test_uri_policies),
        cmocka_unit_test(test_forbidden_annotations_and_xfa),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_garbage_is_malformed),
        cmocka_unit_test(test_broken_xref_repaired),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_not_actions_kept),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_signature_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
