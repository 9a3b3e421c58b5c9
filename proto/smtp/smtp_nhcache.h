/* Idle next-hop connections kept between sessions (Postfix's connection
 * cache idea): a session that ends with a clean next-hop connection (no
 * transaction open, nothing unread) parks it; the next session's MAIL takes
 * it instead of connecting, greeting and saying EHLO again. A parked
 * connection is used only within [smtp] next-hop-reuse seconds, never after
 * a reload (the cache is emptied: the next hop or its TLS settings may have
 * changed) and never while draining. A connection the next hop closed
 * meanwhile fails at MAIL, and the session opens a fresh one (the same
 * retry as for a connection kept within one session). */
#ifndef MG_SMTP_NHCACHE_H
#define MG_SMTP_NHCACHE_H

#include <pthread.h>
#include <stdbool.h>

#include "proto/smtp/smtp_client.h"

#define MG_SMTP_NHCACHE_MAX 32

struct mg_smtp_gen;

struct mg_smtp_nhcache {
    pthread_mutex_t lock;
    size_t n;
    struct mg_smtp_nhcache_entry {
        struct mg_smtp_client c;
        struct mg_smtp_gen *gen;     /* a reference: c->cfg lives in it */
        double parked;               /* mg_server_now() */
    } e[MG_SMTP_NHCACHE_MAX];
};

void mg_smtp_nhcache_init(struct mg_smtp_nhcache *nc);
/* Moves c (opened under gen, which the caller checked is the server's
 * current one) into the cache, taking a reference on gen, when it is
 * reusable and there is room; otherwise closes it (QUIT). c is left closed. */
void mg_smtp_nhcache_park(struct mg_smtp_nhcache *nc, struct mg_smtp_client *c,
                          struct mg_smtp_gen *gen, double max_age);
/* Moves the newest connection parked under gen and younger than max_age
 * into c (closed on entry); false when there is none. Expired ones and
 * ones of another generation are closed. */
bool mg_smtp_nhcache_take(struct mg_smtp_nhcache *nc, struct mg_smtp_client *c,
                          const struct mg_smtp_gen *gen, double max_age);
/* Closes every parked connection (reload, shutdown). */
void mg_smtp_nhcache_flush(struct mg_smtp_nhcache *nc);
void mg_smtp_nhcache_destroy(struct mg_smtp_nhcache *nc);

#endif
