/* libFuzzer harness for the zip reader: open, then extract every entry. */
#include <stdint.h>
#include <stdlib.h>

#include "sanitizers/common/zip_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_zip z;
    const struct mg_zip_limits lim = { 1000, 1u << 24, 1u << 26, 200 };
    if (mg_zip_open(&z, data, size, &lim) == MG_ZIP_OK) {
        for (size_t i = 0; i < z.n; i++) {
            uint8_t *out;
            size_t len;
            if (mg_zip_extract(&z, i, &out, &len) == MG_ZIP_OK)
                free(out);
        }
    }
    mg_zip_close(&z);
    return 0;
}
