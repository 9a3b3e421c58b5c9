/* A reference-counted engine, so that a reload (SIGHUP) can swap in a new
 * policy and engine while jobs already running finish on the old one: each
 * transaction holds a reference; the last unref frees the engine. */
#ifndef MG_SERVER_ENGINE_REF_H
#define MG_SERVER_ENGINE_REF_H

#include <stdatomic.h>

#include "engine/engine.h"
#include "sandbox/sandbox.h"

struct mg_engine_ref {
    atomic_uint refs;
    unsigned generation;         /* 1 for the first engine, +1 per reload */
    struct mg_engine *engine;    /* owned */
    /* owned; the workers that run this engine's jobs (a reload starts a new
     * pool with the new engine; the old one ends with its last reference) */
    struct mg_sandbox *sandbox;
};

/* Takes ownership of engine; refs = 1. */
struct mg_engine_ref *mg_engine_ref_new(struct mg_engine *engine, unsigned generation);
struct mg_engine_ref *mg_engine_ref_get(struct mg_engine_ref *r);
void mg_engine_ref_put(struct mg_engine_ref *r);

#endif
