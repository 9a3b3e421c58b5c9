/* Scanner compilation: anchor choice, the pair and hash bitmaps, the anchor
 * hash table and the Teddy bucket packing (layout in scanner_int.h). */
#include "scan/scanner_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *errbuf, size_t errlen, const char *msg)
{
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s", msg);
}

/* A rough frequency of each (folded) byte in mail and office data: the anchor
 * pair of a pattern is the one with the lowest product, so that the filter
 * fires rarely on prose, markup, base64 and binary alike. Only relative
 * values matter. */
static unsigned byte_weight(uint8_t b)
{
    static const char common[] = "etaoinsrhldcumfpgwyb";
    if (b == ' ' || b == 0)
        return 100;
    if (b >= 'a' && b <= 'z')
        return strchr(common, b) ? 60 : 12;
    if (b >= '0' && b <= '9')
        return 25;
    if (b == '\r' || b == '\n' || b == '\t')
        return 30;
    if (b == '.' || b == ',' || b == '-' || b == '=' || b == '"' || b == '\'')
        return 25;
    if (b == 0xff || b == 0xe3 || b == 0x81 || b == 0x82 || b == 0x83)
        return 40;                  /* 0xff fill, UTF-8 hiragana/katakana lead */
    if (b >= 0x80)
        return 15;
    return 8;                       /* other punctuation, control bytes */
}


size_t mg_scan_case_variants(uint8_t b, bool nocase, uint8_t out[2])
{
    out[0] = b;
    if (nocase && b >= 'a' && b <= 'z') {
        out[1] = (uint8_t)(b - 32);
        return 2;
    }
    return 1;
}

struct mg_scanner *mg_scanner_compile(const struct mg_pattern *pats, size_t n,
                                      char *errbuf, size_t errlen)
{
    return mg_scanner_compile_impl(pats, n, MG_SCAN_AUTO, errbuf, errlen);
}

static uint32_t anchor_val(const struct mg_scanner *s, const struct mg_spat *p)
{
    uint32_t v = 0;
    for (unsigned j = 0; j < p->w; j++)
        v |= (uint32_t)mg_scan_fold[s->bytes[p->off + p->k + j]] << (8 * j);
    return v;
}

/* Nibble sets (as 16-bit sets) a pattern's anchor needs at Teddy byte j. */
static void anchor_nibbles(const struct mg_scanner *s, const struct mg_spat *p, uint16_t sets[2 * MG_TEDDY_W])
{
    for (unsigned j = 0; j < MG_TEDDY_W; j++) {
        if (j >= p->tw) {
            sets[2 * j] = sets[2 * j + 1] = 0xffff;
            continue;
        }
        uint8_t v[2];
        size_t nv = mg_scan_case_variants(s->bytes[p->off + p->k + j], p->nocase, v);
        sets[2 * j] = sets[2 * j + 1] = 0;
        for (size_t x = 0; x < nv; x++) {
            sets[2 * j] |= (uint16_t)(1u << (v[x] & 15));
            sets[2 * j + 1] |= (uint16_t)(1u << (v[x] >> 4));
        }
    }
}

/* Byte distribution the bucket packing optimises for: a mix of prose
 * (byte_weight) 1/3, base64 text 1/2 and uniform binary 1/6 (what crosses a
 * mail gateway is mostly text and base64). The shares were picked by
 * measuring the VBMI filter's pass rate on the bench's text and base64
 * (equal thirds: 0.31% / 0.10% of positions; these: 0.13% / 0.10%; five
 * other mixes were worse), so they are tuned on that data. */
void mg_scan_byte_mix(double pr[256])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    double wsum = 0;
    for (unsigned c = 0; c < 256; c++) {
        /* byte_weight is for folded bytes: upper case letters rarer than lower */
        uint8_t f = mg_scan_fold[c];
        wsum += byte_weight(f) * (f != c ? 0.1 : 1.0);
    }
    for (unsigned c = 0; c < 256; c++) {
        uint8_t f = mg_scan_fold[c];
        pr[c] = byte_weight(f) * (f != c ? 0.1 : 1.0) / wsum / 3 + 1.0 / 256 / 6
                + (c && strchr(b64, (int)c) ? 1.0 / 64 / 2 : 0);
    }
}

/* Letter pairs frequent in English prose (the commonest digrams, plus those
 * of words that indicator names share with ordinary mail: "attached",
 * "document", "template", "object"). A window made of them fires on prose far
 * more often than single-byte frequencies predict: the filter then meets
 * every "please find attached" (measured: 'attach' alone passed 0.14% of the
 * bench text's positions). */
static bool common_digram(uint8_t a, uint8_t b)
{
    static const char d[] =
        "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io "
        "le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di ac "
        "tt ob je ct em pl oc cu um am ge us ip cr sc ut";
    for (size_t i = 0; i + 1 < sizeof d; i += 3)
        if ((uint8_t)d[i] == a && (uint8_t)d[i + 1] == b)
            return true;
    return false;
}

/* Chooses the anchor of a pattern of len >= 2: the window of w bytes least
 * likely in mixed data (all case variants counted for nocase), each common
 * English digram inside it counting as four times likelier. */
static uint8_t choose_anchor(const uint8_t *p, size_t len, size_t w, bool nocase, const double pr[256])
{
    size_t best = 0;
    double best_score = 1e300;
    for (size_t k = 0; k + w <= len; k++) {
        double sc = 1;
        for (size_t j = 0; j < w; j++) {
            uint8_t c = p[k + j];
            double q = pr[c];
            if (nocase && c >= 'a' && c <= 'z')
                q += pr[c - 32];
            sc *= q;
            if (j > 0 && common_digram(mg_scan_fold[p[k + j - 1]], mg_scan_fold[c]))
                sc *= 4;
        }
        if (sc < best_score) {
            best_score = sc;
            best = k;
        }
    }
    return (uint8_t)best;
}

/* Chance that a position of mixed data passes one bucket's nibble sets. */
static double bucket_cost(const uint16_t m[2 * MG_TEDDY_W], const double pr[256])
{
    double c = 1;
    for (unsigned j = 0; j < MG_TEDDY_W; j++) {
        if (m[2 * j] == 0xffff && m[2 * j + 1] == 0xffff)
            continue;
        double s = 0;
        for (unsigned b = 0; b < 256; b++)
            if ((m[2 * j] >> (b & 15) & 1) && (m[2 * j + 1] >> (b >> 4) & 1))
                s += pr[b];
        c *= s;
    }
    return c;
}

static void bucket_masks(const uint16_t (*sets)[2 * MG_TEDDY_W], const uint8_t *bucket, size_t n,
                         unsigned b, uint16_t m[2 * MG_TEDDY_W])
{
    memset(m, 0, 2 * MG_TEDDY_W * sizeof m[0]);
    for (size_t i = 0; i < n; i++)
        if (bucket[i] == b)
            for (unsigned j = 0; j < 2 * MG_TEDDY_W; j++)
                m[j] |= sets[i][j];
}

struct loose {
    double self;
    uint16_t sets[2 * MG_TEDDY_W];
};

static int cmp_loose(const void *a, const void *b)
{
    double x = ((const struct loose *)a)->self, y = ((const struct loose *)b)->self;
    return x > y ? -1 : x < y;
}

/* Bucket packing: greedy (each anchor joins the bucket whose chance of a
 * false candidate grows least), then a few rounds of moving single anchors
 * where that lowers the total. */
static bool build_teddy(struct mg_scanner *s)
{
    double pr[256];
    mg_scan_byte_mix(pr);
    size_t n = 0;
    uint16_t (*sets)[2 * MG_TEDDY_W] = calloc(s->npats + 1, sizeof *sets);
    uint8_t *bucket = calloc(s->npats + 1, 1);
    if (!sets || !bucket) {
        free(sets);
        free(bucket);
        return false;
    }
    for (size_t i = 0; i < s->npats; i++)
        if (s->pats[i].w != 0)
            anchor_nibbles(s, &s->pats[i], sets[n++]);
    /* Loosest anchors first (short patterns with wildcard bytes): each then
     * takes a bucket of its own instead of widening everyone's. */
    struct loose *lo = calloc(n + 1, sizeof *lo);
    if (!lo) {
        free(sets);
        free(bucket);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        lo[i].self = bucket_cost(sets[i], pr);
        memcpy(lo[i].sets, sets[i], sizeof lo[i].sets);
    }
    qsort(lo, n, sizeof *lo, cmp_loose);
    for (size_t i = 0; i < n; i++)
        memcpy(sets[i], lo[i].sets, sizeof lo[i].sets);
    free(lo);
    uint16_t bm[16][2 * MG_TEDDY_W] = { { 0 } };
    double cost[16] = { 0 };
    for (int round = 0; round < 4; round++) {
        bool moved = false;
        for (size_t i = 0; i < n; i++) {
            unsigned from = bucket[i];
            if (round > 0) {             /* take it out of its bucket first */
                bucket[i] = 0xff;
                bucket_masks((const uint16_t (*)[2 * MG_TEDDY_W])sets, bucket, n, from, bm[from]);
                cost[from] = bucket_cost(bm[from], pr);
            }
            unsigned best = 0;
            double best_delta = 1e300, best_cost = 0;
            for (unsigned b = 0; b < 16; b++) {
                uint16_t m[2 * MG_TEDDY_W];
                for (unsigned j = 0; j < 2 * MG_TEDDY_W; j++)
                    m[j] = bm[b][j] | sets[i][j];
                double nc = bucket_cost(m, pr), d = nc - cost[b];
                if (d < best_delta - 1e-15 || (b == from && d <= best_delta + 1e-15)) {
                    best_delta = d;
                    best = b;
                    best_cost = nc;
                }
            }
            for (unsigned j = 0; j < 2 * MG_TEDDY_W; j++)
                bm[best][j] |= sets[i][j];
            cost[best] = best_cost;
            moved |= round > 0 && best != from;
            bucket[i] = (uint8_t)best;
        }
        if (round > 0 && !moved)
            break;
    }
    for (unsigned b = 0; b < 16; b++)
        for (unsigned j = 0; j < 2 * MG_TEDDY_W; j++)
            for (unsigned x = 0; x < 16; x++)
                if (bm[b][j] & (1u << x))
                    s->nib[b >> 3][j][x] |= (uint8_t)(1u << (b & 7));
    free(sets);
    free(bucket);
    return true;
}

struct anchor_ent {
    uint64_t key;
    uint32_t pat;
};

static int cmp_anchor(const void *a, const void *b)
{
    const struct anchor_ent *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pat < y->pat ? -1 : x->pat > y->pat;
}

static bool build_anchors(struct mg_scanner *s, char *errbuf, size_t errlen)
{
    struct anchor_ent *ent = calloc(s->npats + 1, sizeof *ent);
    if (!ent) {
        set_err(errbuf, errlen, "out of memory");
        return false;
    }
    size_t ne = 0;
    for (size_t i = 0; i < s->npats; i++) {
        const struct mg_spat *p = &s->pats[i];
        if (p->w == 0)
            continue;
        uint32_t v = anchor_val(s, p);
        ent[ne++] = (struct anchor_ent){ (uint64_t)p->w << 32 | v, (uint32_t)i };
        s->has_w[p->w - 2] = true;
        uint32_t h = mg_scan_hash16(v);
        s->wbm[p->w - 2][h >> 5] |= 1u << (h & 31);
        const uint8_t *b = s->bytes + p->off + p->k;
        uint8_t v0[2], v1[2];
        size_t n0 = mg_scan_case_variants(b[0], p->nocase, v0), n1 = mg_scan_case_variants(b[1], p->nocase, v1);
        for (size_t x = 0; x < n0; x++)
            for (size_t y = 0; y < n1; y++) {
                uint32_t pair = v0[x] | (uint32_t)v1[y] << 8;
                s->bitmap[pair >> 5] |= 1u << (pair & 31);
            }
    }
    qsort(ent, ne, sizeof *ent, cmp_anchor);
    size_t distinct = 0;
    for (size_t i = 0; i < ne; i++)
        if (i == 0 || ent[i].key != ent[i - 1].key)
            distinct++;
    uint32_t size = 16;
    while (size < distinct * 2 + 1)
        size <<= 1;
    s->slot_mask = size - 1;
    s->slots = malloc(size * sizeof *s->slots);
    s->entries = malloc((ne + 1) * sizeof *s->entries);
    if (!s->slots || !s->entries) {
        free(ent);
        set_err(errbuf, errlen, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < size; i++)
        s->slots[i].key = UINT64_MAX;
    for (size_t i = 0; i < ne;) {
        size_t j = i;
        while (j < ne && ent[j].key == ent[i].key) {
            s->entries[j] = ent[j].pat;
            j++;
        }
        uint32_t h = mg_scan_slot_hash(ent[i].key, s->slot_mask);
        while (s->slots[h].key != UINT64_MAX)
            h = (h + 1) & s->slot_mask;
        s->slots[h] = (struct mg_anchor_slot){ .key = ent[i].key, .start = (uint32_t)i,
                                               .count = (uint32_t)(j - i) };
        i = j;
    }
    free(ent);
    /* Each SIMD filter's bucket packing only for the core that uses it: the
     * nibble packing alone took ~25 ms, paid at every process start. */
    bool nib = s->impl == MG_SCAN_SSE42 || s->impl == MG_SCAN_AVX2 || s->impl == MG_SCAN_AVX512;
    if ((nib && !build_teddy(s)) || (s->impl == MG_SCAN_VBMI && !mg_scan_build_vbmi(s))) {
        set_err(errbuf, errlen, "out of memory");
        return false;
    }
    return true;
}

struct mg_scanner *mg_scanner_compile_impl(const struct mg_pattern *pats, size_t n,
                                           enum mg_scan_impl want,
                                           char *errbuf, size_t errlen)
{
    enum mg_scan_impl impl = mg_scan_resolve_impl(want);
    if (!mg_scanner_impl_supported(impl)) {
        set_err(errbuf, errlen, "scanner implementation not supported by this CPU");
        return NULL;
    }
    if (n > (1u << 24)) {
        set_err(errbuf, errlen, "too many patterns");
        return NULL;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (pats[i].len == 0 || pats[i].len > MG_PATTERN_MAX_LEN || !pats[i].bytes) {
            set_err(errbuf, errlen, "pattern length out of range (1..64)");
            return NULL;
        }
        total += pats[i].len;
    }
    struct mg_scanner *s = calloc(1, sizeof *s);
    if (!s) {
        set_err(errbuf, errlen, "out of memory");
        return NULL;
    }
    s->impl = impl;
    s->core = impl == MG_SCAN_VBMI ? mg_scan_core_vbmi
            : impl == MG_SCAN_AVX512 ? mg_scan_core_avx512
            : impl == MG_SCAN_AVX2 ? mg_scan_core_avx2
            : impl == MG_SCAN_SSE42 ? mg_scan_core_sse42 : mg_scan_core_scalar;
    s->npats = n;
    s->pats = calloc(n + 1, sizeof *s->pats);
    s->bytes = malloc(total + 1);
    if (!s->pats || !s->bytes) {
        set_err(errbuf, errlen, "out of memory");
        mg_scanner_free(s);
        return NULL;
    }
    double pr[256];
    mg_scan_byte_mix(pr);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        struct mg_spat *p = &s->pats[i];
        p->id = pats[i].id;
        p->len = (uint16_t)pats[i].len;
        p->nocase = pats[i].nocase;
        p->off = (uint32_t)off;
        for (size_t j = 0; j < pats[i].len; j++)
            s->bytes[off + j] = p->nocase ? mg_scan_fold[pats[i].bytes[j]] : pats[i].bytes[j];
        if (p->len >= 2) {
            p->tw = (uint8_t)(p->len < MG_TEDDY_W ? p->len : MG_TEDDY_W);
            p->w = (uint8_t)(p->tw < 4 ? p->tw : 4);
            p->k = choose_anchor(s->bytes + off, p->len, p->tw, p->nocase, pr);
        } else {
            uint8_t v[2];
            size_t nv = mg_scan_case_variants(s->bytes[off], p->nocase, v);
            for (size_t x = 0; x < nv; x++)
                s->single[v[x]] = 1;
            s->has_single = true;
        }
        off += p->len;
        if (p->len > s->max_len)
            s->max_len = p->len;
    }
    if (!build_anchors(s, errbuf, errlen)) {
        mg_scanner_free(s);
        return NULL;
    }
    return s;
}

