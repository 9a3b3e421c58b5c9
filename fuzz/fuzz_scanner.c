/* Fuzz harness: the scanner (every implementation the CPU has, block and
 * streamed in chunks the input chooses) must report exactly what the naive
 * reference reports. Input layout: byte 0 = pattern count (1..16), byte 1 =
 * chunk size seed, then per pattern one header byte (bits 0-3: length - 1,
 * bit 7: nocase) and its bytes; the rest is the data (at most 4 KiB). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scanner.h"
#include "scan/scanner_ref.h"

struct rec {
    uint64_t v[512];
    size_t n;
    bool overflow;
};

static int collect(uint32_t id, uint64_t end, void *ud)
{
    struct rec *r = ud;
    if (r->n == 512) {
        r->overflow = true;
        return 1;
    }
    r->v[r->n++] = end << 8 | id;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void same(struct rec *a, struct rec *b)
{
    qsort(a->v, a->n, sizeof a->v[0], cmp_u64);
    qsort(b->v, b->n, sizeof b->v[0], cmp_u64);
    if (a->n != b->n || memcmp(a->v, b->v, a->n * sizeof a->v[0]) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t np = 1 + data[0] % 16, chunk_seed = data[1], o = 2;
    struct mg_pattern pats[16];
    size_t n = 0;
    while (n < np && o < size) {
        size_t len = 1 + (data[o] & 15);
        bool nocase = data[o] & 0x80;
        o++;
        if (size - o < len)
            break;
        pats[n] = (struct mg_pattern){ data + o, len, nocase, (uint32_t)n };
        n++;
        o += len;
    }
    const uint8_t *buf = data + o;
    size_t len = size - o > 4096 ? 4096 : size - o;
    struct rec *ref = calloc(1, sizeof *ref), *got = calloc(1, sizeof *got);
    if (!ref || !got)
        abort();
    mg_scanner_ref_block(pats, n, buf, len, collect, ref);
    if (ref->overflow)
        goto out;   /* too many matches to compare cheaply: uninteresting */
    static const enum mg_scan_impl impls[] = { MG_SCAN_SCALAR, MG_SCAN_SSE42, MG_SCAN_AVX2, MG_SCAN_AVX512, MG_SCAN_VBMI };
#define NIMPL (sizeof impls / sizeof impls[0])
    for (size_t k = 0; k < NIMPL; k++) {
        if (!mg_scanner_impl_supported(impls[k]))
            continue;
        struct mg_scanner *s = mg_scanner_compile_impl(pats, n, impls[k], NULL, 0);
        if (!s)
            abort();
        memset(got, 0, sizeof *got);
        mg_scanner_block(s, buf, len, collect, got);
        same(ref, got);
        memset(got, 0, sizeof *got);
        struct mg_scan_stream *st = mg_scan_stream_new(s, collect, got);
        if (!st)
            abort();
        size_t chunk = 1 + chunk_seed % 67, at = 0;
        while (at < len) {
            size_t c = len - at < chunk ? len - at : chunk;
            mg_scan_feed(st, buf + at, c);
            at += c;
            chunk = 1 + (chunk * 7 + 3) % 67;
        }
        same(ref, got);
        mg_scan_stream_free(st);
        mg_scanner_free(s);
    }
out:
    free(ref);
    free(got);
    return 0;
}
