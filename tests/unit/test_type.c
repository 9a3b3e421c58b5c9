/* Type detection: classes from bytes, claims from names, and mismatches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "scan/type.h"

static struct mg_typer *typer;

static int setup(void **state)
{
    (void)state;
    char err[256];
    typer = mg_typer_new(err, sizeof(err));
    return typer ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_typer_free(typer);
    return 0;
}

static struct mg_type detect(const void *data, size_t len, const char *name)
{
    struct mg_type t;
    mg_type_detect(typer, data, len, name, true, &t);
    return t;
}

/* A minimal PE: "MZ", e_lfanew at 0x3c pointing to "PE\0\0" and a COFF header. */
static size_t make_pe(uint8_t *buf, size_t cap)
{
    memset(buf, 0, cap);
    memcpy(buf, "MZ", 2);
    buf[0x3c] = 0x80;
    memcpy(buf + 0x80, "PE\0\0", 4);
    buf[0x84] = 0x4c; /* i386 */
    buf[0x85] = 0x01;
    buf[0x86] = 1;    /* one section */
    buf[0x94] = 0xe0; /* optional header size */
    buf[0x96] = 0x02; /* executable image */
    buf[0x98] = 0x0b; /* PE32 magic */
    buf[0x99] = 0x01;
    return cap;
}

static void test_ext(void **state)
{
    (void)state;
    char ext[16];
    mg_type_ext("dir/請求書.PDF", ext, sizeof(ext));
    assert_string_equal(ext, "pdf");
    mg_type_ext("a.exe. . ", ext, sizeof(ext));
    assert_string_equal(ext, "exe");
    mg_type_ext(".bashrc", ext, sizeof(ext));
    assert_string_equal(ext, "");
    mg_type_ext("noext", ext, sizeof(ext));
    assert_string_equal(ext, "");
    mg_type_ext("C:\\x\\y.Docm", ext, sizeof(ext));
    assert_string_equal(ext, "docm");
}

static void test_text_and_html(void **state)
{
    (void)state;
    const char *txt = "Hello, world.\nこんにちは\n";
    struct mg_type t = detect(txt, strlen(txt), "a.txt");
    assert_int_equal(t.cls, MG_TC_TEXT);
    assert_false(t.mismatch);
    const char *html = "<!DOCTYPE html><html><head><title>x</title></head><body><p>hi</p></body></html>\n";
    t = detect(html, strlen(html), "page.html");
    assert_int_equal(t.cls, MG_TC_HTML);
    /* Plain text named .js is a script: the name decides for text. */
    t = detect(txt, strlen(txt), "run.js");
    assert_int_equal(t.cls, MG_TC_SCRIPT);
}

static void test_pe_renamed_pdf_is_mismatch(void **state)
{
    (void)state;
    uint8_t pe[512];
    size_t n = make_pe(pe, sizeof(pe));
    struct mg_type t = detect(pe, n, "invoice.pdf");
    assert_int_equal(t.cls, MG_TC_EXECUTABLE);
    assert_int_equal(t.name_cls, MG_TC_PDF);
    assert_true(t.mismatch);
}

static void test_pdf_and_empty(void **state)
{
    (void)state;
    const char *pdf = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    struct mg_type t = detect(pdf, strlen(pdf), "a.pdf");
    assert_int_equal(t.cls, MG_TC_PDF);
    assert_false(t.mismatch);
    t = detect("", 0, "a.pdf");
    assert_int_equal(t.cls, MG_TC_EMPTY);
}

static void test_ooxml_by_structure(void **state)
{
    (void)state;
    /* A local header whose first entry is not [Content_Types].xml still
     * counts as OOXML when the name appears in the archive. */
    uint8_t z[200];
    memset(z, 0, sizeof(z));
    memcpy(z, "PK\x03\x04\x14\x00\x00\x00\x00\x00", 10);
    z[26] = 5;
    memcpy(z + 30, "a.xml", 5);
    memcpy(z + 60, "PK\x01\x02", 4);
    memcpy(z + 100, "[Content_Types].xml", 19);
    memcpy(z + 150, "PK\x05\x06", 4);
    struct mg_type t = detect(z, sizeof(z), "report.docm");
    assert_int_equal(t.cls, MG_TC_OOXML);
    assert_false(t.mismatch);
}

static void test_rtf_as_word_reads_it(void **state)
{
    (void)state;
    /* Word takes "{\\rt" as RTF; libmagic wants "{\\rtf". */
    const char *rt = "{\\rt1 hello \\par }";
    struct mg_type t = detect(rt, strlen(rt), "x.doc");
    assert_int_equal(t.cls, MG_TC_RTF);
    assert_false(t.mismatch); /* Word saves RTF as .doc too */
    t = detect(rt, strlen(rt), "x.pdf");
    assert_true(t.mismatch);
    t = detect(rt, strlen(rt), "x.rtf");
    assert_int_equal(t.cls, MG_TC_RTF);
    assert_false(t.mismatch);
}

static void test_class_names_round_trip(void **state)
{
    (void)state;
    for (int c = 0; c < MG_TC__COUNT; c++) {
        enum mg_type_class back;
        assert_true(mg_type_class_parse(mg_type_class_name((enum mg_type_class)c), &back));
        assert_int_equal(back, c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ext),
        cmocka_unit_test(test_text_and_html),
        cmocka_unit_test(test_pe_renamed_pdf_is_mismatch),
        cmocka_unit_test(test_pdf_and_empty),
        cmocka_unit_test(test_ooxml_by_structure),
        cmocka_unit_test(test_rtf_as_word_reads_it),
        cmocka_unit_test(test_class_names_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
