/* Unit tests for the indicator set: the embedded file parses, the PDF #xx
 * spellings, class-aware must-not-survive decisions, parse errors, streaming,
 * and the real corpus samples (hits where active content is, none in mail). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/indicators.h"

static struct mg_indicator_set *set;

static int setup(void **state)
{
    (void)state;
    char err[256];
    set = mg_indicators_default(err, sizeof err);
    if (!set)
        fprintf(stderr, "%s\n", err);
    return set ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mg_indicators_free(set);
    return 0;
}

static bool has_hit(const struct mg_ind_hits *h, const char *name)
{
    for (uint32_t i = 0; i < h->count && i < 64; i++)
        if (strcmp(mg_indicators_get(set, h->ids[i])->name, name) == 0)
            return true;
    return false;
}

static void scan_str(const char *s, struct mg_ind_hits *h)
{
    mg_indicators_scan(set, (const uint8_t *)s, strlen(s), h);
}

static void test_default_set(void **state)
{
    (void)state;
    assert_true(mg_indicators_count(set) >= 80);
    const struct mg_pattern *p;
    size_t np = mg_indicators_patterns(set, &p);
    assert_true(np >= 200);     /* the pdfname spellings */
    for (size_t i = 0; i < np; i++)
        assert_true(p[i].id < mg_indicators_count(set));
    assert_non_null(mg_indicators_scanner(set));
    assert_null(mg_indicators_get(set, (uint32_t)mg_indicators_count(set)));
}

static void test_pdf_spellings(void **state)
{
    (void)state;
    const char *spell[] = { "/JavaScript", "<</S/J#61vaScript", "/Java#53cript", "/JavaScrip#74",
                            "/#4aavaScript", "/#4AavaScript", "x/Launch " };
    for (size_t i = 0; i < sizeof spell / sizeof spell[0]; i++) {
        struct mg_ind_hits h;
        scan_str(spell[i], &h);
        assert_true(h.must_not_survive);
        assert_true(mg_ind_hits_blocks(set, &h, "pdf"));
        assert_false(mg_ind_hits_blocks(set, &h, "text"));
    }
    struct mg_ind_hits h;
    scan_str("/javascript /Javascript", &h);   /* PDF names are case-sensitive */
    assert_false(has_hit(&h, "pdf-javascript"));
    scan_str("/Ja#76#61Script", &h);            /* two escapes: documented limit */
    assert_false(has_hit(&h, "pdf-javascript"));
}

static void test_classes(void **state)
{
    (void)state;
    struct mg_ind_hits h;
    scan_str("Click javascript:alert(1) or <SCRIPT>", &h);
    assert_true(has_hit(&h, "html-javascript-url"));
    assert_true(has_hit(&h, "html-script"));
    assert_true(mg_ind_hits_blocks(set, &h, "html"));
    assert_false(mg_ind_hits_blocks(set, &h, "text"));   /* prose in a text body */
    assert_true(mg_ind_hits_blocks(set, &h, NULL));

    scan_str("PK\x03\x04....word/vbaProject.bin....", &h);
    assert_true(has_hit(&h, "ooxml-vbaproject"));
    assert_true(mg_ind_hits_blocks(set, &h, "ooxml"));
    assert_false(mg_ind_hits_blocks(set, &h, "pdf"));

    scan_str("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*", &h);
    assert_true(has_hit(&h, "eicar"));
    assert_int_equal(h.count, 1);
    assert_int_equal(h.events, 2);
    assert_true(mg_ind_hits_blocks(set, &h, "text"));   /* class any */
    assert_true(mg_ind_hits_blocks(set, &h, "image"));

    scan_str("Sub AutoOpen()\r\n Set x = CreateObject(\"WScript.Shell\")", &h);
    assert_true(has_hit(&h, "vba-auto-open"));
    assert_true(has_hit(&h, "vba-createobject"));
    assert_true(has_hit(&h, "vba-wscript-shell"));
    assert_false(h.must_not_survive);

    scan_str("{\\rtf1{\\object\\objemb{\\*\\objdata 01050000", &h);
    assert_true(has_hit(&h, "rtf-objdata"));
    assert_true(mg_ind_hits_blocks(set, &h, "rtf"));

    scan_str("\x7f" "ELF\x02\x01", &h);
    assert_true(has_hit(&h, "exe-elf"));

    const struct mg_indicator *ind = mg_indicators_get(set, h.ids[0]);
    assert_true(mg_indicator_in_class(ind, "executable"));
    assert_false(mg_indicator_in_class(ind, "exec"));
    assert_string_equal(mg_ind_severity_name(MG_IND_MUST_NOT_SURVIVE), "must-not-survive");

    /* Ordinary Japanese and English prose: nothing at all. */
    scan_str("お世話になっております。来週の会議資料を添付します。Please find the agenda attached; "
             "the meeting starts at 10:00 in room 3.", &h);
    assert_int_equal(h.count, 0);
}

static void test_stream(void **state)
{
    (void)state;
    const char *doc = "aaa /J#61vaScript bbb vbaProject.bin ccc DDEAUTO ddd EICAR-STANDARD-ANTIVIRUS-TEST-FILE!";
    struct mg_ind_hits whole, part;
    scan_str(doc, &whole);
    struct mg_ind_stream *st = mg_ind_stream_new(set, &part);
    assert_non_null(st);
    for (size_t i = 0; doc[i]; i++)
        mg_ind_stream_feed(st, (const uint8_t *)doc + i, 1);
    mg_ind_stream_free(st);
    assert_int_equal(whole.count, 4);
    assert_int_equal(part.count, whole.count);
    assert_int_equal(part.events, whole.events);
    assert_int_equal(part.mns_classes, whole.mns_classes);
    assert_memory_equal(part.ids, whole.ids, whole.count * sizeof whole.ids[0]);
}

static void parse_bad(const char *text, const char *want)
{
    char err[256] = "";
    struct mg_indicator_set *s = mg_indicators_parse(text, strlen(text), err, sizeof err);
    assert_null(s);
    if (!strstr(err, want))
        fprintf(stderr, "got error: %s\n", err);
    assert_non_null(strstr(err, want));
}

static void test_parse(void **state)
{
    (void)state;
    const char *good = "# comment\n\n  a-b  pdf,html  suspicious  nocase  \"x\\x41\\\\\\\"y\"  \r\n"
                       "a-b pdf,html suspicious exact \"zz\"\n";
    char err[256];
    struct mg_indicator_set *s = mg_indicators_parse(good, strlen(good), err, sizeof err);
    assert_non_null(s);
    assert_int_equal(mg_indicators_count(s), 1);
    const struct mg_pattern *p;
    assert_int_equal(mg_indicators_patterns(s, &p), 2);
    assert_int_equal(p[0].len, 5);
    assert_memory_equal(p[0].bytes, "xA\\\"y", 5);
    assert_true(p[0].nocase);
    assert_false(p[1].nocase);
    mg_indicators_free(s);

    parse_bad("x pdf bad nocase \"a\"\n", "line 1: severity");
    parse_bad("\nx pdf info nocase a\n", "line 2: pattern");
    parse_bad("x pdf info nocase \"a\" junk\n", "pattern");
    parse_bad("x pdf info sometimes \"a\"\n", "flag");
    parse_bad("X pdf info nocase \"a\"\n", "bad name");
    parse_bad("x pdf info nocase \"\"\n", "pattern");
    parse_bad("x pdf info nocase \"\\q\"\n", "pattern");
    parse_bad("x pdf info nocase \"a\"\nx html info nocase \"b\"\n", "line 2: same name");
    parse_bad("x pdf info\n", "expected");
    parse_bad("# nothing\n", "no indicators");
    parse_bad("x pdf info exact \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n",
              "pattern");
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* file, indicator expected (NULL = none), out class, must it block? */
static void corpus_case(const char *file, const char *expect, const char *cls, bool blocks)
{
    const char *root = getenv("MG_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/../shared/corpus/%s", root ? root : MG_TEST_SOURCE_ROOT, file);
    size_t len = 0;
    uint8_t *d = slurp(path, &len);
    if (!d) {
        fprintf(stderr, "# corpus file %s missing\n", path);
        skip();
    }
    struct mg_ind_hits h;
    mg_indicators_scan(set, d, len, &h);
    if (expect && !has_hit(&h, expect))
        fail_msg("%s: expected %s", file, expect);
    if (mg_ind_hits_blocks(set, &h, cls) != blocks)
        fail_msg("%s: blocks(%s) should be %d", file, cls, blocks);
    free(d);
}

static void test_corpus(void **state)
{
    (void)state;
    corpus_case("pdf/pdfjs_issue6106.pdf", "pdf-javascript", "pdf", true);
    corpus_case("pdf/pdfjs_issue17846_launch.pdf", "pdf-launch", "pdf", true);
    corpus_case("pdf/pdfjs_160F-2019_form.pdf", "pdf-acroform", "pdf", false);
    corpus_case("pdf/pdfjs_bug766086_gotor.pdf", "pdf-gotor", "pdf", false);
    corpus_case("ooxml/ot_oleform-PR314.docm", "ooxml-vbaproject", "ooxml", true);
    corpus_case("ooxml/ot_harmless-clean.docx", NULL, "ooxml", false);
    corpus_case("ole2/ot_harmless-clean.doc", NULL, "ole2", false);
    corpus_case("pdf/pdfjs_tracemonkey_clean.pdf", NULL, "pdf", false);
    corpus_case("pdf/pdfjs_vertical_clean.pdf", NULL, "pdf", false);
    corpus_case("pdf/pdfjs_noembed-jis7_clean.pdf", NULL, "pdf", false);
    corpus_case("ole2/ot_dde-test-from-office2016.doc", "ooxml-dde", "ole2", true);
    corpus_case("rtf/ot_issue_185_rt_header.rtf", "rtf-objdata", "rtf", true);
    corpus_case("rtf/ot_issue_251_obfuscated.rtf", "rtf-objdata", "rtf", true);
    static const char *mails[] = { "joruri_euc-jp.eml", "joruri_iso-2022-jp.eml", "joruri_shift_jis.eml",
                                   "joruri_rfc2231.eml", "py_msg_02_digest.eml", "py_msg_45_signed.eml" };
    for (size_t i = 0; i < sizeof mails / sizeof mails[0]; i++) {
        char f[128];
        snprintf(f, sizeof f, "email/%s", mails[i]);
        corpus_case(f, NULL, "text", false);
        corpus_case(f, NULL, "mail", false);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_set),
        cmocka_unit_test(test_pdf_spellings),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
