/* Every charset decoder on the input, then the ISO-2022-JP encoder on each
 * (valid UTF-8) output, and detection. Checks the decoders' promise: the
 * output is valid UTF-8 and an error offset lies inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "scan/charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const labels[] = { "ISO-2022-JP", "Shift_JIS", "EUC-JP", "UTF-8",
                                          "US-ASCII", "windows-1252", "UTF-16", NULL };
    (void)mg_charset_detect(data, size);
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        struct mg_buf b;
        struct mg_decode_result r;
        mg_buf_init(&b);
        mg_buf_set_limit(&b, 16 * size + 64);
        if (!mg_charset_to_utf8(labels[k], data, size, &b, &r))
            abort();
        if (!mg_utf8_valid(b.data, b.len) || (r.errors > 0 && r.first_error >= size))
            abort();
        struct mg_buf e;
        size_t bad = 0;
        mg_buf_init(&e);
        (void)mg_charset_utf8_to_iso2022jp(b.data, b.len, &e, &bad);
        mg_buf_free(&e);
        mg_buf_free(&b);
    }
    return 0;
}
