/* libFuzzer harness for the OOXML rebuild (zip, content types, rels, XML
 * edits, zip writer); the output is re-read to check it is a valid zip.
 * Inputs starting with "MGX\n" are not zips: the rest is split at "\n@@\n"
 * into the parts of a small Word package, zipped with correct CRCs, so the
 * fuzzer reaches the XML code without having to forge checksums. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/sink.h"
#include "sanitizers/common/zip_write.h"
#include "sanitizers/ooxml/ooxml_pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const part_names[] = {
    "[Content_Types].xml", "_rels/.rels", "word/document.xml",
    "word/_rels/document.xml.rels", "word/settings.xml", "word/_rels/settings.xml.rels",
    "word/vbaProject.bin", "xl/workbook.xml",
};

/* Builds a zip from the "MGX" form; false when data is not in that form. */
static bool structured(const uint8_t *data, size_t size, struct mg_buf *zip)
{
    if (size < 4 || memcmp(data, "MGX\n", 4) != 0)
        return false;
    struct mg_sink s;
    struct mg_zipw w;
    mg_sink_init_buf(&s, zip);
    mg_zipw_init(&w, &s);
    const uint8_t *p = data + 4, *end = data + size;
    for (size_t i = 0; i < sizeof part_names / sizeof part_names[0] && p <= end; i++) {
        const uint8_t *sep = memmem(p, (size_t)(end - p), "\n@@\n", 4);
        const uint8_t *stop = sep ? sep : end;
        mg_zipw_add(&w, part_names[i], p, (size_t)(stop - p), true);
        if (!sep)
            break;
        p = sep + 4;
    }
    mg_zipw_finish(&w);
    mg_zipw_free(&w);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_buf zip, out;
    struct mg_sink s;
    mg_buf_init(&zip);
    mg_buf_init(&out);
    mg_buf_set_limit(&out, 1u << 26);
    if (structured(data, size, &zip)) {
        data = zip.data;
        size = zip.len;
    }
    mg_sink_init_buf(&s, &out);
    struct mg_ooxml_opts o = {
        .lim = { 1000, 1u << 24, 1u << 26, 200 },
        .hyperlinks = MG_URLS_DEFANG,
        .max_fields = 1000,
    };
    struct mg_ooxml_result res;
    enum mg_verdict v = mg_ooxml_rebuild(data, size, &o, &s, &res);
    if (v == MG_CLEAN || v == MG_SANITIZED) {
        struct mg_zip z;
        if (mg_zip_open(&z, out.data, out.len, &o.lim) != MG_ZIP_OK)
            abort();   /* we wrote something we cannot read back */
        mg_zip_close(&z);
    }
    mg_buf_free(&out);
    mg_buf_free(&zip);
    return 0;
}
