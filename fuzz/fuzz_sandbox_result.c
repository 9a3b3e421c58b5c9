/* The front end's parser of a worker's result frame: a compromised worker
 * controls every byte, so decoding must never crash, must reject anything
 * malformed or with trailing bytes, and a frame it accepts must encode back
 * to the same bytes (no field silently dropped or reinterpreted). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sandbox/sandbox_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct mg_sandbox_limits lim = { .max_output = 1u << 20, .max_frame = 1u << 20,
                                           .inline_max = 1u << 16 };
    struct mg_sandbox_result res;
    if (!mg_sandbox_result_decode(&res, &lim, data, size, -1))
        return 0;
    struct mg_buf again;
    mg_buf_init(&again);
    int fd = -1;
    if (!mg_sandbox_result_encode(&res, &lim, &again, &fd) || fd >= 0 || again.len != size ||
        memcmp(again.data, data, size) != 0)
        abort();
    mg_buf_free(&again);
    mg_sandbox_result_clear(&res);
    return 0;
}
