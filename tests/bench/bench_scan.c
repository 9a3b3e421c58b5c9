/* bench-scan: throughput of the indicator scanner against memcpy/memchr (the
 * physical limit), Hyperscan and libclamav on the same patterns, and of the
 * base64 decoder against glib. Run with no arguments; the last line is
 * `ratio scanner/hyperscan: text=R base64=R random=R` (streamed 4 KiB).
 * Single thread; best of 3 runs for every figure except libclamav (1 run).
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other
 * jobs on a shared machine do not count against any engine; BENCH_CLOCK=wall
 * measures wall-clock time instead. BENCH_MIB overrides the 256 MiB per data
 * set (quick checks). */
#include <glib.h>
#include <gmime/gmime.h>
#include <hs/hs.h>
#include <clamav.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scan/decode.h"
#include "scan/indicators.h"
#include "scan/scanner.h"

static size_t data_len;
static volatile uint64_t sink_count;

static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

static double now(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Mixed English/Japanese prose (UTF-8) with line breaks, and now and then an
 * indicator-like word (a mail about macros, a URL) so that matches happen. */
static void gen_text(uint8_t *buf, size_t len)
{
    static const char *const en[] = {
        "the", "meeting", "schedule", "please", "find", "attached", "document", "report",
        "budget", "for", "next", "fiscal", "year", "and", "of", "to", "in", "we", "will",
        "review", "municipal", "office", "contract", "with", "vendor", "update", "system",
        "network", "security", "policy", "regards,", "thank", "you", "Tokyo", "Osaka",
        "information", "residents", "application", "form", "deadline", "is", "Monday.",
        "https://www.city.example.lg.jp/kurashi/index.html", "2026-11-23", "10:00",
    };
    static const char *const ja[] = {
        "お世話になっております。", "来週の会議資料を添付します。", "ご確認ください。",
        "よろしくお願いいたします。", "住民票", "申請書", "締め切りは", "月曜日です。",
        "市役所", "総務課", "情報政策課", "ネットワーク分離", "無害化", "予算", "議事録",
        "東京都", "大阪府", "令和八年度", "担当者", "電話番号", "（内線１２３４）",
    };
    static const char *const rare[] = {
        "the AutoOpen macro", "javascript:void(0)", "cmd /c dir", "CreateObject",
        "<script>", "powershell -enc",
    };
    size_t o = 0, col = 0;
    while (o < len) {
        const char *w;
        uint64_t r = rnd();
        if (r % 4096 == 0)
            w = rare[(r >> 12) % (sizeof rare / sizeof rare[0])];
        else if ((r >> 20) % 3 == 0)
            w = ja[(r >> 24) % (sizeof ja / sizeof ja[0])];
        else
            w = en[(r >> 24) % (sizeof en / sizeof en[0])];
        size_t wl = strlen(w);
        for (size_t i = 0; i < wl && o < len; i++)
            buf[o++] = (uint8_t)w[i];
        col += wl + 1;
        if (o < len)
            buf[o++] = col > 70 ? '\n' : ' ';
        if (col > 70)
            col = 0;
    }
}

static void gen_random(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t r = rnd();
        memcpy(buf + i, &r, 8);
        for (int k = 0; k < 8; k++)
            if (buf[i + k] == 0x01)   /* keep one byte value out for memchr */
                buf[i + k] = 0x02;
    }
}

/* MIME base64 (76 columns, CRLF) of random bytes. */
static void gen_base64(uint8_t *buf, size_t len)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, col = 0;
    while (o < len) {
        if (col == 76) {
            buf[o++] = '\r';
            if (o < len)
                buf[o++] = '\n';
            col = 0;
            continue;
        }
        uint64_t r = rnd();
        for (int k = 0; k < 8 && o < len && col < 76; k++, col++)
            buf[o++] = (uint8_t)a[(r >> (6 * k)) & 63];
    }
}

static double gbps(double secs)
{
    return (double)data_len / secs / 1e9;
}

static void row(const char *data, const char *what, double v)
{
    printf("%-8s %-34s %8.2f GB/s\n", data, what, v);
    fflush(stdout);
}

/* ---- our scanner ---- */
static int count_cb(uint32_t id, uint64_t end, void *ud)
{
    (void)id;
    (void)end;
    (*(uint64_t *)ud)++;
    return 0;
}

static double run_ours(const struct mg_scanner *s, const uint8_t *buf, size_t chunk, uint64_t *matches)
{
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t n = 0;
        double t0 = now();
        if (chunk == 0) {
            mg_scanner_block(s, buf, data_len, count_cb, &n);
        } else {
            struct mg_scan_stream *st = mg_scan_stream_new(s, count_cb, &n);
            for (size_t o = 0; o < data_len; o += chunk)
                mg_scan_feed(st, buf + o, data_len - o < chunk ? data_len - o : chunk);
            mg_scan_stream_free(st);
        }
        double t = now() - t0;
        if (t < best)
            best = t;
        *matches = n;
    }
    return gbps(best);
}

/* ---- Hyperscan ---- */
struct hs_engine {
    hs_database_t *block, *stream;
    hs_scratch_t *scratch;
};

static int hs_cb(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ud)
{
    (void)id;
    (void)from;
    (void)to;
    (void)flags;
    (*(uint64_t *)ud)++;
    return 0;
}

static bool hs_build(struct hs_engine *e, const struct mg_pattern *p, size_t n)
{
    const char **ex = calloc(n, sizeof *ex);
    unsigned *fl = calloc(n, sizeof *fl), *ids = calloc(n, sizeof *ids);
    size_t *lens = calloc(n, sizeof *lens);
    for (size_t i = 0; i < n; i++) {
        ex[i] = (const char *)p[i].bytes;
        fl[i] = p[i].nocase ? HS_FLAG_CASELESS : 0;
        ids[i] = p[i].id;
        lens[i] = p[i].len;
    }
    hs_compile_error_t *err = NULL;
    bool ok = hs_compile_lit_multi(ex, fl, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL, &e->block, &err) == HS_SUCCESS;
    if (ok)
        ok = hs_compile_lit_multi(ex, fl, ids, lens, (unsigned)n, HS_MODE_STREAM, NULL, &e->stream, &err) == HS_SUCCESS;
    if (!ok) {
        fprintf(stderr, "hyperscan: %s\n", err ? err->message : "?");
        hs_free_compile_error(err);
    } else {
        ok = hs_alloc_scratch(e->block, &e->scratch) == HS_SUCCESS
             && hs_alloc_scratch(e->stream, &e->scratch) == HS_SUCCESS;
    }
    free(ex);
    free(fl);
    free(ids);
    free(lens);
    return ok;
}

static double run_hs(struct hs_engine *e, const uint8_t *buf, size_t chunk, uint64_t *matches)
{
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t n = 0;
        double t0 = now();
        if (chunk == 0) {
            hs_scan(e->block, (const char *)buf, (unsigned)data_len, 0, e->scratch, hs_cb, &n);
        } else {
            hs_stream_t *st;
            hs_open_stream(e->stream, 0, &st);
            for (size_t o = 0; o < data_len; o += chunk)
                hs_scan_stream(st, (const char *)buf + o,
                               (unsigned)(data_len - o < chunk ? data_len - o : chunk), 0, e->scratch, hs_cb, &n);
            hs_close_stream(st, e->scratch, hs_cb, &n);
        }
        double t = now() - t0;
        if (t < best)
            best = t;
        *matches = n;
    }
    return gbps(best);
}

/* ---- libclamav: the same patterns as caseless (or exact) .ldb signatures ---- */
static struct cl_engine *clam_build(const struct mg_pattern *p, size_t n, char *dir)
{
    if (cl_init(CL_INIT_DEFAULT) != CL_SUCCESS)
        return NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/bench.ldb", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i].len < 2)
            continue;
        fprintf(f, "Bench.Ind.%zu;Engine:81-255,Target:0;0;", i);
        for (size_t j = 0; j < p[i].len; j++)
            fprintf(f, "%02x", p[i].bytes[j]);
        fprintf(f, "%s\n", p[i].nocase ? "::i" : "");
    }
    fclose(f);
    struct cl_engine *e = cl_engine_new();
    unsigned int sigs = 0;
    if (!e || cl_load(path, e, &sigs, CL_DB_STDOPT) != CL_SUCCESS) {
        fprintf(stderr, "libclamav: cannot load %s\n", path);
        return NULL;
    }
    cl_engine_set_num(e, CL_ENGINE_MAX_SCANSIZE, (2LL << 30) - 1);
    cl_engine_set_num(e, CL_ENGINE_MAX_FILESIZE, (2LL << 30) - 1);
    cl_engine_set_num(e, CL_ENGINE_MAX_SCANTIME, 3600000);
    if (cl_engine_compile(e) != CL_SUCCESS)
        return NULL;
    unlink(path);
    return e;
}

static double run_clam(struct cl_engine *e, const uint8_t *buf)
{
    struct cl_scan_options o = { 0 };
    o.general = CL_SCAN_GENERAL_ALLMATCHES;   /* like the others: do not stop at the first hit */
    const char *vir = NULL;
    unsigned long scanned = 0;
    cl_fmap_t *m = cl_fmap_open_memory(buf, data_len);
    double t0 = now();
    cl_scanmap_callback(m, "bench", &vir, &scanned, e, &o, NULL);
    double t = now() - t0;
    cl_fmap_close(m);
    return gbps(t);
}

/* ---- base64 decoders ---- */
static double run_b64_glib(const uint8_t *in, uint8_t *out, size_t chunk)
{
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        gint state = 0;
        guint save = 0;
        size_t o = 0;
        double t0 = now();
        for (size_t i = 0; i < data_len; i += chunk)
            o += g_base64_decode_step((const gchar *)in + i, data_len - i < chunk ? data_len - i : chunk,
                                      out + o, &state, &save);
        double t = now() - t0;
        sink_count += o;
        if (t < best)
            best = t;
    }
    return gbps(best);
}

static double run_b64_ours(const uint8_t *in, uint8_t *out, size_t chunk, enum mg_decode_impl impl)
{
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        struct mg_b64 d;
        mg_b64_init(&d);
        d.impl = impl;
        size_t o = 0;
        double t0 = now();
        for (size_t i = 0; i < data_len; i += chunk)
            o += mg_b64_feed(&d, in + i, data_len - i < chunk ? data_len - i : chunk, out + o);
        o += mg_b64_finish(&d, out + o);
        double t = now() - t0;
        sink_count += o + d.invalid;
        if (t < best)
            best = t;
    }
    return gbps(best);
}

/* ---- quoted-printable decoders ---- */
/* RFC 2045 quoted-printable of src: printable ASCII literal, '=' and bytes
 * outside it as =XX, LF as CRLF, soft breaks before column 76. Japanese
 * UTF-8 text becomes mostly escapes, English mostly literal runs. */
static size_t qp_encode(const uint8_t *src, size_t n, uint8_t *dst)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0, col = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = src[i];
        if (c == '\n') {
            dst[o++] = '\r';
            dst[o++] = '\n';
            col = 0;
            continue;
        }
        bool lit = (c >= 33 && c <= 126 && c != '=') || (c == ' ' && i + 1 < n && src[i + 1] != '\n');
        size_t w = lit ? 1 : 3;
        if (col + w > 75) {
            dst[o++] = '=';
            dst[o++] = '\r';
            dst[o++] = '\n';
            col = 0;
        }
        if (lit) {
            dst[o++] = c;
        } else {
            dst[o++] = '=';
            dst[o++] = (uint8_t)hex[c >> 4];
            dst[o++] = (uint8_t)hex[c & 15];
        }
        col += w;
    }
    return o;
}

/* GB/s of encoded input: GMime's decoder (the one mugai's mail parser
 * library ships) against ours, fed 4 KiB at a time. */
static double run_qp(const uint8_t *in, size_t len, uint8_t *out, int impl)
{
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        size_t o = 0;
        struct mg_qp d;
        mg_qp_init(&d);
        if (impl >= 0)
            d.impl = (enum mg_decode_impl)impl;
        int state = 0;
        guint32 save = 0;
        double t0 = now();
        for (size_t i = 0; i < len; i += 4096) {
            size_t c = len - i < 4096 ? len - i : 4096;
            o += impl < 0 ? g_mime_encoding_quoted_decode_step(in + i, c, out + o, &state, &save)
                          : mg_qp_feed(&d, in + i, c, out + o);
        }
        double t = now() - t0;
        sink_count += o;
        if (t < best)
            best = t;
    }
    return (double)len / best / 1e9;
}

static void bench_qp(const uint8_t *text)
{
    size_t n = data_len < ((size_t)64 << 20) ? data_len : ((size_t)64 << 20);
    uint8_t *enc = malloc(3 * n + 3 * (n / 25) + 64), *out = malloc(3 * n + 3 * (n / 25) + 64 + MG_QP_OUT_MAX(4096));
    if (!enc || !out) {
        free(enc);
        free(out);
        return;
    }
    size_t len = qp_encode(text, n, enc);
    printf("qpdec    (%zu MiB of the text set, %.1f MiB encoded)\n", n >> 20, (double)len / (1 << 20));
    row("qpdec", "gmime decode_step 4KiB", run_qp(enc, len, out, -1));
    row("qpdec", "mg_qp_feed 4KiB [scalar]", run_qp(enc, len, out, MG_DECODE_SCALAR));
    row("qpdec", "mg_qp_feed 4KiB [simd]", run_qp(enc, len, out, mg_decode_best_impl()));
    free(enc);
    free(out);
}

/* Decode 4 KiB chunks into a small cache-resident buffer and scan it:
 * what the engine does with a base64 attachment. */
static double run_b64_scan(const struct mg_scanner *s, const uint8_t *in)
{
    enum { CHUNK = 4096 };
    static uint8_t out[MG_B64_OUT_MAX(CHUNK) + 3];
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t n = 0;
        struct mg_b64 d;
        mg_b64_init(&d);
        struct mg_scan_stream *st = mg_scan_stream_new(s, count_cb, &n);
        double t0 = now();
        for (size_t i = 0; i < data_len; i += CHUNK) {
            size_t o = mg_b64_feed(&d, in + i, data_len - i < CHUNK ? data_len - i : CHUNK, out);
            mg_scan_feed(st, out, o);
        }
        size_t o = mg_b64_finish(&d, out);
        mg_scan_feed(st, out, o);
        double t = now() - t0;
        mg_scan_stream_free(st);
        sink_count += n;
        if (t < best)
            best = t;
    }
    return gbps(best);
}

int main(void)
{
    size_t mib = 256;
    const char *env = getenv("BENCH_MIB");
    if (env && atoi(env) > 0)
        mib = (size_t)atoi(env);
    data_len = mib << 20;
    const char *only = getenv("BENCH_ONLY");
    const char *clk = getenv("BENCH_CLOCK");
    if (clk && strcmp(clk, "wall") == 0)
        bench_clock = CLOCK_MONOTONIC;
    char err[256];
    struct mg_indicator_set *set = mg_indicators_default(err, sizeof err);
    if (!set) {
        fprintf(stderr, "indicators: %s\n", err);
        return 2;
    }
    const struct mg_pattern *pats;
    size_t np = mg_indicators_patterns(set, &pats);
    const struct mg_scanner *sc = mg_indicators_scanner(set);
    struct mg_scanner *impl_sc[5] = { 0 };
    static const enum mg_scan_impl impls[5] = { MG_SCAN_SCALAR, MG_SCAN_SSE42, MG_SCAN_AVX2, MG_SCAN_AVX512, MG_SCAN_VBMI };
    for (int i = 0; i < 5; i++)
        if (mg_scanner_impl_supported(impls[i]))
            impl_sc[i] = mg_scanner_compile_impl(pats, np, impls[i], err, sizeof err);
    struct hs_engine hs = { 0 };
    if (!hs_build(&hs, pats, np))
        return 2;
    char dir[] = "/tmp/bench-scan-XXXXXX";
    struct cl_engine *clam = !only && mkdtemp(dir) ? clam_build(pats, np, dir) : NULL;
    rmdir(dir);

    uint8_t *buf = malloc(data_len + 64), *dst = malloc(data_len + 64);
    if (!buf || !dst)
        return 2;
    printf("bench-scan: %zu MiB per data set, one thread, %s time; scanner impl %s; %zu patterns (%zu indicators);"
           " Hyperscan %s; libclamav %s\n", mib, bench_clock == CLOCK_MONOTONIC ? "wall-clock" : "thread CPU",
           mg_scanner_name(sc), np, mg_indicators_count(set),
           hs_version(), cl_retver());
    double ratio[3] = { 0 };
    static const char *const names[3] = { "text", "base64", "random" };
    for (int ds = 0; ds < 3; ds++) {
        const char *nm = names[ds];
        if (ds == 0)
            gen_text(buf, data_len);
        else if (ds == 1)
            gen_base64(buf, data_len);
        else
            gen_random(buf, data_len);
        double best = 1e9;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            memcpy(dst, buf, data_len);
            double t = now() - t0;
            best = t < best ? t : best;
        }
        if (only) {   /* BENCH_ONLY=<set>: our 4 KiB stream and Hyperscan's, for profiling */
            if (strcmp(only, nm) != 0)
                continue;
            uint64_t mo = 0, mh = 0;
            double o = run_ours(sc, buf, 4096, &mo), h = run_hs(&hs, buf, 4096, &mh);
            row(nm, "scanner stream 4KiB", o);
            row(nm, "hyperscan stream 4KiB", h);
            printf("%-8s matches: scanner %llu, hyperscan %llu%s ratio %.2f\n", nm, (unsigned long long)mo,
                   (unsigned long long)mh, mo == mh ? "" : "  (DIFFER)", o / h);
            continue;
        }
        row(nm, "memcpy", gbps(best));
        best = 1e9;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            sink_count += memchr(buf, 0x01, data_len) != NULL;   /* byte absent from all three sets */
            double t = now() - t0;
            best = t < best ? t : best;
        }
        row(nm, "memchr", gbps(best));
        uint64_t m_ours = 0, m_hs = 0, m;
        row(nm, "scanner block", run_ours(sc, buf, 0, &m));
        double ours4k = run_ours(sc, buf, 4096, &m_ours);
        row(nm, "scanner stream 4KiB", ours4k);
        row(nm, "scanner stream 64KiB", run_ours(sc, buf, 65536, &m));
        for (int i = 0; i < 5; i++) {
            if (!impl_sc[i])
                continue;
            char label[64];
            snprintf(label, sizeof label, "scanner stream 4KiB [%s]", mg_scanner_name(impl_sc[i]));
            row(nm, label, run_ours(impl_sc[i], buf, 4096, &m));
        }
        row(nm, "hyperscan block", run_hs(&hs, buf, 0, &m));
        double hs4k = run_hs(&hs, buf, 4096, &m_hs);
        row(nm, "hyperscan stream 4KiB", hs4k);
        row(nm, "hyperscan stream 64KiB", run_hs(&hs, buf, 65536, &m));
        if (clam)
            row(nm, "libclamav .ldb (1 run)", run_clam(clam, buf));
        printf("%-8s matches: scanner %llu, hyperscan %llu%s\n", nm, (unsigned long long)m_ours,
               (unsigned long long)m_hs, m_ours == m_hs ? "" : "  (DIFFER)");
        ratio[ds] = ours4k / hs4k;
        if (ds == 0)
            bench_qp(buf);
        if (ds == 1) {
            row("b64dec", "glib g_base64_decode_step 4KiB", run_b64_glib(buf, dst, 4096));
            row("b64dec", "mg_b64_feed 4KiB [scalar]", run_b64_ours(buf, dst, 4096, MG_DECODE_SCALAR));
            row("b64dec", "mg_b64_feed 4KiB [sse42]", run_b64_ours(buf, dst, 4096, MG_DECODE_SSE42));
            row("b64dec", "mg_b64_feed 4KiB [avx2]", run_b64_ours(buf, dst, 4096, MG_DECODE_AVX2));
            row("b64dec", "mg_b64_feed 64KiB [best]", run_b64_ours(buf, dst, 65536, MG_DECODE_AVX2));
            row("b64dec", "decode + scanner stream 4KiB", run_b64_scan(sc, buf));
        }
    }
    printf("ratio scanner/hyperscan: text=%.2f base64=%.2f random=%.2f\n", ratio[0], ratio[1], ratio[2]);
    free(buf);
    free(dst);
    return 0;
}
