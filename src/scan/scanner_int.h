/* Internal layout of a compiled scanner, shared by the scalar core and the
 * SIMD prefilters (scanner_sse42.c, scanner_avx2.c). Not a public header.
 *
 * The filter: every pattern of two or more bytes is represented by one
 * "anchor" of tw = min(len, 6) adjacent bytes at offset k inside it, chosen
 * to be rare in ordinary data. Tests, cheapest first:
 *  1. (SIMD paths) a Teddy-style nibble test of the six anchor bytes at each
 *     of 16/32/64 positions: 16 buckets (two banks of 8) of anchors, greedily grouped so that each
 *     bucket's nibble sets stay small;
 *  2. the raw first two anchor bytes in a 64 Kibit bitmap (every case variant
 *     of nocase anchors set; 8 KiB, stays in L1);
 *  3. a hash of the first w = min(tw, 4) case-folded anchor bytes in a
 *     64 Kibit bitmap per width;
 *  4. the hash table of (width, folded anchor) -> patterns, each verified at
 *     i - k.
 * Patterns of one byte use a 256-entry table and a plain loop. */
#ifndef MG_SCAN_SCANNER_INT_H
#define MG_SCAN_SCANNER_INT_H

#include "scan/scanner.h"

#define MG_TEDDY_W 6   /* bytes per position the SIMD prefilter tests */
#define MG_VBMI_W 5    /* anchor bytes the AVX-512 VBMI filter tests */

/* Table index of a byte in the VBMI filter: its low 7 bits, which is what
 * vpermi2b looks up in a 128-entry table (bit 7 is ignored by the
 * instruction, so the raw byte is the index: no class computation). A byte
 * and its x ^ 0x80 twin share an entry; nocase letters set both cases. */
static inline uint8_t mg_scan_vbmi_index(uint8_t x)
{
    return (uint8_t)(x & 0x7f);
}

struct mg_spat {
    uint32_t id;
    uint32_t off;      /* into mg_scanner.bytes (folded to lower case if nocase) */
    uint16_t len;
    uint8_t nocase;
    uint8_t k;         /* anchor offset inside the pattern */
    uint8_t w;         /* hashed anchor width, 2..4 (0 for one-byte patterns) */
    uint8_t tw;        /* Teddy anchor width, 2..MG_TEDDY_W (w = min(tw, 4)) */
};

struct mg_anchor_slot {
    uint64_t key;      /* width << 32 | folded anchor bytes; UINT64_MAX when empty */
    uint32_t start;    /* into mg_scanner.entries */
    uint32_t count;
};

/* Where matches go, and which ones count: a match [start, end) inside the
 * scanned buffer is reported when end > min_end and start < max_start
 * (the stream uses this to scan the seam between chunks exactly once).
 *
 * pre, pre_len, pre_avail (streams only, else NULL/0): a match whose anchor
 * lies in buf but which starts before buf[0] is verified in pre, which holds
 * the pre_len bytes before buf[0] followed by the first pre_avail - pre_len
 * bytes of buf (the stream's seam). Such a match always counts (it ends
 * inside buf and starts before it), so only use pre with min_end 0.
 *
 * tail_cand (streams only, else NULL): a core that can may store there the
 * positions among buf's last 64 (bit t: position len - 64 + t, len >= 64)
 * where an anchor may start, counting anchors that run past buf's end; the
 * next chunk's seam then checks only those. A core that does not leaves
 * the caller's all-ones. */
struct mg_scan_ctx {
    const struct mg_scanner *s;
    mg_match_fn cb;
    void *ud;
    uint64_t base;     /* absolute offset of buf[0] */
    size_t min_end;
    size_t max_start;
    const uint8_t *pre;
    size_t pre_len;
    size_t pre_avail;
    uint64_t *tail_cand;
};

typedef int (*mg_scan_core_fn)(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);

struct mg_scanner {
    uint32_t bitmap[65536 / 32];        /* test 2: raw anchor pairs */
    uint32_t wbm[3][65536 / 32];        /* test 3: per width 2, 3, 4 */
    bool has_w[3];
    /* Teddy masks: nib[2j][x] has bit b if bucket b accepts low nibble x at
     * anchor byte j, nib[2j+1] the same for high nibbles. */
    uint8_t nib[2][2 * MG_TEDDY_W][16];   /* two banks of 8 buckets */
    /* VBMI tables: cls[bank][j][c] has bit b if bucket b of that bank
     * accepts a byte of index c (mg_scan_vbmi_index) at anchor byte j (own
     * bucket packing). */
    uint8_t cls[2][MG_VBMI_W][128];
    uint8_t single[256];                /* raw byte -> 1 if some 1-byte pattern matches it */
    bool has_single;
    size_t npats;
    struct mg_spat *pats;
    uint8_t *bytes;
    uint32_t *entries;                  /* pattern indexes, grouped by anchor */
    struct mg_anchor_slot *slots;
    uint32_t slot_mask;
    size_t max_len;
    enum mg_scan_impl impl;
    mg_scan_core_fn core;
};

extern const uint8_t mg_scan_fold[256];

/* AUTO resolved through MUGAI_SCANNER_IMPL and the CPU. */
enum mg_scan_impl mg_scan_resolve_impl(enum mg_scan_impl want);

/* Home slot of an anchor key in the open-addressing table. */
static inline uint32_t mg_scan_slot_hash(uint64_t key, uint32_t mask)
{
    return (((uint32_t)key ^ (uint32_t)(key >> 29)) * 0x85EBCA6Bu >> 12) & mask;
}

static inline bool mg_scan_bit(const struct mg_scanner *s, uint32_t pair)
{
    return (s->bitmap[pair >> 5] >> (pair & 31)) & 1u;
}

static inline uint32_t mg_scan_hash16(uint32_t v)
{
    return (v * 0x9E3779B1u) >> 16;
}

/* ASCII lower case of four bytes at once (SWAR). */
static inline uint32_t mg_scan_fold4(uint32_t x)
{
    uint32_t h = x & 0x7f7f7f7fu;
    uint32_t ge_a = h + 0x3f3f3f3fu, gt_z = h + 0x25252525u;
    uint32_t upper = (ge_a ^ gt_z) & ~x & 0x80808080u;
    return x | (upper >> 2);
}

/* Runs tests 3 and 4 at position i (test 2 passed): verifies every pattern
 * whose anchor starts there. */
int mg_scan_verify_pair(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len, size_t i);
int mg_scan_singles(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);

/* Checks the SIMD filter's candidates of the block at buf[i] (bit k of cand:
 * position i + k): exact pair bitmap, then scanner.c's hash and
 * verification. Positions without a next byte are not anchors. Shared by
 * every SIMD core; plain C, so it inlines into each core's target. */
static inline int mg_scan_candidates(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len, size_t i,
                                     uint64_t cand)
{
    while (cand) {
        size_t at = i + (unsigned)__builtin_ctzll(cand);
        cand &= cand - 1;
        if (at + 1 >= len)
            break;
        if (mg_scan_bit(c->s, buf[at] | (uint32_t)buf[at + 1] << 8)) {
            int rc = mg_scan_verify_pair(c, buf, len, at);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int mg_scan_core_scalar(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);
int mg_scan_core_sse42(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);
int mg_scan_core_avx2(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);
int mg_scan_core_avx512(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);
int mg_scan_core_vbmi(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len);

/* Build helpers shared by scanner_build.c and scanner_vbmi_build.c. */
void mg_scan_byte_mix(double pr[256]);
size_t mg_scan_case_variants(uint8_t b, bool nocase, uint8_t out[2]);
bool mg_scan_build_vbmi(struct mg_scanner *s);

#endif
