/* HTML to text over any bytes, with and without a charset label. Checks
 * the converter's promises: it returns, the text is valid UTF-8, it stays
 * under the output limit, and no '<' in it can open markup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "sanitizers/html/html_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_name(uint8_t c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* No '<' may open markup: "<!", "<?", or "<name" / "</name" with a plain
 * tag name ended as a tag name ends. */
static void check(const uint8_t *p, size_t n)
{
    if (!mg_utf8_valid(p, n))
        abort();
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '<')
            continue;
        if (p[i + 1] == '!' || p[i + 1] == '?')
            abort();
        size_t j = i + 1 + (p[i + 1] == '/');
        if (j >= n || !((p[j] | 0x20) >= 'a' && (p[j] | 0x20) <= 'z'))
            continue;
        while (j < n && is_name(p[j]))
            j++;
        if (j == n || p[j] == ' ' || p[j] == '\t' || p[j] == '\n' || p[j] == '\r' ||
            p[j] == '\f' || p[j] == '/' || p[j] == '>')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const labels[] = {NULL, "ISO-2022-JP", "Shift_JIS", "UTF-8"};
    struct mg_html_opts o = {.max_output = 1 << 20, .max_input = 4 << 20};
    for (size_t k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
        struct mg_buf b;
        struct mg_html_stats st;
        mg_buf_init(&b);
        bool ok = mg_html_to_text(data, size, labels[k], &o, &b, &st);
        if (ok != (st.error == MG_HTML_OK))
            abort();
        if (ok) {
            if (b.len > o.max_output)
                abort();
            check(b.data, b.len);
        }
        mg_buf_free(&b);
    }
    return 0;
}
