/* Internal layout of a compiled scanner, shared by the scalar core and the
 * SIMD prefilters (scanner_sse42.c, scanner_avx2.c). Not a public header.
 *
 * The filter: every pattern of two or more bytes is represented by one
 * "anchor" pair of adjacent bytes at offset k inside it, chosen to be rare in
 * ordinary data. All case variants of a nocase anchor are set in a 64 Kibit
 * bitmap indexed by the raw little-endian pair (8 KiB, stays in L1). A bitmap
 * hit at position i looks up the pair's pattern list in a small hash table and
 * verifies each pattern at i - k. Patterns of one byte use a 256-entry table
 * and the scalar loop only. */
#ifndef MG_SCAN_SCANNER_INT_H
#define MG_SCAN_SCANNER_INT_H

#include "scan/scanner.h"

struct mg_spat {
    uint32_t id;
    uint32_t off;      /* into mg_scanner.bytes (folded to lower case if nocase) */
    uint16_t len;
    uint8_t nocase;
    uint8_t k;         /* anchor offset inside the pattern */
};

struct mg_pair_slot {
    uint32_t pair;     /* raw pair value, or UINT32_MAX when empty */
    uint32_t start;    /* into mg_scanner.entries */
    uint32_t count;
};

/* Where matches go, and which ones count: a match [start, end) inside the
 * scanned buffer is reported when end > min_end and start < max_start
 * (the stream uses this to scan the seam between chunks exactly once). */
struct mg_scan_ctx {
    const struct mg_scanner *s;
    mg_match_fn cb;
    void *ud;
    uint64_t base;     /* absolute offset of buf[0] */
    size_t min_end;
    size_t max_start;
};

typedef int (*mg_scan_core_fn)(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);

struct mg_scanner {
    uint32_t bitmap[65536 / 32];
    uint8_t single[256];        /* raw byte -> 1 if some 1-byte pattern matches it */
    bool has_single;
    /* Teddy-style nibble masks over the anchor pair for the SSE4.2 filter:
     * bit b of lo0[x] is set if bucket b has an anchor whose first byte has
     * low nibble x, and so on. Superset filter; the bitmap is exact. */
    uint8_t lo0[16], hi0[16], lo1[16], hi1[16];
    size_t npats;
    struct mg_spat *pats;
    uint8_t *bytes;
    uint32_t *entries;          /* pattern indexes, grouped by raw pair */
    struct mg_pair_slot *slots;
    uint32_t slot_mask;
    size_t max_len;
    enum mg_scan_impl impl;
    mg_scan_core_fn core;
};

extern const uint8_t mg_scan_fold[256];

static inline bool mg_scan_bit(const struct mg_scanner *s, uint32_t pair)
{
    return (s->bitmap[pair >> 5] >> (pair & 31)) & 1u;
}

/* Verifies every pattern anchored on the pair at buf[i], buf[i+1]. */
int mg_scan_verify_pair(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len, size_t i);
int mg_scan_singles(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);
int mg_scan_core_scalar(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);
int mg_scan_core_sse42(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);
int mg_scan_core_avx2(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);

#endif
