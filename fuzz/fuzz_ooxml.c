/* libFuzzer harness for the OOXML rebuild (zip, content types, rels, XML
 * edits, zip writer); the output is re-read to check it is a valid zip. */
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/sink.h"
#include "sanitizers/ooxml/ooxml_pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_buf out;
    struct mg_sink s;
    mg_buf_init(&out);
    mg_buf_set_limit(&out, 1u << 26);
    mg_sink_init_buf(&s, &out);
    struct mg_ooxml_opts o = {
        .lim = { 1000, 1u << 24, 1u << 26, 200 },
        .hyperlinks = MG_URL_DEFANG,
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
    return 0;
}
