#include "proto/smtp/smtp_server.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "core/log.h"
#include "proto/smtp/smtp_session.h"
#include "server/tls.h"

static void gen_destroy(struct mg_gen *base)
{
    struct mg_smtp_gen *g = (struct mg_smtp_gen *)base;
    if (g->tls_server)
        SSL_CTX_free(g->tls_server);
    if (g->tls_client)
        SSL_CTX_free(g->tls_client);
    mg_smtp_config_free(g->cfg);
    mg_engine_ref_put(g->er);
    free(g);
}

void mg_smtp_gen_put(struct mg_smtp_gen *g)
{
    mg_gen_put(g ? &g->base : NULL);
}

struct mg_smtp_gen *mg_smtp_server_gen(struct mg_smtp_server *s)
{
    return (struct mg_smtp_gen *)mg_front_gen(&s->front);
}

/* The current generation, for the server's own (main thread) use. */
static const struct mg_smtp_gen *cur(const struct mg_smtp_server *s)
{
    return (const struct mg_smtp_gen *)s->front.gen;
}

static struct mg_smtp_gen *gen_new(struct mg_engine_ref *er, GError **err)
{
    const struct mg_policy *p = mg_engine_policy(er->engine);
    struct mg_smtp_config *cfg = mg_smtp_config_load(p->kf, err);
    if (!cfg)
        return NULL;
    struct mg_smtp_gen *g = calloc(1, sizeof(*g));
    if (!g) {
        mg_smtp_config_free(cfg);
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    mg_gen_init(&g->base, gen_destroy);
    g->cfg = cfg;
    g->er = mg_engine_ref_get(er);
    if (cfg->tls_cert[0] && !(g->tls_server = mg_tls_server_ctx("smtp", cfg->tls_cert, cfg->tls_key, err))) {
        mg_gen_put(&g->base);
        return NULL;
    }
    if (cfg->next_hop_tls != MG_TLS_NONE && !(g->tls_client = mg_tls_client_ctx("smtp", err))) {
        mg_gen_put(&g->base);
        return NULL;
    }
    if (cfg->n_relay_domains == 0)
        mg_log(MG_LOG_WARN, NULL, NULL,
               "[smtp] relay-domains is empty: every recipient will be refused (550 5.7.1)");
    return g;
}

bool mg_smtp_check_config(const struct mg_policy *p, GError **err)
{
    struct mg_smtp_config *cfg = mg_smtp_config_load(p->kf, err);
    if (!cfg)
        return false;
    char host[256];
    unsigned port;
    bool ok = true;
    if (!mg_server_split_hostport(cfg->listen, host, sizeof(host), &port)) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "[smtp] listen: bad address '%s'", cfg->listen);
        ok = false;
    } else if (!mg_server_split_hostport(cfg->next_hop, host, sizeof(host), &port) || port == 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "[smtp] next-hop: bad address '%s'", cfg->next_hop);
        ok = false;
    } else if (cfg->tls_cert[0]) {
        SSL_CTX *ctx = mg_tls_server_ctx("smtp", cfg->tls_cert, cfg->tls_key, err);
        ok = ctx != NULL;
        if (ctx)
            SSL_CTX_free(ctx);
    }
    if (ok && cfg->n_relay_domains == 0)
        mg_log(MG_LOG_WARN, NULL, NULL,
               "[smtp] relay-domains is empty: every recipient will be refused (550 5.7.1)");
    mg_smtp_config_free(cfg);
    return ok;
}

static struct mg_listener_opts listener_opts(const struct mg_smtp_config *c)
{
    return (struct mg_listener_opts){ .max_conns = (unsigned)c->max_connections,
                                      .max_per_ip = (unsigned)c->max_per_ip };
}

struct mg_smtp_server *mg_smtp_server_new(struct mg_engine_ref *er, GError **err)
{
    struct mg_smtp_gen *g = gen_new(er, err);
    if (!g)
        return NULL;
    struct mg_smtp_server *s = calloc(1, sizeof(*s));
    if (!s) {
        mg_gen_put(&g->base);
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    mg_smtp_nhcache_init(&s->nhcache);
    struct mg_listener_opts o = listener_opts(g->cfg);
    if (!mg_front_init(&s->front, "smtp", &g->base, g->cfg->listen, &o, (unsigned)g->cfg->engine_workers, err)) {
        mg_smtp_nhcache_destroy(&s->nhcache);
        free(s);
        return NULL;
    }
    return s;
}

/* A refused connection hears 421 (RFC 5321 3.8) before the close. */
static void busy_reply(int fd, const struct mg_peer *peer, bool per_ip, void *ud)
{
    (void)peer;
    (void)ud;
    const char *m = per_ip ? "421 4.7.0 Too many connections from your address\r\n"
                           : "421 4.3.2 Too many connections, try again later\r\n";
    ssize_t w = send(fd, m, strlen(m), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w; /* best effort: the connection is closed either way */
}

bool mg_smtp_server_start(struct mg_smtp_server *s, GError **err)
{
    if (!mg_listener_start(s->front.listener, mg_smtp_session_main, busy_reply, s, err))
        return false;
    mg_log(MG_LOG_NOTICE, NULL, NULL,
           "smtp listening on %s (port %u), next hop %s, engine workers %u, starttls %s",
           cur(s)->cfg->listen, mg_listener_port(s->front.listener), cur(s)->cfg->next_hop,
           mg_workpool_size(s->front.pool), cur(s)->tls_server ? "offered" : "off");
    return true;
}

bool mg_smtp_server_reload(struct mg_smtp_server *s, struct mg_engine_ref *er, GError **err)
{
    struct mg_smtp_gen *g = gen_new(er, err);
    if (!g)
        return false;
    if (strcmp(g->cfg->listen, cur(s)->cfg->listen) != 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "[smtp] listen changed from %s to %s: restart mugai to apply it",
                    cur(s)->cfg->listen, g->cfg->listen);
        mg_gen_put(&g->base);
        return false;
    }
    struct mg_listener_opts o = listener_opts(g->cfg);
    mg_front_swap(&s->front, &g->base, &o);
    /* The next hop or its TLS settings may have changed. */
    mg_smtp_nhcache_flush(&s->nhcache);
    mg_log(MG_LOG_NOTICE, NULL, NULL, "smtp reloaded: engine generation %u, next hop %s",
           er->generation, g->cfg->next_hop);
    return true;
}

double mg_smtp_server_drain_timeout(const struct mg_smtp_server *s)
{
    return cur(s)->cfg->drain_timeout;
}

unsigned mg_smtp_server_drain(struct mg_smtp_server *s, double deadline)
{
    /* After the deadline, sessions get a few seconds to say 421 and close. */
    unsigned left = mg_front_drain(&s->front, deadline);
    mg_smtp_nhcache_flush(&s->nhcache);
    return left;
}

unsigned mg_smtp_server_port(const struct mg_smtp_server *s) { return mg_listener_port(s->front.listener); }

void mg_smtp_server_free(struct mg_smtp_server *s)
{
    if (!s || !mg_front_destroy(&s->front, "smtp"))
        return;
    mg_smtp_nhcache_destroy(&s->nhcache);
    free(s);
}
