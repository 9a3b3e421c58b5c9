#include "server/engine_ref.h"

#include <pthread.h>
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
        mg_engine_free(r->engine);
        free(r);
    }
}

struct mg_engine_slot {
    pthread_mutex_t lock;
    struct mg_engine_ref *cur;
};

struct mg_engine_slot *mg_engine_slot_new(struct mg_engine_ref *r)
{
    struct mg_engine_slot *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->cur = r;
    return s;
}

struct mg_engine_ref *mg_engine_slot_get(struct mg_engine_slot *s)
{
    pthread_mutex_lock(&s->lock);
    struct mg_engine_ref *r = mg_engine_ref_get(s->cur);
    pthread_mutex_unlock(&s->lock);
    return r;
}

void mg_engine_slot_swap(struct mg_engine_slot *s, struct mg_engine_ref *r)
{
    pthread_mutex_lock(&s->lock);
    struct mg_engine_ref *old = s->cur;
    s->cur = r;
    pthread_mutex_unlock(&s->lock);
    mg_engine_ref_put(old);
}

void mg_engine_slot_free(struct mg_engine_slot *s)
{
    if (!s)
        return;
    mg_engine_ref_put(s->cur);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
