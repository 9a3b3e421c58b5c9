/* A reference-counted engine, so that a reload (SIGHUP) can swap in a new
 * policy and engine while jobs already running finish on the old one: each
 * transaction holds a reference; the last unref frees the engine. */
#ifndef MG_SERVER_ENGINE_REF_H
#define MG_SERVER_ENGINE_REF_H

#include <stdatomic.h>

#include "engine/engine.h"

struct mg_engine_ref {
    atomic_uint refs;
    unsigned generation;         /* 1 for the first engine, +1 per reload */
    struct mg_engine *engine;    /* owned */
};

/* Takes ownership of engine; refs = 1. */
struct mg_engine_ref *mg_engine_ref_new(struct mg_engine *engine, unsigned generation);
struct mg_engine_ref *mg_engine_ref_get(struct mg_engine_ref *r);
void mg_engine_ref_put(struct mg_engine_ref *r);

/* A slot holding the current engine: readers take a reference under a lock;
 * a reload replaces it atomically. */
struct mg_engine_slot;
struct mg_engine_slot *mg_engine_slot_new(struct mg_engine_ref *r); /* takes r's reference */
struct mg_engine_ref *mg_engine_slot_get(struct mg_engine_slot *s);  /* new reference */
void mg_engine_slot_swap(struct mg_engine_slot *s, struct mg_engine_ref *r); /* takes r's ref */
void mg_engine_slot_free(struct mg_engine_slot *s);

#endif
