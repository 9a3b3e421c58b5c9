#include "server/engine_ref.h"

#include <stdlib.h>

struct mg_engine_ref *mg_engine_ref_new(struct mg_engine *engine, unsigned generation)
{
    struct mg_engine_ref *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    atomic_init(&r->refs, 1);
    r->generation = generation;
    r->engine = engine;
    return r;
}

struct mg_engine_ref *mg_engine_ref_get(struct mg_engine_ref *r)
{
    atomic_fetch_add(&r->refs, 1);
    return r;
}

void mg_engine_ref_put(struct mg_engine_ref *r)
{
    if (!r)
        return;
    if (atomic_fetch_sub(&r->refs, 1) == 1) {
        mg_sandbox_free(r->sandbox);
        mg_engine_free(r->engine);
        free(r);
    }
}
