#include "server/tls.h"
#include "proto/icap/icap_server.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "core/config.h"
#include "core/log.h"
#include "mg_config.h"
#include "proto/icap/icap_session.h"

void mg_icap_istag(const char *policy_hash, const char *av_describe, char out[40])
{
    /* Squid drops cached adaptations when the ISTag changes: fold in all
     * that changes a verdict (policy, signatures, our version). */
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    const char *hex = NULL;
    if (c) {
        g_checksum_update(c, (const guchar *)MG_VERSION, strlen(MG_VERSION));
        g_checksum_update(c, (const guchar *)"\n", 1);
        g_checksum_update(c, (const guchar *)policy_hash, strlen(policy_hash));
        g_checksum_update(c, (const guchar *)"\n", 1);
        g_checksum_update(c, (const guchar *)av_describe, strlen(av_describe));
        hex = g_checksum_get_string(c);
    }
    g_snprintf(out, 40, "\"mugai-%.24s\"", hex ? hex : "000000000000000000000000");
    if (c)
        g_checksum_free(c);
}

static void gen_destroy(struct mg_gen *base)
{
    struct mg_icap_gen *g = (struct mg_icap_gen *)base;
    if (g->tls)
        SSL_CTX_free(g->tls);
    mg_icap_config_free(g->cfg);
    mg_engine_ref_put(g->er);
    free(g);
}

void mg_icap_gen_put(struct mg_icap_gen *g)
{
    mg_gen_put(g ? &g->base : NULL);
}

struct mg_icap_gen *mg_icap_server_gen(struct mg_icap_server *s)
{
    return (struct mg_icap_gen *)mg_front_gen(&s->front);
}

/* The current generation, for the server's own (main thread) use. */
static const struct mg_icap_gen *cur(const struct mg_icap_server *s)
{
    return (const struct mg_icap_gen *)s->front.gen;
}

static struct mg_icap_gen *gen_new(struct mg_engine_ref *er, GError **err)
{
    const struct mg_policy *p = mg_engine_policy(er->engine);
    struct mg_icap_config *cfg = mg_icap_config_load(p->kf, err);
    if (!cfg)
        return NULL;
    struct mg_icap_gen *g = calloc(1, sizeof(*g));
    if (!g) {
        mg_icap_config_free(cfg);
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    mg_gen_init(&g->base, gen_destroy);
    g->cfg = cfg;
    g->er = mg_engine_ref_get(er);
    mg_icap_istag(p->hash, mg_engine_av_describe(er->engine), g->istag);
    if (cfg->tls_cert[0] && !(g->tls = mg_tls_server_ctx("icap", cfg->tls_cert, cfg->tls_key, err))) {
        mg_gen_put(&g->base);
        return NULL;
    }
    return g;
}

bool mg_icap_enabled(const struct mg_policy *p)
{
    gchar *v = g_key_file_get_string(p->kf, "icap", "listen", NULL);
    bool on = v && g_strstrip(v)[0] != '\0';
    g_free(v);
    return on;
}

bool mg_icap_check_config(const struct mg_policy *p, GError **err)
{
    struct mg_icap_config *cfg = mg_icap_config_load(p->kf, err);
    if (!cfg)
        return false;
    char host[256];
    unsigned port;
    bool ok = true;
    if (cfg->listen[0] && !mg_server_split_hostport(cfg->listen, host, sizeof(host), &port)) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "[icap] listen: bad address '%s'", cfg->listen);
        ok = false;
    } else if (cfg->tls_cert[0]) {
        SSL_CTX *ctx = mg_tls_server_ctx("icap", cfg->tls_cert, cfg->tls_key, err);
        ok = ctx != NULL;
        if (ctx)
            SSL_CTX_free(ctx);
    }
    mg_icap_config_free(cfg);
    return ok;
}

static struct mg_listener_opts listener_opts(const struct mg_icap_config *c)
{
    return (struct mg_listener_opts){ .max_conns = (unsigned)c->max_connections,
                                      .max_per_ip = (unsigned)c->max_per_ip };
}

struct mg_icap_server *mg_icap_server_new(struct mg_engine_ref *er, GError **err)
{
    struct mg_icap_gen *g = gen_new(er, err);
    if (!g)
        return NULL;
    if (g->cfg->listen[0] == '\0') {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "[icap] listen is empty (ICAP disabled)");
        mg_gen_put(&g->base);
        return NULL;
    }
    struct mg_icap_server *s = calloc(1, sizeof(*s));
    if (!s) {
        mg_gen_put(&g->base);
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    struct mg_listener_opts o = listener_opts(g->cfg);
    if (!mg_front_init(&s->front, "icap", &g->base, g->cfg->listen, &o, (unsigned)g->cfg->engine_workers, err)) {
        free(s);
        return NULL;
    }
    return s;
}

/* A refused connection hears 503 (RFC 3507 4.3.3) before the close. */
static void busy_reply(int fd, const struct mg_peer *peer, bool per_ip, void *ud)
{
    (void)peer;
    (void)per_ip;
    struct mg_icap_server *s = ud;
    /* A reference: a reload may swap the generation meanwhile. */
    struct mg_icap_gen *g = mg_icap_server_gen(s);
    bool tls = g->tls != NULL;
    mg_icap_gen_put(g);
    if (tls)
        return; /* no TLS handshake on the accept thread: just close */
    static const char m[] = "ICAP/1.0 503 Service Overloaded\r\nConnection: close\r\n"
                            "Encapsulated: null-body=0\r\n\r\n";
    ssize_t w = send(fd, m, sizeof(m) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w; /* best effort: the connection is closed either way */
}

bool mg_icap_server_start(struct mg_icap_server *s, GError **err)
{
    if (!mg_listener_start(s->front.listener, mg_icap_session_main, busy_reply, s, err))
        return false;
    mg_log(MG_LOG_NOTICE, NULL, NULL,
           "icap listening on %s (port %u), services %s %s, engine workers %u, ISTag %s, tls %s",
           cur(s)->cfg->listen, mg_listener_port(s->front.listener), cur(s)->cfg->respmod_path,
           cur(s)->cfg->reqmod_path, mg_workpool_size(s->front.pool), cur(s)->istag,
           cur(s)->tls ? "on" : "off");
    return true;
}

bool mg_icap_server_reload(struct mg_icap_server *s, struct mg_engine_ref *er, GError **err)
{
    struct mg_icap_gen *g = gen_new(er, err);
    if (!g)
        return false;
    if (strcmp(g->cfg->listen, cur(s)->cfg->listen) != 0 || (g->tls == NULL) != (cur(s)->tls == NULL)) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "[icap] listen or TLS changed: restart mugai to apply it");
        mg_gen_put(&g->base);
        return false;
    }
    struct mg_listener_opts o = listener_opts(g->cfg);
    mg_front_swap(&s->front, &g->base, &o);
    mg_log(MG_LOG_NOTICE, NULL, NULL, "icap reloaded: engine generation %u, ISTag %s",
           er->generation, g->istag);
    return true;
}

double mg_icap_server_drain_timeout(const struct mg_icap_server *s)
{
    return cur(s)->cfg->drain_timeout;
}

unsigned mg_icap_server_drain(struct mg_icap_server *s, double deadline)
{
    return mg_front_drain(&s->front, deadline);
}

unsigned mg_icap_server_port(const struct mg_icap_server *s) { return mg_listener_port(s->front.listener); }

void mg_icap_server_free(struct mg_icap_server *s)
{
    if (s && mg_front_destroy(&s->front, "icap"))
        free(s);
}
