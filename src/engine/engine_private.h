/* Engine internals shared by engine.c, job.c, notice.c and report.c. */
#ifndef MG_ENGINE_PRIVATE_H
#define MG_ENGINE_PRIVATE_H

#include <time.h>

#include "engine/engine.h"
#include "scan/clamav.h"
#include "scan/indicators.h"
#include "scan/type.h"

struct mg_engine {
    struct mg_policy *policy;
    struct mg_av *av;
    struct mg_indicator_set *indicators;
    bool describe;                 /* fill libmagic descriptions (mugai check) */
};

struct mg_keep {
    struct mg_keep *next;
    size_t len;
    uint8_t data[];
};

struct mg_job {
    struct mg_engine *engine;
    char id[64];
    struct timespec started;       /* CLOCK_MONOTONIC */
    time_t wall_started;
    struct mg_item *root;
    uint64_t n_items;
    uint64_t charged;
    struct mg_spool **spools;
    size_t n_spools, cap_spools;
    struct mg_keep *keeps;
    double scan_seconds;           /* time in the indicator scanner, for benchmarks and metrics */
};

/* Per-thread libmagic handle (libmagic is not thread-safe per handle). */
struct mg_typer *mg_engine_typer(void);

#endif
