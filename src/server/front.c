#include "server/front.h"

#include <gio/gio.h>

#include "core/log.h"

void mg_gen_init(struct mg_gen *g, void (*destroy)(struct mg_gen *g))
{
    atomic_init(&g->refs, 1);
    g->destroy = destroy;
}

void mg_gen_get(struct mg_gen *g)
{
    atomic_fetch_add(&g->refs, 1);
}

void mg_gen_put(struct mg_gen *g)
{
    if (g && atomic_fetch_sub(&g->refs, 1) == 1)
        g->destroy(g);
}

bool mg_front_init(struct mg_front *f, const char *what, struct mg_gen *first, const char *listen,
                   const struct mg_listener_opts *o, unsigned engine_workers, GError **err)
{
    pthread_mutex_init(&f->lock, NULL);
    f->gen = first;
    f->listener = mg_listener_new(listen, o, err);
    f->pool = f->listener ? mg_workpool_new(engine_workers) : NULL;
    if (f->listener && !f->pool)
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot start the engine worker threads", what);
    if (f->pool)
        return true;
    (void)mg_front_destroy(f, what);
    return false;
}

struct mg_gen *mg_front_gen(struct mg_front *f)
{
    pthread_mutex_lock(&f->lock);
    struct mg_gen *g = f->gen;
    mg_gen_get(g);
    pthread_mutex_unlock(&f->lock);
    return g;
}

void mg_front_swap(struct mg_front *f, struct mg_gen *next, const struct mg_listener_opts *o)
{
    mg_listener_set_opts(f->listener, o);
    pthread_mutex_lock(&f->lock);
    struct mg_gen *old = f->gen;
    f->gen = next;
    pthread_mutex_unlock(&f->lock);
    mg_gen_put(old);
}

unsigned mg_front_drain(struct mg_front *f, double deadline)
{
    /* After the deadline, sessions get a few seconds to say goodbye. */
    return mg_listener_drain(f->listener, deadline, 5.0);
}

bool mg_front_destroy(struct mg_front *f, const char *what)
{
    if (f->listener) {
        if (mg_listener_active(f->listener) > 0) {
            mg_log(MG_LOG_WARN, NULL, NULL, "%s: %u sessions still running at exit", what,
                   mg_listener_active(f->listener));
            return false;
        }
        mg_listener_free(f->listener);
        f->listener = NULL;
    }
    mg_workpool_free(f->pool);
    f->pool = NULL;
    mg_gen_put(f->gen);
    f->gen = NULL;
    pthread_mutex_destroy(&f->lock);
    return true;
}
