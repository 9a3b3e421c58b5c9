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

static void gen_free(struct mg_icap_gen *g)
{
    if (g->tls)
        SSL_CTX_free(g->tls);
    mg_icap_config_free(g->cfg);
    mg_engine_ref_put(g->er);
    free(g);
}

void mg_icap_gen_put(struct mg_icap_gen *g)
{
    if (g && atomic_fetch_sub(&g->refs, 1) == 1)
        gen_free(g);
}

struct mg_icap_gen *mg_icap_server_gen(struct mg_icap_server *s)
{
    pthread_mutex_lock(&s->lock);
    struct mg_icap_gen *g = s->gen;
    atomic_fetch_add(&g->refs, 1);
    pthread_mutex_unlock(&s->lock);
    return g;
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
    atomic_init(&g->refs, 1);
    g->cfg = cfg;
    g->er = mg_engine_ref_get(er);
    mg_icap_istag(p->hash, mg_engine_av_describe(er->engine), g->istag);
    if (cfg->tls_cert[0] && !(g->tls = mg_tls_server_ctx("icap", cfg->tls_cert, cfg->tls_key, err))) {
        gen_free(g);
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
        gen_free(g);
        return NULL;
    }
    struct mg_icap_server *s = calloc(1, sizeof(*s));
    if (!s) {
        gen_free(g);
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->gen = g;
    struct mg_listener_opts o = listener_opts(g->cfg);
    s->listener = mg_listener_new(g->cfg->listen, &o, err);
    s->pool = s->listener ? mg_workpool_new((unsigned)g->cfg->engine_workers) : NULL;
    if (!s->listener || !s->pool) {
        if (s->listener && !s->pool)
            g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start the engine workers");
        mg_icap_server_free(s);
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
    if (!mg_listener_start(s->listener, mg_icap_session_main, busy_reply, s, err))
        return false;
    mg_log(MG_LOG_NOTICE, NULL, NULL,
           "icap listening on %s (port %u), services %s %s, engine workers %u, ISTag %s, tls %s",
           s->gen->cfg->listen, mg_listener_port(s->listener), s->gen->cfg->respmod_path,
           s->gen->cfg->reqmod_path, mg_workpool_size(s->pool), s->gen->istag,
           s->gen->tls ? "on" : "off");
    return true;
}

bool mg_icap_server_reload(struct mg_icap_server *s, struct mg_engine_ref *er, GError **err)
{
    struct mg_icap_gen *g = gen_new(er, err);
    if (!g)
        return false;
    if (strcmp(g->cfg->listen, s->gen->cfg->listen) != 0 || (g->tls == NULL) != (s->gen->tls == NULL)) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "[icap] listen or TLS changed: restart mugai to apply it");
        gen_free(g);
        return false;
    }
    struct mg_listener_opts o = listener_opts(g->cfg);
    mg_listener_set_opts(s->listener, &o);
    pthread_mutex_lock(&s->lock);
    struct mg_icap_gen *old = s->gen;
    s->gen = g;
    pthread_mutex_unlock(&s->lock);
    mg_icap_gen_put(old);
    mg_log(MG_LOG_NOTICE, NULL, NULL, "icap reloaded: engine generation %u, ISTag %s",
           er->generation, g->istag);
    return true;
}

double mg_icap_server_drain_timeout(const struct mg_icap_server *s)
{
    return s->gen->cfg->drain_timeout;
}

unsigned mg_icap_server_drain(struct mg_icap_server *s, double deadline)
{
    return mg_listener_drain(s->listener, deadline, 5.0);
}

unsigned mg_icap_server_port(const struct mg_icap_server *s) { return mg_listener_port(s->listener); }

void mg_icap_server_free(struct mg_icap_server *s)
{
    if (!s)
        return;
    if (s->listener) {
        if (mg_listener_active(s->listener) > 0) {
            /* Connections still hold s: leaking beats a use-after-free at exit. */
            mg_log(MG_LOG_WARN, NULL, NULL, "icap: %u connections still running at exit",
                   mg_listener_active(s->listener));
            return;
        }
        mg_listener_free(s->listener);
    }
    mg_workpool_free(s->pool);
    mg_icap_gen_put(s->gen);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
