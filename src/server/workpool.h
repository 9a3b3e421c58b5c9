/* A fixed pool of long-lived worker threads that run engine jobs for the
 * session threads. Bounded in both ways: at most n jobs run at once (the CPU
 * bound), and a job waits in the queue only up to a deadline. Long-lived
 * threads matter because the engine keeps per-thread state (the libmagic
 * handles) that is expensive to build; a thread per session would rebuild it
 * for every connection. */
#ifndef MG_SERVER_WORKPOOL_H
#define MG_SERVER_WORKPOOL_H

#include <stdbool.h>

struct mg_workpool;

typedef void (*mg_work_fn)(void *arg);

/* n = 0: number of online CPUs. NULL when no thread could be started. */
struct mg_workpool *mg_workpool_new(unsigned n);
unsigned mg_workpool_size(const struct mg_workpool *p);
/* Runs fn(arg) on a worker and waits for it to finish. Returns false (fn not
 * run) when no worker picked the job up within queue_timeout seconds or the
 * pool is shutting down. Once started, a job always runs to its end (the
 * engine bounds its own time). */
bool mg_workpool_run(struct mg_workpool *p, mg_work_fn fn, void *arg, double queue_timeout);
/* Same contract, but fn runs on the calling thread once fewer than n
 * callers are inside it (the same n, counted apart from the worker
 * threads). Callers that have to wait get slots in arrival order. For jobs that only hand work to another process (a sandbox
 * worker) and need no per-thread engine state: it saves the two thread
 * wake-ups of the hand-off per job. */
bool mg_workpool_run_here(struct mg_workpool *p, mg_work_fn fn, void *arg, double queue_timeout);
/* Stops the workers after the jobs already queued; joins them. */
void mg_workpool_free(struct mg_workpool *p);

#endif
