/* Multi-pattern literal scanner: compile once, share read-only, scan in one
 * pass. Streaming state carries across chunk boundaries, so a pattern split
 * between two feeds still matches. Matches are reported with the pattern id
 * and the absolute offset one past the match's last byte. */
#ifndef MG_SCAN_SCANNER_H
#define MG_SCAN_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_pattern {
    const uint8_t *bytes;
    size_t len;        /* 1..MG_PATTERN_MAX_LEN */
    bool nocase;       /* ASCII case-insensitive */
    uint32_t id;
};

#define MG_PATTERN_MAX_LEN 64

struct mg_scanner;
struct mg_scan_stream;

/* Returns non-zero to stop scanning; that value is returned by feed/block. */
typedef int (*mg_match_fn)(uint32_t id, uint64_t end, void *ud);

struct mg_scanner *mg_scanner_compile(const struct mg_pattern *pats, size_t n,
                                      char *errbuf, size_t errlen);
void mg_scanner_free(struct mg_scanner *s);

int mg_scanner_block(const struct mg_scanner *s, const uint8_t *buf, size_t len,
                     mg_match_fn cb, void *ud);

struct mg_scan_stream *mg_scan_stream_new(const struct mg_scanner *s, mg_match_fn cb, void *ud);
int mg_scan_feed(struct mg_scan_stream *st, const uint8_t *buf, size_t len);
void mg_scan_stream_free(struct mg_scan_stream *st);

/* The implementation that runs (for `mugai version` and benchmarks):
 * "avx512vbmi" (AVX-512 VBMI), "avx512" (AVX-512BW), "avx2", "sse42" or
 * "scalar", the best the CPU supports unless
 * MUGAI_SCANNER_IMPL=scalar|sse42|avx2|avx512|avx512vbmi forces one. */
const char *mg_scanner_impl_name(void);

/* Extensions (tests, benchmarks). Matches are reported exactly once per
 * (pattern, end offset); the order within one feed or block call is not
 * sorted by offset. After a callback stops a stream, further feeds return
 * the same value without scanning. */
enum mg_scan_impl { MG_SCAN_AUTO = 0, MG_SCAN_SCALAR, MG_SCAN_SSE42, MG_SCAN_AVX2, MG_SCAN_AVX512,
                    MG_SCAN_VBMI };
bool mg_scanner_impl_supported(enum mg_scan_impl impl);
/* Like mg_scanner_compile but with a fixed implementation (AUTO = as above);
 * NULL with a message if the CPU lacks it. */
struct mg_scanner *mg_scanner_compile_impl(const struct mg_pattern *pats, size_t n,
                                           enum mg_scan_impl impl,
                                           char *errbuf, size_t errlen);
const char *mg_scanner_name(const struct mg_scanner *s);
size_t mg_scanner_max_len(const struct mg_scanner *s);
/* Total bytes fed to a stream so far (the next byte's absolute offset). */
uint64_t mg_scan_stream_offset(const struct mg_scan_stream *st);

#endif
