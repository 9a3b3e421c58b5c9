/* The RTF cleaner. Whatever it accepts must come out with nothing left to
 * remove and be a fixed point: cleaning the output again changes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sanitizers/rtf/rtf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_buf a, b;
    struct mg_rtf_stats st, st2;
    char err[160];
    mg_buf_init(&a);
    mg_buf_init(&b);
    if (mg_rtf_clean(data, size, &a, &st, err, sizeof err) == MG_RTF_OK) {
        if (mg_rtf_clean(a.data, a.len, &b, &st2, err, sizeof err) != MG_RTF_OK)
            abort();
        if (st2.objects || st2.datastores || st2.templates || st2.fields_dde ||
            st2.fields_external || st2.fields_other || st2.trailing || st2.unclosed)
            abort();
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            abort();
    }
    mg_buf_free(&a);
    mg_buf_free(&b);
    return 0;
}
