/* The portable scanning loop: one 8 KiB bitmap test per byte position. */
#include "scan/scanner_int.h"

#include <string.h>

const uint8_t mg_scan_fold[256] = {
#define R(x) (uint8_t)((x) >= 'A' && (x) <= 'Z' ? (x) + 32 : (x))
#define R4(x) R(x), R((x) + 1), R((x) + 2), R((x) + 3)
#define R16(x) R4(x), R4((x) + 4), R4((x) + 8), R4((x) + 12)
    R16(0x00), R16(0x10), R16(0x20), R16(0x30), R16(0x40), R16(0x50), R16(0x60), R16(0x70),
    R16(0x80), R16(0x90), R16(0xa0), R16(0xb0), R16(0xc0), R16(0xd0), R16(0xe0), R16(0xf0),
#undef R16
#undef R4
#undef R
};

/* One-byte patterns are rare (none in the indicator set): a plain loop. */
int mg_scan_singles(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    for (size_t i = 0; i < len; i++) {
        if (!s->single[buf[i]] || i + 1 <= c->min_end || i >= c->max_start)
            continue;
        for (size_t k = 0; k < s->npats; k++) {
            const struct mg_spat *p = &s->pats[k];
            if (p->len != 1)
                continue;
            uint8_t b = p->nocase ? mg_scan_fold[buf[i]] : buf[i];
            if (b == s->bytes[p->off]) {
                int rc = c->cb(p->id, c->base + i + 1, c->ud);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

int mg_scan_core_scalar(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len)
{
    const struct mg_scanner *s = c->s;
    const uint32_t *bm = s->bitmap;
    size_t i = 0;
    if (len >= 2) {
        /* Eight positions per round from one 64-bit load plus one byte. */
        for (; i + 9 <= len; i += 8) {
            uint64_t w;
            memcpy(&w, buf + i, 8);
            uint64_t w2 = (w >> 8) | (uint64_t)buf[i + 8] << 56;
            unsigned hits = 0;
            for (unsigned j = 0; j < 8; j++) {
                uint32_t pair = (uint32_t)((w >> (8 * j)) & 0xff) | (uint32_t)((w2 >> (8 * j)) & 0xff) << 8;
                hits |= ((bm[pair >> 5] >> (pair & 31)) & 1u) << j;
            }
            while (__builtin_expect(hits != 0, 0)) {
                unsigned j = (unsigned)__builtin_ctz(hits);
                hits &= hits - 1;
                int rc = mg_scan_verify_pair(c, buf, len, i + j);
                if (rc)
                    return rc;
            }
        }
        for (; i + 1 < len; i++) {
            uint32_t pair = buf[i] | (uint32_t)buf[i + 1] << 8;
            if (mg_scan_bit(s, pair)) {
                int rc = mg_scan_verify_pair(c, buf, len, i);
                if (rc)
                    return rc;
            }
        }
    }
    return s->has_single ? mg_scan_singles(c, buf, len) : 0;
}
