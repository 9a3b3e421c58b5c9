/* Naive reference matcher (see scanner_ref.h). Reports in (end, index) order. */
#include "scan/scanner_ref.h"

static uint8_t lower(uint8_t b)
{
    return b >= 'A' && b <= 'Z' ? (uint8_t)(b + 32) : b;
}

int mg_scanner_ref_block(const struct mg_pattern *pats, size_t n, const uint8_t *buf, size_t len,
                         mg_match_fn cb, void *ud)
{
    for (size_t end = 1; end <= len; end++) {
        for (size_t k = 0; k < n; k++) {
            const struct mg_pattern *p = &pats[k];
            if (p->len > end)
                continue;
            const uint8_t *b = buf + end - p->len;
            size_t j = 0;
            while (j < p->len && (p->nocase ? lower(b[j]) == lower(p->bytes[j]) : b[j] == p->bytes[j]))
                j++;
            if (j == p->len) {
                int rc = cb(p->id, end, ud);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}
