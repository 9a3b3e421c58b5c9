/* What the SMTP relay and the ICAP service share as servers: a listener,
 * the engine worker pool, and the current "generation" (everything one
 * reload replaces: configuration, engine reference, TLS contexts).
 *
 * A protocol embeds struct mg_gen as the FIRST member of its generation
 * and gives a destructor; sessions take a reference per transaction or
 * request (mg_front_gen) and finish on it while a reload installs the next
 * (mg_front_swap). The old generation is destroyed when its last session
 * lets go. */
#ifndef MG_SERVER_FRONT_H
#define MG_SERVER_FRONT_H

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "server/listener.h"
#include "server/workpool.h"

struct mg_gen {
    atomic_uint refs;
    void (*destroy)(struct mg_gen *g);
};

/* One reference, held by whoever made it. */
void mg_gen_init(struct mg_gen *g, void (*destroy)(struct mg_gen *g));
/* Another reference on g, which the caller holds one of already. */
void mg_gen_get(struct mg_gen *g);
/* Drops a reference (NULL: nothing). */
void mg_gen_put(struct mg_gen *g);

struct mg_front {
    struct mg_listener *listener;
    struct mg_workpool *pool;    /* engine jobs run here */
    pthread_mutex_t lock;        /* guards gen */
    struct mg_gen *gen;          /* the current generation (one reference) */
};

/* Binds listen and starts engine_workers threads; takes over first's
 * reference (also on failure). what names the server in messages. */
bool mg_front_init(struct mg_front *f, const char *what, struct mg_gen *first, const char *listen,
                   const struct mg_listener_opts *o, unsigned engine_workers, GError **err);
/* A new reference on the current generation. */
struct mg_gen *mg_front_gen(struct mg_front *f);
/* Installs next (taking over its reference) and the listener limits o;
 * sessions holding the old one finish on it. */
void mg_front_swap(struct mg_front *f, struct mg_gen *next, const struct mg_listener_opts *o);
/* Stops accepting, waits for sessions until deadline (mg_server_now()
 * seconds), then gives the rest a few seconds to close. Returns how many
 * were still running at the end. */
unsigned mg_front_drain(struct mg_front *f, double deadline);
/* Frees all; false (and nothing freed) while sessions still run: they hold
 * the server, and leaking beats a use-after-free at exit. */
bool mg_front_destroy(struct mg_front *f, const char *what);

#endif
