/* Fuzz harness for the PDF disarm: qpdf itself is fuzzed upstream; this one
 * exercises our walk, our rules and the write/verify round trip on whatever
 * qpdf manages to read. Extract mode is on so that path is covered too. */
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/sink.h"
#include "sanitizers/pdf/pdf_disarm.h"

static bool on_embedded(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)name;
    /* Touch the bytes so that a bad length shows under ASan. */
    volatile uint8_t x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= data[i];
    (void)x;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum mg_urls_mode modes[] = { MG_URLS_KEEP, MG_URLS_DEFANG, MG_URLS_REMOVE };
    struct mg_pdf_opts opts = {
        .uri = modes[size % 3], .extract_files = true,
        .max_objects = 20000, .max_extract = 1 << 20,
    };
    struct mg_pdf_hooks hooks = { .embedded = on_embedded };
    struct mg_buf out;
    struct mg_sink sink;
    mg_buf_init(&out);
    mg_buf_set_limit(&out, 64u << 20);
    mg_sink_init_buf(&sink, &out);
    struct mg_pdf_result res;
    mg_pdf_disarm(data, size, &opts, &hooks, &sink, &res);
    mg_buf_free(&out);
    return 0;
}
