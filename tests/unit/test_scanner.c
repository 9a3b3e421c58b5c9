/* Unit tests for the multi-pattern scanner: every implementation the CPU has
 * against the naive reference, block and streamed, on random data with planted
 * patterns and on every chunk split of small fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scan/scanner.h"
#include "scan/scanner_ref.h"

struct hit {
    uint64_t end;
    uint32_t id;
};

struct hits {
    struct hit *v;
    size_t n, cap;
    size_t stop_after;   /* 0 = never stop */
};

static int collect(uint32_t id, uint64_t end, void *ud)
{
    struct hits *h = ud;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        assert_non_null(h->v);
    }
    h->v[h->n++] = (struct hit){ end, id };
    if (h->stop_after && h->n >= h->stop_after)
        return 7;
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void hits_sort(struct hits *h)
{
    if (h->n)
        qsort(h->v, h->n, sizeof *h->v, cmp_hit);
}

static void assert_same(struct hits *a, struct hits *b)
{
    hits_sort(a);
    hits_sort(b);
    if (a->n != b->n)
        fprintf(stderr, "hit count %zu != %zu\n", a->n, b->n);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->v[i].end, b->v[i].end);
        assert_int_equal(a->v[i].id, b->v[i].id);
    }
}

static void hits_free(struct hits *h)
{
    free(h->v);
    memset(h, 0, sizeof *h);
}

static const enum mg_scan_impl impls[] = { MG_SCAN_SCALAR, MG_SCAN_SSE42, MG_SCAN_AVX2, MG_SCAN_AVX512, MG_SCAN_VBMI };
#define NIMPL (sizeof impls / sizeof impls[0])

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Scans buf with every implementation, block and in chunks of chunk bytes
 * (0 = random chunk sizes), and compares with the reference. */
static void check_all(const struct mg_pattern *p, size_t n, const uint8_t *buf, size_t len, size_t chunk)
{
    struct hits ref = { 0 };
    assert_int_equal(mg_scanner_ref_block(p, n, buf, len, collect, &ref), 0);
    for (size_t k = 0; k < NIMPL; k++) {
        if (!mg_scanner_impl_supported(impls[k])) {
            fprintf(stderr, "# skipping unsupported impl %d\n", (int)impls[k]);
            continue;
        }
        char err[128];
        struct mg_scanner *s = mg_scanner_compile_impl(p, n, impls[k], err, sizeof err);
        assert_non_null(s);
        struct hits got = { 0 };
        assert_int_equal(mg_scanner_block(s, buf, len, collect, &got), 0);
        assert_same(&ref, &got);
        hits_free(&got);

        struct mg_scan_stream *st = mg_scan_stream_new(s, collect, &got);
        assert_non_null(st);
        size_t off = 0;
        while (off < len) {
            size_t c = chunk ? chunk : 1 + rnd() % 97;
            if (c > len - off)
                c = len - off;
            assert_int_equal(mg_scan_feed(st, buf + off, c), 0);
            off += c;
        }
        assert_int_equal(mg_scan_stream_offset(st), len);
        assert_same(&ref, &got);
        hits_free(&got);
        mg_scan_stream_free(st);
        mg_scanner_free(s);
    }
    hits_free(&ref);
}

#define PAT(str, nc, i) { (const uint8_t *)(str), sizeof(str) - 1, nc, i }

static void test_basic_and_case(void **state)
{
    (void)state;
    const struct mg_pattern p[] = {
        PAT("javascript", true, 1), PAT("MZ", false, 2), PAT("/JS", true, 3),
        PAT("AutoOpen", true, 4), PAT("ExactCase", false, 5),
    };
    const char *text = "JaVaScRiPt: mz MZ /js exactcase ExactCase AUTOOPEN";
    struct hits h = { 0 };
    char err[128];
    struct mg_scanner *s = mg_scanner_compile(p, 5, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(mg_scanner_block(s, (const uint8_t *)text, strlen(text), collect, &h), 0);
    hits_sort(&h);
    /* javascript@10, MZ@17, /js@21, ExactCase@41, AUTOOPEN@50 */
    const struct hit want[] = { { 10, 1 }, { 17, 2 }, { 21, 3 }, { 41, 5 }, { 50, 4 } };
    assert_int_equal(h.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(h.v[i].end, want[i].end);
        assert_int_equal(h.v[i].id, want[i].id);
    }
    hits_free(&h);
    mg_scanner_free(s);
    check_all(p, 5, (const uint8_t *)text, strlen(text), 0);
}

static void test_overlap_edges(void **state)
{
    (void)state;
    const struct mg_pattern p[] = {
        PAT("aa", false, 1), PAT("aaa", false, 2), PAT("a", false, 3), PAT("AB", true, 4),
        PAT("b", true, 5), PAT("aaaab", false, 6),
    };
    const char *t = "aaaab";   /* patterns at offset 0 and at the very end */
    for (size_t chunk = 0; chunk <= 5; chunk++)
        check_all(p, 6, (const uint8_t *)t, 5, chunk);
    struct hits h = { 0 };
    assert_int_equal(mg_scanner_ref_block(p, 6, (const uint8_t *)t, 5, collect, &h), 0);
    /* a x4, aa x3, aaa x2, ab, b, aaaab */
    assert_int_equal(h.n, 4 + 3 + 2 + 1 + 1 + 1);
    hits_free(&h);
}

/* Every two-chunk split and every fixed chunk size of a small fixture. */
static void test_every_split(void **state)
{
    (void)state;
    const struct mg_pattern p[] = {
        PAT("/JavaScript", true, 1), PAT("/J#61vaScript", true, 2), PAT("\\objdata", true, 3),
        PAT("MZ", false, 4), PAT("PE\0\0", false, 5), PAT("Attribute VB_", true, 6),
        PAT("<script", true, 7), PAT("ipt", true, 8),
    };
    const char fx[] = "xx/javascript\\OBJDATA MZ..PE\0\0 Attribute vb_Name <SCRIPT>/J#61VASCRIPT";
    size_t len = sizeof fx - 1;
    for (size_t chunk = 1; chunk <= len; chunk++)
        check_all(p, 8, (const uint8_t *)fx, len, chunk);
    struct hits ref = { 0 };
    mg_scanner_ref_block(p, 8, (const uint8_t *)fx, len, collect, &ref);
    assert_true(ref.n >= 8);
    for (size_t k = 0; k < NIMPL; k++) {
        if (!mg_scanner_impl_supported(impls[k]))
            continue;
        struct mg_scanner *s = mg_scanner_compile_impl(p, 8, impls[k], NULL, 0);
        assert_non_null(s);
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b += 3) {
                struct hits got = { 0 };
                struct mg_scan_stream *st = mg_scan_stream_new(s, collect, &got);
                assert_int_equal(mg_scan_feed(st, (const uint8_t *)fx, a), 0);
                assert_int_equal(mg_scan_feed(st, (const uint8_t *)fx + a, b - a), 0);
                assert_int_equal(mg_scan_feed(st, (const uint8_t *)fx + b, len - b), 0);
                assert_same(&ref, &got);
                hits_free(&got);
                mg_scan_stream_free(st);
            }
        }
        mg_scanner_free(s);
    }
    hits_free(&ref);
}

/* Hundreds of random patterns over a small alphabet, planted in random data. */
static void test_random_planted(void **state)
{
    (void)state;
    enum { NP = 400, LEN = 200000 };
    static const char alpha[] = "abcXYZ/_#\\\0\x7f\xe3 .";
    struct mg_pattern *p = calloc(NP, sizeof *p);
    uint8_t *store = calloc(NP, MG_PATTERN_MAX_LEN);
    uint8_t *buf = malloc(LEN);
    assert_non_null(p);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < NP; i++) {
            size_t l = 1 + rnd() % (round == 2 ? MG_PATTERN_MAX_LEN : 12);
            if (round == 0 && l < 2)
                l = 2;
            uint8_t *b = store + i * MG_PATTERN_MAX_LEN;
            for (size_t j = 0; j < l; j++)
                b[j] = round == 1 ? (uint8_t)alpha[rnd() % (sizeof alpha - 1)] : (uint8_t)rnd();
            if (round == 0)
                for (size_t j = 0; j < l; j++)
                    b[j] = (uint8_t)alpha[rnd() % (sizeof alpha - 1)];
            p[i] = (struct mg_pattern){ b, l, (rnd() & 1) != 0, (uint32_t)i };
        }
        for (size_t i = 0; i < LEN; i++)
            buf[i] = round == 2 ? (uint8_t)rnd() : (uint8_t)alpha[rnd() % (sizeof alpha - 1)];
        for (int k = 0; k < 300; k++) {   /* plant, with random case for nocase ones */
            const struct mg_pattern *q = &p[rnd() % NP];
            size_t at = rnd() % (LEN - q->len);
            for (size_t j = 0; j < q->len; j++) {
                uint8_t c = q->bytes[j];
                if (q->nocase && (rnd() & 1) && c >= 'a' && c <= 'z')
                    c = (uint8_t)(c - 32);
                buf[at + j] = c;
            }
        }
        size_t len = round == 2 ? LEN : LEN / 10;   /* the reference is slow */
        check_all(p, NP, buf, len, 0);
        check_all(p, NP, buf, len, 4096);
    }
    free(buf);
    free(store);
    free(p);
}

/* The VBMI core filters 4 KiB (64 blocks of 64 positions) before it handles
 * any candidate and reads the last block or two (those without 68 bytes
 * left) with masked loads: plant matches on every position around those
 * edges (and around the buffer's end), including patterns with zero bytes
 * that the zero-filled masked lanes resemble. */
static void test_block_edges(void **state)
{
    (void)state;
    const struct mg_pattern p[] = {
        PAT("Attribute VB_", true, 1), PAT("PE\0\0", false, 2), PAT("ab", true, 3),
        PAT("javascript:", true, 4), PAT("\0\0x", false, 5),
    };
    enum { N = 8192 + 200 };
    uint8_t *buf = malloc(N);
    assert_non_null(buf);
    static const size_t edges[] = { 64, 4096, 4160, 8192 };
    for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
        for (int d = -14; d <= 14; d += 1) {
            for (size_t len = edges[e] + 2; len <= edges[e] + 70 && len <= N; len += 17) {
                memset(buf, 'q', N);
                size_t at = (size_t)((long)edges[e] + d);
                const struct mg_pattern *pp = &p[(size_t)(d + 14) % 5];
                if (at + pp->len <= len)
                    memcpy(buf + at, pp->bytes, pp->len);
                check_all(p, 5, buf, len, 0);
                check_all(p, 5, buf, len, 4096);
            }
        }
    }
    free(buf);
}

/* Matches cut by a chunk boundary at every offset inside them. The stream
 * finds a match whose anchor lies in the previous chunk from that chunk's
 * candidate mask (tail_cand) and one whose anchor lies in the new chunk in
 * the seam: patterns of every length up to the maximum, cut everywhere. */
static void test_seam_every_offset(void **state)
{
    (void)state;
    enum { NP = 5, CH = 4096 };
    static const size_t plen[NP] = { 2, 5, 13, 40, MG_PATTERN_MAX_LEN };
    uint8_t pb[NP][MG_PATTERN_MAX_LEN];
    struct mg_pattern p[NP];
    for (size_t i = 0; i < NP; i++) {
        for (size_t j = 0; j < plen[i]; j++)
            pb[i][j] = (uint8_t)"Qz#JvX\\x07"[(i * 7 + j * 3 + j / 5) % 9];
        p[i] = (struct mg_pattern){ pb[i], plen[i], i % 2 == 1, (uint32_t)i + 1 };
    }
    size_t len = (NP + 1) * CH;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    for (size_t d = 1; d < MG_PATTERN_MAX_LEN; d++) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)"abcdefgh \n"[rnd() % 10];
        for (size_t i = 0; i < NP; i++) {   /* pattern i cut d % len bytes into it */
            size_t cut = 1 + (d - 1) % (plen[i] - 1);
            memcpy(buf + (i + 1) * CH - cut, pb[i], plen[i]);
        }
        check_all(p, NP, buf, len, CH);
        if (d % 8 == 0)
            check_all(p, NP, buf, len, 0);
    }
    free(buf);
}

/* Data that ends right before an inaccessible page: any load past the end
 * faults. Scanned whole (the core prefetches ahead in large buffers) and in
 * contiguous chunks (the stream's readahead hint then points past the end
 * of the last chunk): prefetches are hints and must not fault, loads must
 * stay inside. */
static void test_guard_page(void **state)
{
    (void)state;
    const struct mg_pattern p[] = { PAT("javascript:", true, 1), PAT("MZ", false, 2), PAT("ab", true, 3) };
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t n = 5 * pg;   /* 4 pages of data (> the core's prefetch threshold), 1 guard */
    uint8_t *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + 4 * pg, pg, PROT_NONE), 0);
    for (size_t len = 1; len <= 4 * pg; len = len < 200 ? len + 37 : len * 2 + 1) {
        if (len > 4 * pg)
            len = 4 * pg;
        uint8_t *buf = m + 4 * pg - len;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)"abMZ javascript:q"[rnd() % 17];
        check_all(p, 3, buf, len, 0);
        check_all(p, 3, buf, len, 4096);
        check_all(p, 3, buf, len, 1000);
        if (len == 4 * pg)
            break;
    }
    munmap(m, n);
}

static void test_stop(void **state)
{
    (void)state;
    const struct mg_pattern p[] = { PAT("ab", true, 1) };
    const char *t = "ab ab ab ab";
    for (size_t k = 0; k < NIMPL; k++) {
        if (!mg_scanner_impl_supported(impls[k]))
            continue;
        struct mg_scanner *s = mg_scanner_compile_impl(p, 1, impls[k], NULL, 0);
        struct hits h = { .stop_after = 2 };
        assert_int_equal(mg_scanner_block(s, (const uint8_t *)t, strlen(t), collect, &h), 7);
        assert_int_equal(h.n, 2);
        hits_free(&h);
        h.stop_after = 1;
        struct mg_scan_stream *st = mg_scan_stream_new(s, collect, &h);
        assert_int_equal(mg_scan_feed(st, (const uint8_t *)"xa", 2), 0);
        assert_int_equal(mg_scan_feed(st, (const uint8_t *)"b ab", 4), 7);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.v[0].end, 3);
        assert_int_equal(mg_scan_feed(st, (const uint8_t *)"ab", 2), 7);   /* stays stopped */
        assert_int_equal(h.n, 1);
        hits_free(&h);
        mg_scan_stream_free(st);
        mg_scanner_free(s);
    }
}

static void test_errors_and_dispatch(void **state)
{
    (void)state;
    char err[128] = "";
    uint8_t big[MG_PATTERN_MAX_LEN + 1] = { 0 };
    struct mg_pattern bad = { big, sizeof big, false, 1 };
    assert_null(mg_scanner_compile(&bad, 1, err, sizeof err));
    assert_true(strlen(err) > 0);
    bad.len = 0;
    assert_null(mg_scanner_compile(&bad, 1, err, sizeof err));
    struct mg_scanner *s = mg_scanner_compile(NULL, 0, err, sizeof err);
    assert_non_null(s);   /* an empty set is valid and matches nothing */
    struct hits h = { 0 };
    assert_int_equal(mg_scanner_block(s, (const uint8_t *)"abc", 3, collect, &h), 0);
    assert_int_equal(h.n, 0);
    mg_scanner_free(s);

    setenv("MUGAI_SCANNER_IMPL", "scalar", 1);
    assert_string_equal(mg_scanner_impl_name(), "scalar");
    const struct mg_pattern p[] = { PAT("ab", true, 1) };
    s = mg_scanner_compile(p, 1, err, sizeof err);
    assert_string_equal(mg_scanner_name(s), "scalar");
    mg_scanner_free(s);
    if (mg_scanner_impl_supported(MG_SCAN_AVX2)) {
        setenv("MUGAI_SCANNER_IMPL", "avx2", 1);
        s = mg_scanner_compile(p, 1, err, sizeof err);
        assert_string_equal(mg_scanner_name(s), "avx2");
        mg_scanner_free(s);
    }
    if (mg_scanner_impl_supported(MG_SCAN_AVX512)) {
        setenv("MUGAI_SCANNER_IMPL", "avx512", 1);
        s = mg_scanner_compile(p, 1, err, sizeof err);
        assert_string_equal(mg_scanner_name(s), "avx512");
        mg_scanner_free(s);
    }
    if (mg_scanner_impl_supported(MG_SCAN_VBMI)) {
        setenv("MUGAI_SCANNER_IMPL", "avx512vbmi", 1);
        s = mg_scanner_compile(p, 1, err, sizeof err);
        assert_string_equal(mg_scanner_name(s), "avx512vbmi");
        mg_scanner_free(s);
    } else {
        fprintf(stderr, "# AVX-512 VBMI not on this CPU: its core is not tested here\n");
    }
    unsetenv("MUGAI_SCANNER_IMPL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_case),
        cmocka_unit_test(test_overlap_edges),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_seam_every_offset),
        cmocka_unit_test(test_random_planted),
        cmocka_unit_test(test_block_edges),
        cmocka_unit_test(test_guard_page),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_errors_and_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
