/* Scanner runtime: implementation choice, verification of candidates, block
 * and streaming scans. Compilation is in scanner_build.c, the scanning loops
 * in scanner_scalar.c, scanner_sse42.c, scanner_avx2.c, scanner_avx512.c. */
#include "scan/scanner_int.h"

#include <stdlib.h>
#include <string.h>

struct mg_scan_stream {
    const struct mg_scanner *s;
    mg_match_fn cb;
    void *ud;
    uint64_t offset;              /* bytes fed so far */
    size_t tail_len;
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
        if (i < p->k)
            continue;
        size_t start = i - p->k, end = start + p->len;
        if (end > len || end <= c->min_end || start >= c->max_start)
            continue;
        const uint8_t *pb = s->bytes + p->off, *b = buf + start;
        size_t j = 0;
        if (p->nocase) {
            while (j < p->len && mg_scan_fold[b[j]] == pb[j])
                j++;
        } else {
            while (j < p->len && b[j] == pb[j])
                j++;
        }
        if (j == p->len) {
            int rc = c->cb(p->id, c->base + end, c->ud);
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

/* Scans the seam (tail of earlier chunks + head of this one) for matches that
 * start in the tail and end in the new chunk, then the chunk on its own, then
 * keeps the last max_len - 1 bytes as the new tail. */
int mg_scan_feed(struct mg_scan_stream *st, const uint8_t *buf, size_t len)
{
    if (st->stopped)
        return st->stopped;
    if (len == 0)
        return 0;
    const struct mg_scanner *s = st->s;
    size_t m = s->max_len > 0 ? s->max_len - 1 : 0;
    int rc = 0;
    if (st->tail_len > 0) {
        size_t h = len < m ? len : m;
        memcpy(st->seam, st->tail, st->tail_len);
        memcpy(st->seam + st->tail_len, buf, h);
        struct mg_scan_ctx c = { .s = s, .cb = st->cb, .ud = st->ud,
                                 .base = st->offset - st->tail_len,
                                 .min_end = st->tail_len, .max_start = st->tail_len };
        rc = s->core(&c, st->seam, st->tail_len + h);
    }
    if (rc == 0) {
        struct mg_scan_ctx c = { .s = s, .cb = st->cb, .ud = st->ud, .base = st->offset,
                                 .min_end = 0, .max_start = len };
        rc = s->core(&c, buf, len);
    }
    if (len >= m) {
        memcpy(st->tail, buf + len - m, m);
        st->tail_len = m;
    } else {
        size_t keep = st->tail_len < m - len ? st->tail_len : m - len;
        memmove(st->tail, st->tail + st->tail_len - keep, keep);
        memcpy(st->tail + keep, buf, len);
        st->tail_len = keep + len;
    }
    st->offset += len;
    st->stopped = rc;
    return rc;
}

void mg_scan_stream_free(struct mg_scan_stream *st)
{
    free(st);
}
