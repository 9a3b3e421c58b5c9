/* Scanner runtime: implementation choice, verification of candidates, block
 * and streaming scans. Compilation is in scanner_build.c, the scanning loops
 * in scanner_scalar.c, scanner_sse42.c, scanner_avx2.c, scanner_avx512.c. */
#include "scan/scanner_int.h"

#include <stdlib.h>
#include <string.h>

/* The seam's candidate mask (tail_cand) has a bit per tail position. */
_Static_assert(MG_PATTERN_MAX_LEN - 1 <= 64, "tail longer than a 64-bit mask");

struct mg_scan_stream {
    const struct mg_scanner *s;
    mg_match_fn cb;
    void *ud;
    uint64_t offset;              /* bytes fed so far */
    size_t tail_len;
    uint64_t tail_cand;           /* bit q: an anchor may start at tail[q] */
    int stopped;
    uint8_t tail[MG_PATTERN_MAX_LEN];
    uint8_t seam[2 * MG_PATTERN_MAX_LEN];
};

bool mg_scanner_impl_supported(enum mg_scan_impl impl)
{
    switch (impl) {
    case MG_SCAN_AUTO:
    case MG_SCAN_SCALAR:
        return true;
#if defined(__x86_64__) || defined(__i386__)
    case MG_SCAN_SSE42:
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3");
    case MG_SCAN_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case MG_SCAN_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f");
    case MG_SCAN_VBMI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f")
               && __builtin_cpu_supports("avx512vbmi");
#else
    case MG_SCAN_VBMI:
    case MG_SCAN_SSE42:
    case MG_SCAN_AVX2:
    case MG_SCAN_AVX512:
        return false;
#endif
    }
    return false;
}

enum mg_scan_impl mg_scan_resolve_impl(enum mg_scan_impl want)
{
    if (want != MG_SCAN_AUTO)
        return want;
    const char *env = getenv("MUGAI_SCANNER_IMPL");
    if (env && strcmp(env, "scalar") == 0)
        return MG_SCAN_SCALAR;
    if (env && strcmp(env, "sse42") == 0)
        return MG_SCAN_SSE42;
    if (env && strcmp(env, "avx2") == 0)
        return MG_SCAN_AVX2;
    if (env && strcmp(env, "avx512") == 0)
        return MG_SCAN_AVX512;
    if (env && strcmp(env, "avx512vbmi") == 0)
        return MG_SCAN_VBMI;
    if (mg_scanner_impl_supported(MG_SCAN_VBMI))
        return MG_SCAN_VBMI;
    if (mg_scanner_impl_supported(MG_SCAN_AVX512))
        return MG_SCAN_AVX512;
    if (mg_scanner_impl_supported(MG_SCAN_AVX2))
        return MG_SCAN_AVX2;
    if (mg_scanner_impl_supported(MG_SCAN_SSE42))
        return MG_SCAN_SSE42;
    return MG_SCAN_SCALAR;
}

static const char *impl_str(enum mg_scan_impl impl)
{
    switch (impl) {
    case MG_SCAN_VBMI: return "avx512vbmi";
    case MG_SCAN_AVX512: return "avx512";
    case MG_SCAN_AVX2: return "avx2";
    case MG_SCAN_SSE42: return "sse42";
    default: return "scalar";
    }
}

const char *mg_scanner_impl_name(void)
{
    enum mg_scan_impl impl = mg_scan_resolve_impl(MG_SCAN_AUTO);
    return mg_scanner_impl_supported(impl) ? impl_str(impl) : "unsupported";
}

const char *mg_scanner_name(const struct mg_scanner *s)
{
    return impl_str(s->impl);
}

size_t mg_scanner_max_len(const struct mg_scanner *s)
{
    return s->max_len;
}

void mg_scanner_free(struct mg_scanner *s)
{
    if (!s)
        return;
    free(s->pats);
    free(s->bytes);
    free(s->entries);
    free(s->slots);
    free(s);
}

static int verify_list(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len, size_t i,
                       uint64_t key)
{
    const struct mg_scanner *s = c->s;
    uint32_t h = mg_scan_slot_hash(key, s->slot_mask);
    while (s->slots[h].key != key) {
        if (s->slots[h].key == UINT64_MAX)
            return 0;                 /* a hash-bitmap false positive */
        h = (h + 1) & s->slot_mask;
    }
    const struct mg_anchor_slot *sl = &s->slots[h];
    for (uint32_t e = 0; e < sl->count; e++) {
        const struct mg_spat *p = &s->pats[s->entries[sl->start + e]];
        const uint8_t *b;
        uint64_t abs_end;
        if (i >= p->k) {
            size_t start = i - p->k, end = start + p->len;
            if (end > len || end <= c->min_end || start >= c->max_start)
                continue;
            b = buf + start;
            abs_end = c->base + end;
        } else {
            /* Starts before buf: only a stream's chunk scan, in its seam. */
            if (c->pre_len + i < p->k)
                continue;
            size_t ps = c->pre_len + i - p->k, pe = ps + p->len;
            if (pe > c->pre_avail)
                continue;
            b = c->pre + ps;
            abs_end = c->base - c->pre_len + pe;
        }
        const uint8_t *pb = s->bytes + p->off;
        size_t j = 0;
        if (p->nocase) {
            while (j < p->len && mg_scan_fold[b[j]] == pb[j])
                j++;
        } else {
            while (j < p->len && b[j] == pb[j])
                j++;
        }
        if (j == p->len) {
            int rc = c->cb(p->id, abs_end, c->ud);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int mg_scan_verify_pair(const struct mg_scan_ctx *c, const uint8_t *buf, size_t len, size_t i)
{
    const struct mg_scanner *s = c->s;
    uint32_t f = 0;
    size_t avail = len - i < 4 ? len - i : 4;
    if (avail == 4) {
        uint32_t x;
        memcpy(&x, buf + i, 4);
        f = mg_scan_fold4(x);     /* little-endian: byte j in bits 8j */
    } else {
        for (size_t j = 0; j < avail; j++)
            f |= (uint32_t)mg_scan_fold[buf[i + j]] << (8 * j);
    }
    for (size_t w = 4; w >= 2; w--) {
        if (!s->has_w[w - 2] || w > avail)
            continue;
        uint32_t v = w == 4 ? f : f & ((1u << (8 * w)) - 1);
        uint32_t h = mg_scan_hash16(v);
        if ((s->wbm[w - 2][h >> 5] >> (h & 31)) & 1u) {
            int rc = verify_list(c, buf, len, i, (uint64_t)w << 32 | v);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int mg_scanner_block(const struct mg_scanner *s, const uint8_t *buf, size_t len,
                     mg_match_fn cb, void *ud)
{
    struct mg_scan_ctx c = { .s = s, .cb = cb, .ud = ud, .base = 0, .min_end = 0, .max_start = len };
    return s->core(&c, buf, len);
}

struct mg_scan_stream *mg_scan_stream_new(const struct mg_scanner *s, mg_match_fn cb, void *ud)
{
    struct mg_scan_stream *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->s = s;
    st->cb = cb;
    st->ud = ud;
    return st;
}

uint64_t mg_scan_stream_offset(const struct mg_scan_stream *st)
{
    return st->offset;
}

/* A match that spans the boundary between the tail (the last max_len - 1
 * bytes fed before) and this chunk either has its anchor in the tail or in
 * the chunk. Tail anchors: the previous chunk's scan already filtered those
 * positions and left the candidates in tail_cand (all ones if its core does
 * not say), so the seam only checks them, with no SIMD pass over it. Chunk
 * anchors: the chunk's own scan verifies a match starting before the chunk
 * in the seam buffer (ctx.pre). Each match is found once: by where its
 * anchor lies. */
int mg_scan_feed(struct mg_scan_stream *st, const uint8_t *buf, size_t len)
{
    if (st->stopped)
        return st->stopped;
    if (len == 0)
        return 0;
    const struct mg_scanner *s = st->s;
    size_t m = s->max_len > 0 ? s->max_len - 1 : 0;
    int rc = 0;
    struct mg_scan_ctx c = { .s = s, .cb = st->cb, .ud = st->ud, .base = st->offset,
                             .min_end = 0, .max_start = len };
    uint64_t tail_cand = ~(uint64_t)0;
    if (st->tail_len > 0) {
        size_t h = len < m ? len : m;
        memcpy(st->seam, st->tail, st->tail_len);
        memcpy(st->seam + st->tail_len, buf, h);
        struct mg_scan_ctx sc = { .s = s, .cb = st->cb, .ud = st->ud,
                                  .base = st->offset - st->tail_len,
                                  .min_end = st->tail_len, .max_start = st->tail_len };
        uint64_t cand = st->tail_cand;
        if (st->tail_len < 64)
            cand &= ((uint64_t)1 << st->tail_len) - 1;
        rc = mg_scan_candidates(&sc, st->seam, st->tail_len + h, 0, cand);
        c.pre = st->seam;
        c.pre_len = st->tail_len;
        c.pre_avail = st->tail_len + h;
    }
    if (rc == 0) {
        c.tail_cand = &tail_cand;
        rc = s->core(&c, buf, len);
    }
    if (len >= m) {
        memcpy(st->tail, buf + len - m, m);
        st->tail_len = m;
        /* bit q: tail position q = buf position len - m + q */
        st->tail_cand = len >= 64 && m > 0 ? tail_cand >> (64 - m) : ~(uint64_t)0;
    } else {
        size_t keep = st->tail_len < m - len ? st->tail_len : m - len;
        memmove(st->tail, st->tail + st->tail_len - keep, keep);
        memcpy(st->tail + keep, buf, len);
        st->tail_len = keep + len;
        st->tail_cand = ~(uint64_t)0;
    }
    st->offset += len;
    st->stopped = rc;
    return rc;
}

void mg_scan_stream_free(struct mg_scan_stream *st)
{
    free(st);
}
