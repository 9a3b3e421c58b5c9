/* Bucket packing for the AVX-512 VBMI filter (scanner_vbmi.c): the first
 * MG_VBMI_W bytes of every anchor, as sets of 7-bit table indexes
 * (mg_scan_vbmi_index; "classes" below), packed into 16 buckets so that the
 * modelled chance of a false candidate stays low. Same greedy-then-move
 * scheme as the nibble packing in scanner_build.c, with exact index sets
 * instead of nibble pairs. */
#include "scan/scanner_int.h"

#include <stdlib.h>
#include <string.h>

enum { NB = 16 };

struct cset {
    uint64_t w[MG_VBMI_W][2];   /* classes 0..127 per anchor byte */
};

static double cset_cost(const struct cset *m, const double pc[128])
{
    double c = 1;
    for (unsigned j = 0; j < MG_VBMI_W; j++) {
        if (m->w[j][0] == UINT64_MAX && m->w[j][1] == UINT64_MAX)
            continue;
        double s = 0;
        for (unsigned h = 0; h < 2; h++)
            for (uint64_t x = m->w[j][h]; x; x &= x - 1)
                s += pc[64 * h + (unsigned)__builtin_ctzll(x)];
        c *= s;
    }
    return c;
}

static void cset_or(struct cset *d, const struct cset *a)
{
    for (unsigned j = 0; j < MG_VBMI_W; j++)
        for (unsigned h = 0; h < 2; h++)
            d->w[j][h] |= a->w[j][h];
}

static void anchor_classes(const struct mg_scanner *s, const struct mg_spat *p, struct cset *o)
{
    memset(o, 0, sizeof *o);
    for (unsigned j = 0; j < MG_VBMI_W; j++) {
        if (j >= p->tw) {
            o->w[j][0] = o->w[j][1] = UINT64_MAX;
            continue;
        }
        uint8_t v[2];
        size_t nv = mg_scan_case_variants(s->bytes[p->off + p->k + j], p->nocase, v);
        for (size_t x = 0; x < nv; x++) {
            uint8_t c = mg_scan_vbmi_index(v[x]);
            o->w[j][c >> 6] |= 1ull << (c & 63);
        }
    }
}

struct item {
    double self;
    struct cset set;
};

static int cmp_item(const void *a, const void *b)
{
    double x = ((const struct item *)a)->self, y = ((const struct item *)b)->self;
    return x > y ? -1 : x < y;
}

bool mg_scan_build_vbmi(struct mg_scanner *s)
{
    double pr[256], pc[128] = { 0 };
    mg_scan_byte_mix(pr);
    for (unsigned b = 0; b < 256; b++)
        pc[mg_scan_vbmi_index((uint8_t)b)] += pr[b];
    size_t n = 0;
    struct item *it = calloc(s->npats + 1, sizeof *it);
    uint8_t *bucket = calloc(s->npats + 1, 1);
    if (!it || !bucket) {
        free(it);
        free(bucket);
        return false;
    }
    for (size_t i = 0; i < s->npats; i++)
        if (s->pats[i].w != 0) {
            anchor_classes(s, &s->pats[i], &it[n].set);
            it[n].self = cset_cost(&it[n].set, pc);
            n++;
        }
    /* Loosest first: each takes a bucket of its own instead of widening others. */
    qsort(it, n, sizeof *it, cmp_item);
    struct cset bm[NB];
    double cost[NB] = { 0 };
    memset(bm, 0, sizeof bm);
    for (int round = 0; round < 4; round++) {
        bool moved = false;
        for (size_t i = 0; i < n; i++) {
            unsigned from = bucket[i];
            if (round > 0) {              /* take it out of its bucket first */
                memset(&bm[from], 0, sizeof bm[from]);
                for (size_t k = 0; k < n; k++)
                    if (k != i && bucket[k] == from)
                        cset_or(&bm[from], &it[k].set);
                cost[from] = cset_cost(&bm[from], pc);
            }
            unsigned best = 0;
            double best_delta = 1e300, best_cost = 0;
            for (unsigned b = 0; b < NB; b++) {
                struct cset m = bm[b];
                cset_or(&m, &it[i].set);
                double nc = cset_cost(&m, pc), d = nc - cost[b];
                if (d < best_delta - 1e-15 || (b == from && d <= best_delta + 1e-15)) {
                    best_delta = d;
                    best = b;
                    best_cost = nc;
                }
            }
            cset_or(&bm[best], &it[i].set);
            cost[best] = best_cost;
            moved |= round > 0 && best != from;
            bucket[i] = (uint8_t)best;
        }
        if (round > 0 && !moved)
            break;
    }
    for (unsigned b = 0; b < NB; b++)
        for (unsigned j = 0; j < MG_VBMI_W; j++)
            for (unsigned c = 0; c < 128; c++)
                if (bm[b].w[j][c >> 6] >> (c & 63) & 1)
                    s->cls[b >> 3][j][c] |= (uint8_t)(1u << (b & 7));
    free(it);
    free(bucket);
    return true;
}
