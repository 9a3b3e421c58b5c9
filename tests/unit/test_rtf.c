/* Unit tests for the RTF cleaner (sanitizers/rtf/rtf.h) and the `rtf`
 * sanitizer through the engine. */
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
#include "engine/engine.h"
#include "engine_fixture.h"
#include "sanitizers/rtf/rtf.h"

static char *clean(const char *in, size_t inlen, enum mg_rtf_status want, struct mg_rtf_stats *st)
{
    struct mg_buf b;
    struct mg_rtf_stats local;
    char err[160];
    mg_buf_init(&b);
    enum mg_rtf_status s = mg_rtf_clean((const uint8_t *)in, inlen, &b, st ? st : &local, err, sizeof err);
    if (s != want)
        fail_msg("status %d, want %d (%s) for %.60s", (int)s, (int)want, err, in);
    mg_buf_cstr(&b);
    size_t n;
    return (char *)mg_buf_steal(&b, &n);
}

#define CLEANS_TO(in, want) do {                                   \
        char *o_ = clean(in, strlen(in), MG_RTF_OK, NULL);         \
        assert_string_equal(o_, want);                             \
        free(o_);                                                  \
    } while (0)

static void test_plain_passes(void **state)
{
    (void)state;
    const char *doc = "{\\rtf1\\ansi{\\fonttbl{\\f0 MS Mincho;}}\\f0 Hello \\'82\\'a0 \\u12354?\\par "
                      "{\\b bold}\\bin3 {}x after}";
    CLEANS_TO(doc, doc);
    /* \bin's bytes are data: the braces inside are not groups */
    CLEANS_TO("{\\rtf1 a\\bin2 }}b}", "{\\rtf1 a\\bin2 }}b}");
}

static void test_objects(void **state)
{
    (void)state;
    struct mg_rtf_stats st;
    const char *in = "{\\rtf1 A{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata 0105}"
                     "{\\result {\\pict\\wmetafile8 0100}}}B}";
    char *o = clean(in, strlen(in), MG_RTF_OK, &st);
    /* the object goes, what it showed (\result) stays as a plain group */
    assert_string_equal(o, "{\\rtf1 A{{\\pict\\wmetafile8 0100}}B}");
    assert_int_equal(st.objects, 1);
    free(o);
    /* \objdata anywhere, without \*, in upper case, mid-group, after a line break */
    CLEANS_TO("{\\rtf1 a{\\*\\footerr x \\OBJDATA 0105 d0cf11e0}b}", "{\\rtf1 ab}");
    CLEANS_TO("{\\rtf1 a{\\*\r\n\\objdata 01}b}", "{\\rtf1 ab}");
    CLEANS_TO("{\\rtf1 a{\\pict{\\*\\objdata 01}\\wmetafile8 00}b}", "{\\rtf1 a{\\pict\\wmetafile8 00}b}");
    /* a control word longer than 32 letters is still judged by its start */
    CLEANS_TO("{\\rtf1 a{\\objdataxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 01}b}", "{\\rtf1 ab}");
    /* \bin inside the object hides a closing brace from a naive parser */
    CLEANS_TO("{\\rtf1 a{\\object{\\*\\objdata \\bin2 }}}}b}", "{\\rtf1 ab}");
    /* data store, ActiveX class id, attached template */
    in = "{\\rtf1{\\*\\datastore 0105}{\\*\\oleclsid \\'7bX}{\\*\\template http://e.example/t.dotm}t}";
    o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rtf1t}");
    assert_int_equal(st.datastores, 2);
    assert_int_equal(st.templates, 1);
    free(o);
}

static void test_fields(void **state)
{
    (void)state;
    struct mg_rtf_stats st;
    const char *in = "{\\rtf1 {\\field{\\*\\fldinst {\\rtlch DD}{E\\'41UTO c:\\\\x.exe}}"
                     "{\\fldrslt {\\b shown}}}.}";
    char *o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rtf1 {{{\\b shown}}}.}");
    assert_int_equal(st.fields_dde, 1);
    free(o);
    in = "{\\rtf1 {\\field{\\*\\fldinst INCLUDETEXT \"\\\\\\\\host\\\\s\\\\a.docx\"}{\\fldrslt r}}}";
    o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rtf1 {{r}}}");
    assert_int_equal(st.fields_external, 1);
    free(o);
    /* allowed fields stay as they are */
    CLEANS_TO("{\\rtf1 {\\field{\\*\\fldinst { HYPERLINK \"https://a.example/\" }}{\\fldrslt {a}}}"
              "{\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}}",
              "{\\rtf1 {\\field{\\*\\fldinst { HYPERLINK \"https://a.example/\" }}{\\fldrslt {a}}}"
              "{\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}}");
    /* a field built from a nested field (QUOTE tricks) and unknown fields go */
    in = "{\\rtf1 {\\field{\\*\\fldinst {\\field{\\*\\fldinst QUOTE 68}{\\fldrslt D}}DE x}{\\fldrslt r}}"
         "{\\field{\\*\\fldinst MACROBUTTON m}{\\fldrslt b}}}";
    o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rtf1 {{r}}{{b}}}");
    assert_int_equal(st.fields_other, 2);
    assert_string_equal(st.first_field, "(nested field)");
    free(o);
    /* \field directly in the outermost group: only the instruction goes */
    CLEANS_TO("{\\rtf1 a\\field{\\*\\fldinst DDE x}{\\fldrslt r}b}", "{\\rtf1 a\\field{\\fldrslt r}b}");
    /* unicode escapes spell the keyword too */
    in = "{\\rtf1 {\\field{\\*\\fldinst \\u68?\\u68?\\u69? x}{\\fldrslt r}}}";
    o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rtf1 {{r}}}");
    free(o);
}

static void test_malformed_and_tolerance(void **state)
{
    (void)state;
    struct mg_rtf_stats st;
    /* 100k nested groups: blocked, in linear time, no recursion */
    size_t n = 100000;
    char *deep = malloc(2 * n + 16);
    assert_non_null(deep);
    memcpy(deep, "{\\rtf1 ", 7);
    memset(deep + 7, '{', n);
    memset(deep + 7 + n, '}', n);
    deep[7 + 2 * n] = '}';
    char *o = clean(deep, 8 + 2 * n, MG_RTF_MALFORMED, NULL);
    free(o);
    /* just inside the cap is fine */
    memset(deep + 7, '{', MG_RTF_MAX_DEPTH - 1);
    memset(deep + 7 + MG_RTF_MAX_DEPTH - 1, '}', MG_RTF_MAX_DEPTH);
    o = clean(deep, 7 + 2 * (MG_RTF_MAX_DEPTH - 1) + 1, MG_RTF_OK, NULL);
    free(o);
    free(deep);
    o = clean("hello", 5, MG_RTF_MALFORMED, NULL);
    free(o);
    o = clean("{\\rtf1 a\\bin99 x}", 16, MG_RTF_MALFORMED, NULL);
    free(o);
    /* an object in the outermost group would swallow the document in Word */
    o = clean("{\\rtf1 a\\objdata 0105}", 22, MG_RTF_MALFORMED, NULL);
    free(o);
    /* missing closing braces are added, data after the end is dropped */
    const char *in = "{\\rtf1 a{\\b b";
    o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rtf1 a{\\b b}}");
    assert_int_equal(st.unclosed, 2);
    free(o);
    in = "{\\rtf1 a}\r\n{\\object\\objdata 0105}";
    o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rtf1 a}");
    assert_int_equal(st.trailing, strlen(in) - 9);
    free(o);
    /* "{\rt" is enough for Word (oletools issue 185) */
    in = "{\\rt{\\object\\objautlink\\objupdate{\\*\\objclass \\'77}{\\*\\objdata 32\\bin6 FF}}}}";
    o = clean(in, strlen(in), MG_RTF_OK, &st);
    assert_string_equal(o, "{\\rt}");
    assert_int_equal(st.objects, 1);
    free(o);
    /* a cut never glues the bytes around it into a new control word */
    CLEANS_TO("{\\rt\\o{\\obj}bj}", "{\\rt\\o{}bj}");
    CLEANS_TO("{\\rtf1 \\'a{\\objdata 01}b}", "{\\rtf1 \\'a{}b}");
    /* removed text does not count in a field instruction */
    CLEANS_TO("{\\rtf1 {\\field{\\*\\fldinst D{\\objdata x}ATE}{\\fldrslt 1}}}",
              "{\\rtf1 {\\field{\\*\\fldinst DATE}{\\fldrslt 1}}}");
    CLEANS_TO("{\\rtf1 {\\field{\\*\\fldinst D{\\objdata x}DE}{\\fldrslt 1}}}", "{\\rtf1 {{1}}}");
    o = clean("{\\rt\\fldinst x}", 16, MG_RTF_MALFORMED, NULL);
    free(o);
    /* NUL and high bytes are text */
    CLEANS_TO("{\\rtf1 a\x01\xff\\\x02 b}", "{\\rtf1 a\x01\xff\\\x02 b}");
}

/* ---- through the engine ---------------------------------------------- */



static void test_engine(void **state)
{
    (void)state;
    struct mg_engine *e = mg_test_engine(MG_TEST_BASE_CONF);
    struct mg_job *job = mg_job_new(e, "test-rtf");
    const char *in = "{\\rtf1\\ansi Text{\\object\\objemb{\\*\\objdata 0105000002000000}}"
                     "{\\field{\\*\\fldinst DDEAUTO c:\\\\a.exe}{\\fldrslt r}}}";
    struct mg_item *it = mg_job_run(job, "a.rtf", (const uint8_t *)in, strlen(in), MG_TC_UNKNOWN);
    assert_int_equal(it->type.cls, MG_TC_RTF);
    assert_int_equal(it->verdict, MG_SANITIZED);
    assert_string_equal(it->sanitizer, "rtf");
    bool ole = false, dde = false;
    for (size_t i = 0; i < it->n_actions; i++) {
        ole |= it->actions[i].action == MG_A_OLE_REMOVED;
        dde |= it->actions[i].action == MG_A_DDE_REMOVED;
    }
    assert_true(ole && dde);
    size_t len;
    const uint8_t *p = mg_item_result(it, &len);
    assert_non_null(p);
    assert_int_equal(len, strlen("{\\rtf1\\ansi Text{{r}}}"));
    assert_memory_equal(p, "{\\rtf1\\ansi Text{{r}}}", len);
    mg_job_free(job);

    job = mg_job_new(e, "test-rtf-deep");
    char *deep = malloc(20000);
    assert_non_null(deep);
    memcpy(deep, "{\\rtf1 ", 7);
    memset(deep + 7, '{', 19993);
    it = mg_job_run(job, "deep.rtf", (const uint8_t *)deep, 20000, MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_BLOCKED);
    assert_int_equal(it->reason, MG_R_MALFORMED);
    free(deep);
    mg_job_free(job);
    mg_engine_free(e);
}

/* The rebuilt document counts against the job's total like its input:
 * room for the input but not for input plus output blocks the item. */
static void test_output_charged(void **state)
{
    (void)state;
    const char *in = "{\\rtf1\\ansi Text{\\object\\objemb{\\*\\objdata 0105000002000000}}}";
    char conf[128];
    snprintf(conf, sizeof conf, MG_TEST_BASE_CONF "[limits]\nmax-total-size = %zu\n", strlen(in) + 4);
    struct mg_engine *e = mg_test_engine(conf);
    struct mg_job *job = mg_job_new(e, "test-rtf-total");
    struct mg_item *it = mg_job_run(job, "a.rtf", (const uint8_t *)in, strlen(in), MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_BLOCKED);
    assert_int_equal(it->reason, MG_R_LIMIT_SIZE);
    mg_job_free(job);
    mg_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_passes),
        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_malformed_and_tolerance),
        cmocka_unit_test(test_engine),
        cmocka_unit_test(test_output_charged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
