#include "proto/smtp/smtp_nhcache.h"

#include <string.h>

#include "proto/smtp/smtp_session.h"
#include "server/listener.h"

void mg_smtp_nhcache_init(struct mg_smtp_nhcache *nc)
{
    memset(nc, 0, sizeof(*nc));
    pthread_mutex_init(&nc->lock, NULL);
}

#define DROP_MAX 2

struct dropped {
    size_t n;
    struct mg_smtp_nhcache_entry e[DROP_MAX];
};

/* Moves entries that are too old or of another generation into d (at most
 * DROP_MAX at a time; the rest go on a later call). Under the lock. */
static void sweep(struct mg_smtp_nhcache *nc, const struct mg_smtp_gen *gen, double now, double max_age,
                  struct dropped *d)
{
    size_t j = 0;
    for (size_t i = 0; i < nc->n; i++) {
        bool stale = now - nc->e[i].parked > max_age || nc->e[i].gen != gen;
        if (stale && d->n < DROP_MAX)
            d->e[d->n++] = nc->e[i];
        else
            nc->e[j++] = nc->e[i];
    }
    nc->n = j;
}

/* Outside the lock: QUIT waits for the next hop's reply. */
static void close_dropped(struct dropped *d)
{
    for (size_t i = 0; i < d->n; i++) {
        mg_smtp_client_close(&d->e[i].c);
        mg_smtp_gen_put(d->e[i].gen);
    }
    d->n = 0;
}

void mg_smtp_nhcache_park(struct mg_smtp_nhcache *nc, struct mg_smtp_client *c, struct mg_smtp_gen *gen,
                          double max_age)
{
    if (!c->open)
        return;
    /* Reusable: no failure, nothing unread or unsent, the last reply read. */
    bool clean = !c->io.failed && c->io.in_start == c->io.in_end && c->io.out_len == 0;
    struct dropped d = { 0 };
    bool parked = false;
    if (clean && max_age > 0) {
        double now = mg_server_now();
        pthread_mutex_lock(&nc->lock);
        sweep(nc, gen, now, max_age, &d);
        if (nc->n < MG_SMTP_NHCACHE_MAX) {
            mg_gen_get(&gen->base);
            nc->e[nc->n].c = *c;
            nc->e[nc->n].gen = gen;
            nc->e[nc->n].parked = now;
            nc->n++;
            parked = true;
        }
        pthread_mutex_unlock(&nc->lock);
    }
    if (parked) {
        c->open = false;
        c->fd = -1;
    } else {
        mg_smtp_client_close(c);
    }
    close_dropped(&d);
}

bool mg_smtp_nhcache_take(struct mg_smtp_nhcache *nc, struct mg_smtp_client *c, const struct mg_smtp_gen *gen,
                          double max_age)
{
    struct dropped d = { 0 };
    struct mg_smtp_gen *held = NULL;
    pthread_mutex_lock(&nc->lock);
    sweep(nc, gen, mg_server_now(), max_age, &d);
    for (size_t i = nc->n; i-- > 0;) {
        if (nc->e[i].gen == gen) {
            *c = nc->e[i].c;
            held = nc->e[i].gen;
            nc->e[i] = nc->e[--nc->n];
            break;
        }
    }
    pthread_mutex_unlock(&nc->lock);
    /* The session holds its own reference on gen. */
    if (held)
        mg_smtp_gen_put(held);
    close_dropped(&d);
    return held != NULL;
}

void mg_smtp_nhcache_flush(struct mg_smtp_nhcache *nc)
{
    for (;;) {
        struct dropped d = { 0 };
        pthread_mutex_lock(&nc->lock);
        while (nc->n > 0 && d.n < DROP_MAX)
            d.e[d.n++] = nc->e[--nc->n];
        pthread_mutex_unlock(&nc->lock);
        if (d.n == 0)
            break;
        close_dropped(&d);
    }
}

void mg_smtp_nhcache_destroy(struct mg_smtp_nhcache *nc)
{
    mg_smtp_nhcache_flush(nc);
    pthread_mutex_destroy(&nc->lock);
}
