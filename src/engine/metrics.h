/* Process-wide metrics for the Prometheus endpoint of `mugai serve`: a fixed
 * registry of atomic counters, gauges and histograms with fixed buckets, so
 * updating one is a lock-free add from any thread and rendering needs no
 * allocation per metric. The engine counts jobs, bytes and the sanitize
 * stage; the front ends count receive/relay time, queue depth and next-hop
 * errors. Rendering is the Prometheus text format 0.0.4. */
#ifndef MG_ENGINE_METRICS_H
#define MG_ENGINE_METRICS_H

#include <stdint.h>

#include "core/buf.h"
#include "engine/contract.h"
#include "scan/type.h"

struct mg_engine;

enum mg_stage { MG_STAGE_RECEIVE = 0, MG_STAGE_SANITIZE, MG_STAGE_RELAY, MG_STAGE__COUNT };

/* One finished job: its root's type class and verdict, bytes in and out. */
void mg_metrics_job(enum mg_type_class cls, enum mg_verdict v, uint64_t bytes_in, uint64_t bytes_out);
void mg_metrics_observe(enum mg_stage s, double seconds);
/* Jobs running in the engine now (+1 at start, -1 at the end). */
void mg_metrics_inflight(int delta);
/* Messages waiting for a free engine worker now. */
void mg_metrics_queue(int delta);
void mg_metrics_next_hop_error(void);
/* Sandbox worker restarts: nothing calls it until src/sandbox exists, the
 * counter is exposed (as 0) so dashboards and alerts can be set up now. */
void mg_metrics_worker_restart(void);

/* The whole registry as Prometheus text. e (may be NULL) supplies the
 * signature database age. */
void mg_metrics_render(const struct mg_engine *e, struct mg_buf *out);

/* For tests: every counter back to zero. */
void mg_metrics_reset(void);

#endif
