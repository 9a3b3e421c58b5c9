/* The front end's check of a transform's reply (Content-Encoding decoding,
 * archive decryption in a worker): a compromised worker controls every
 * byte, so the check must never crash, must refuse a status out of range,
 * output with a failure, a success without output, more output than asked
 * for, or trailing bytes; and a reply it accepts must encode back to the
 * same bytes. The first input byte picks the kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sandbox/sandbox_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct mg_sandbox_limits lim = { .max_output = 1u << 20, .max_frame = 1u << 20,
                                           .inline_max = 1u << 16 };
    enum mg_sandbox_xform kind = (data[0] & 1) ? MG_XFORM_HTTP_DECODE : MG_XFORM_ARCHIVE_DECRYPT;
    struct mg_sandbox_xresult res;
    if (!mg_sandbox_xform_reply_decode(&res, &lim, kind, 4096, data + 1, size - 1, -1))
        return 0;
    if (res.status < 0 || (res.status == 0) != (res.out != NULL) || res.out_len > 4096)
        abort();
    struct mg_buf again;
    mg_buf_init(&again);
    int fd = -1;
    if (!mg_sandbox_xform_reply_encode(&again, &lim, res.status, res.detail, res.out, res.out_len, &fd) ||
        fd >= 0 || again.len != size - 1 || memcmp(again.data, data + 1, size - 1) != 0)
        abort();
    mg_buf_free(&again);
    mg_sandbox_xresult_clear(&res);
    return 0;
}
