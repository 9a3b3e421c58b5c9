/* The text sanitizer's cleaning (decode, controls, links) in every link
 * mode, with detection and with a label picked by the first byte. Checks
 * that the output is valid UTF-8 and carries no stripped control and, when
 * defanging, no link that mg_urls_find still sees. */
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "sanitizers/text/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const labels[] = { NULL, "ISO-2022-JP", "Shift_JIS", "EUC-JP",
                                          "UTF-8", "ISO-8859-1" };
    if (size == 0)
        return 0;
    const char *label = labels[data[0] % (sizeof labels / sizeof labels[0])];
    for (int m = MG_URLS_KEEP; m <= MG_URLS_REMOVE; m++) {
        struct mg_text_opts o = { .urls = (enum mg_urls_mode)m, .url_removed = "[X]",
                                  .max_out = 16 * size + 64 };
        struct mg_buf out;
        struct mg_text_stats st;
        mg_buf_init(&out);
        if (mg_text_clean(label, data + 1, size - 1, &o, &out, &st)) {
            if (!mg_utf8_valid(out.data, out.len))
                abort();
            for (size_t i = 0; i < out.len; i++) {
                uint8_t c = out.data[i];
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') || c == 0x7F)
                    abort();
            }
            struct mg_url_span sp;
            if (m == MG_URLS_DEFANG && mg_urls_find(out.data, out.len, 0, &sp))
                abort();
        }
        mg_buf_free(&out);
    }
    return 0;
}
