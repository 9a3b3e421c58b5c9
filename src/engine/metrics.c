#include "engine/metrics.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "engine/engine_private.h"
#include "mg_config.h"
#include "scan/clamav.h"

#define N_VERDICTS 4
/* Upper bounds in seconds; a job's stages range from a millisecond (a text
 * file) to [limits] max-time (120 s by default). */
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct histo {
    _Atomic uint64_t le[N_BUCKETS]; /* per bucket, not cumulative; summed when rendered */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
};

static _Atomic uint64_t jobs[MG_TC__COUNT][N_VERDICTS];
static _Atomic uint64_t bytes_in, bytes_out;
static struct histo stages[MG_STAGE__COUNT];
static _Atomic int64_t inflight, queued;
static _Atomic uint64_t next_hop_errors, worker_restarts;

static const char *const stage_names[MG_STAGE__COUNT] = { "receive", "sanitize", "relay" };

void mg_metrics_job(enum mg_type_class cls, enum mg_verdict v, uint64_t in, uint64_t out)
{
    if ((unsigned)cls >= MG_TC__COUNT)
        cls = MG_TC_UNKNOWN;
    if ((unsigned)v >= N_VERDICTS)
        v = MG_TEMPFAIL;
    atomic_fetch_add_explicit(&jobs[cls][v], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes_in, in, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes_out, out, memory_order_relaxed);
}

void mg_metrics_observe(enum mg_stage s, double seconds)
{
    if ((unsigned)s >= MG_STAGE__COUNT || !(seconds >= 0))
        return;
    struct histo *h = &stages[s];
    size_t i = 0;
    while (i < N_BUCKETS && seconds > buckets[i])
        i++;
    if (i < N_BUCKETS)
        atomic_fetch_add_explicit(&h->le[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    double us = seconds * 1e6;
    atomic_fetch_add_explicit(&h->sum_us, us < 1.8e19 ? (uint64_t)us : UINT64_MAX / 2, memory_order_relaxed);
}

void mg_metrics_inflight(int delta)
{
    atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}

void mg_metrics_queue(int delta)
{
    atomic_fetch_add_explicit(&queued, delta, memory_order_relaxed);
}

void mg_metrics_next_hop_error(void)
{
    atomic_fetch_add_explicit(&next_hop_errors, 1, memory_order_relaxed);
}

void mg_metrics_worker_restart(void)
{
    atomic_fetch_add_explicit(&worker_restarts, 1, memory_order_relaxed);
}

void mg_metrics_reset(void)
{
    for (size_t c = 0; c < MG_TC__COUNT; c++)
        for (size_t v = 0; v < N_VERDICTS; v++)
            atomic_store(&jobs[c][v], 0);
    atomic_store(&bytes_in, 0);
    atomic_store(&bytes_out, 0);
    for (size_t s = 0; s < MG_STAGE__COUNT; s++) {
        for (size_t i = 0; i < N_BUCKETS; i++)
            atomic_store(&stages[s].le[i], 0);
        atomic_store(&stages[s].count, 0);
        atomic_store(&stages[s].sum_us, 0);
    }
    atomic_store(&inflight, 0);
    atomic_store(&queued, 0);
    atomic_store(&next_hop_errors, 0);
    atomic_store(&worker_restarts, 0);
}

static void head(struct mg_buf *o, const char *name, const char *type, const char *help)
{
    mg_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void mg_metrics_render(const struct mg_engine *e, struct mg_buf *o)
{
    head(o, "mugai_build_info", "gauge", "Version of this mugai.");
    mg_buf_printf(o, "mugai_build_info{version=\"%s\"} 1\n", MG_VERSION);

    head(o, "mugai_jobs_total", "counter", "Finished jobs by the root item's type class and the job's verdict.");
    for (size_t c = 0; c < MG_TC__COUNT; c++)
        for (size_t v = 0; v < N_VERDICTS; v++)
            mg_buf_printf(o, "mugai_jobs_total{type=\"%s\",verdict=\"%s\"} %llu\n",
                          mg_type_class_name((enum mg_type_class)c), mg_verdict_name((enum mg_verdict)v),
                          (unsigned long long)atomic_load(&jobs[c][v]));

    head(o, "mugai_bytes_in_total", "counter", "Bytes of job input (the whole message or file).");
    mg_buf_printf(o, "mugai_bytes_in_total %llu\n", (unsigned long long)atomic_load(&bytes_in));
    head(o, "mugai_bytes_out_total", "counter", "Bytes of job output (sanitized or passed).");
    mg_buf_printf(o, "mugai_bytes_out_total %llu\n", (unsigned long long)atomic_load(&bytes_out));

    head(o, "mugai_stage_duration_seconds", "histogram",
         "Time per stage: receive (DATA from the client), sanitize (the engine job), relay (DATA to the next hop).");
    for (size_t s = 0; s < MG_STAGE__COUNT; s++) {
        uint64_t cum = 0;
        for (size_t i = 0; i < N_BUCKETS; i++) {
            cum += atomic_load(&stages[s].le[i]);
            mg_buf_printf(o, "mugai_stage_duration_seconds_bucket{stage=\"%s\",le=\"%g\"} %llu\n",
                          stage_names[s], buckets[i], (unsigned long long)cum);
        }
        uint64_t count = atomic_load(&stages[s].count);
        mg_buf_printf(o, "mugai_stage_duration_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %llu\n",
                      stage_names[s], (unsigned long long)count);
        mg_buf_printf(o, "mugai_stage_duration_seconds_sum{stage=\"%s\"} %.6f\n", stage_names[s],
                      (double)atomic_load(&stages[s].sum_us) / 1e6);
        mg_buf_printf(o, "mugai_stage_duration_seconds_count{stage=\"%s\"} %llu\n", stage_names[s],
                      (unsigned long long)count);
    }

    head(o, "mugai_jobs_in_flight", "gauge", "Jobs running in the engine now.");
    mg_buf_printf(o, "mugai_jobs_in_flight %lld\n", (long long)atomic_load(&inflight));
    head(o, "mugai_queue_depth", "gauge", "Received messages waiting for a free engine worker now.");
    mg_buf_printf(o, "mugai_queue_depth %lld\n", (long long)atomic_load(&queued));
    head(o, "mugai_next_hop_errors_total", "counter",
         "Next-hop failures: connection or TLS failed, timeout, or a 4xx/5xx reply to a relayed message.");
    mg_buf_printf(o, "mugai_next_hop_errors_total %llu\n", (unsigned long long)atomic_load(&next_hop_errors));
    head(o, "mugai_worker_restarts_total", "counter",
         "Sandbox worker restarts (always 0 in this build: parsing runs in process, src/sandbox is not there yet).");
    mg_buf_printf(o, "mugai_worker_restarts_total %llu\n", (unsigned long long)atomic_load(&worker_restarts));

    const struct mg_av *av = e ? e->av : NULL;
    uint64_t dbtime = mg_av_db_time(av);
    head(o, "mugai_signature_db_system", "gauge",
         "1 when a system ClamAV database is loaded, 0 when only mugai's own test signatures are (no real virus detection).");
    mg_buf_printf(o, "mugai_signature_db_system %d\n", mg_av_has_system_db(av) ? 1 : 0);
    if (dbtime != 0) {
        head(o, "mugai_signature_db_age_seconds", "gauge", "Seconds since the loaded system database's version date.");
        double age = difftime(time(NULL), (time_t)dbtime);
        mg_buf_printf(o, "mugai_signature_db_age_seconds %.0f\n", age);
    }
}
