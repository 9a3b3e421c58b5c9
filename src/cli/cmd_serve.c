/* `mugai serve`: runs the network front ends (SMTP and ICAP; an empty
 * `listen =` turns one off) over one engine. This file owns the signals: SIGTERM/SIGINT drain
 * (stop accepting, finish in-flight work until drain-timeout, then 421),
 * SIGHUP reload (new policy and engine swapped in by reference; jobs already
 * running finish on the old engine). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "engine/engine.h"
#include "engine/policy.h"
#include "mg_config.h"
#include "proto/icap/icap_server.h"
#include "proto/smtp/smtp_server.h"
#include "server/engine_ref.h"
#include "server/listener.h"
#include "server/metrics_http.h"

int mg_cmd_serve(int argc, char **argv);

static const char *default_conf_path(void)
{
    static const char path[] = MG_SYSCONFDIR "/mugai/mugai.conf";
    return access(path, F_OK) == 0 ? path : NULL;
}

static const char help[] = N_(
    "Usage: mugai serve [-c FILE] [--check-config]\n"
    "\n"
    "Runs the SMTP relay: receives mail from the internet-side MTA, sanitizes\n"
    "it and relays the result to the next hop; the sender hears 250 only after\n"
    "the next hop accepted the sanitized message. SIGHUP reloads the\n"
    "configuration, SIGTERM stops accepting and lets running transactions finish.\n"
    "\n"
    "  -c, --config FILE   configuration file (default /etc/mugai/mugai.conf\n"
    "                      if present, else the built-in defaults)\n"
    "      --check-config  check the configuration (and TLS files), then exit\n");

static const char help_icap[] = N_(
    "\n"
    "Also runs the ICAP service for a proxy (Squid RESPMOD/REQMOD, [icap]).\n"
    "An empty listen in [smtp] or [icap] turns that protocol off.\n");

static void usage(FILE *f)
{
    fputs(_(help), f);
    fputs(_(help_icap), f);
}

/* Is [group] listen set? An empty value turns that front end off. */
static bool listen_set(const struct mg_policy *p, const char *group)
{
    gchar *v = g_key_file_get_string(p->kf, group, "listen", NULL);
    bool on = v && g_strstrip(v)[0] != '\0';
    g_free(v);
    return on;
}

/* The ICAP half, kept apart from the SMTP code above and below: start,
 * reload, drain. NULL (and true) when [icap] listen is empty. */
static bool icap_start(struct mg_engine_ref *er, struct mg_icap_server **out)
{
    *out = NULL;
    if (!mg_icap_enabled(mg_engine_policy(er->engine)))
        return true;
    GError *err = NULL;
    struct mg_icap_server *s = mg_icap_server_new(er, &err);
    if (!s || !mg_icap_server_start(s, &err)) {
        mg_cli_error("icap: %s", err ? err->message : "cannot start");
        g_clear_error(&err);
        mg_icap_server_free(s);
        return false;
    }
    *out = s;
    return true;
}

static void icap_reload(struct mg_icap_server *s, struct mg_engine_ref *next)
{
    GError *err = NULL;
    if (s && !mg_icap_server_reload(s, next, &err)) {
        mg_log(MG_LOG_ERROR, NULL, NULL, "icap reload failed: %s; ICAP keeps the previous configuration",
               err ? err->message : "?");
        g_clear_error(&err);
    }
}

static unsigned icap_stop(struct mg_icap_server *s, double now)
{
    if (!s)
        return 0;
    unsigned left = mg_icap_server_drain(s, now + mg_icap_server_drain_timeout(s));
    mg_icap_server_free(s);
    return left;
}

/* Why a load failed: on stderr at start; at a reload (init_log false) in
 * the log, one line naming the cause (a missing or corrupt signature
 * database...) and that the previous generation keeps serving. */
static void load_failed(bool init_log, unsigned generation, const char *what, const char *why)
{
    if (init_log)
        mg_cli_error("%s%s", what, why);
    else
        mg_log(MG_LOG_ERROR, NULL, NULL, "reload refused: %s%s; still serving engine generation %u",
               what, why, generation - 1);
}

/* Loads the policy and builds an engine over it; NULL after logging why. */
static struct mg_engine_ref *load_engine(const char *path, unsigned generation, bool init_log)
{
    GError *err = NULL;
    struct mg_policy *p = mg_policy_load(path, &err);
    if (!p) {
        char *what = g_strdup_printf("%s: ", path ? path : "built-in defaults");
        load_failed(init_log, generation, what, err ? err->message : "cannot load");
        g_free(what);
        g_clear_error(&err);
        return NULL;
    }
    if (init_log)
        mg_log_init("mugai", p->log_dest, p->log_level);
    struct mg_engine *e = mg_engine_new(p, &err);
    if (!e) {
        load_failed(init_log, generation, "engine: ", err ? err->message : "cannot start");
        g_clear_error(&err);
        return NULL;
    }
    /* The workers that parse every message and body; the pool logs its
     * mode ("sandbox: seccomp (...)") and refuses to start when the workers
     * cannot be confined as configured. */
    struct mg_sandbox *sb = mg_sandbox_new(e, &err);
    if (!sb) {
        load_failed(init_log, generation, "", err ? err->message : "sandbox: cannot start");
        g_clear_error(&err);
        mg_engine_free(e);
        return NULL;
    }
    struct mg_engine_ref *r = mg_engine_ref_new(e, generation);
    if (!r) {
        mg_sandbox_free(sb);
        mg_engine_free(e);
        mg_cli_error("out of memory");
        return NULL;
    }
    r->sandbox = sb;
    return r;
}

/* [metrics] listen: empty (off) or a host:port the listener can parse. */
static bool check_metrics(const struct mg_policy *p, GError **err)
{
    char *listen = mg_config_get_string(p->kf, "metrics", "listen", err);
    if (listen == NULL)
        return false;
    g_strstrip(listen);
    char host[256];
    unsigned port;
    bool ok = *listen == '\0' || mg_server_split_hostport(listen, host, sizeof(host), &port);
    if (!ok)
        g_set_error(err, MG_CONFIG_ERROR, 0, "[metrics] listen: bad address '%s'", listen);
    g_free(listen);
    return ok;
}

int mg_cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    if (mg_cli_wants_help(argc, argv, help)) {
        fputs(_(help_icap), stdout);
        return MG_EXIT_OK;
    }
    const char *path = NULL;
    bool check = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'C': check = true; break;
        case 'h': usage(stdout); return MG_EXIT_OK; /* after mg_cli_wants_help, unreachable */
        default: usage(stderr); return MG_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return MG_EXIT_USAGE;
    }
    if (!path)
        path = default_conf_path();

    /* Every thread inherits this mask; only the main thread takes the
     * signals, with sigwait, so no handler ever runs inside a session. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* TLS writes go through write(2) */

    (void)mg_cli_gettext(""); /* sets up gettext for the notices */
    unsigned generation = 1;
    struct mg_engine_ref *er = load_engine(path, generation, true);
    if (!er)
        return MG_EXIT_USAGE;
    GError *err = NULL;
    if (check) {
        const struct mg_policy *cp = mg_engine_policy(er->engine);
        bool ok = (!listen_set(cp, "smtp") || mg_smtp_check_config(cp, &err)) &&
                  mg_icap_check_config(cp, &err) && check_metrics(cp, &err);
        if (!ok)
            mg_cli_error("%s", err ? err->message : "bad configuration");
        else
            printf("%s: configuration OK\n", path ? path : "built-in defaults");
        g_clear_error(&err);
        mg_engine_ref_put(er);
        return ok ? MG_EXIT_OK : MG_EXIT_USAGE;
    }
    struct mg_icap_server *icap = NULL;
    if (!icap_start(er, &icap)) {
        mg_engine_ref_put(er);
        return MG_EXIT_USAGE;
    }
    bool smtp_on = listen_set(mg_engine_policy(er->engine), "smtp");
    if (!smtp_on && !icap) {
        mg_cli_error("both [smtp] listen and [icap] listen are empty: nothing to serve");
        mg_engine_ref_put(er);
        return MG_EXIT_USAGE;
    }
    struct mg_smtp_server *smtp = smtp_on ? mg_smtp_server_new(er, &err) : NULL;
    if (smtp_on && (!smtp || !mg_smtp_server_start(smtp, &err))) {
        mg_cli_error("smtp: %s", err ? err->message : "cannot start");
        g_clear_error(&err);
        mg_smtp_server_free(smtp);
        icap_stop(icap, mg_server_now());
        mg_engine_ref_put(er);
        return MG_EXIT_USAGE;
    }
    /* [metrics] listen empty: no endpoint (NULL without an error). */
    struct mg_metrics_server *metrics = mg_metrics_server_new(mg_engine_policy(er->engine)->kf, er, &err);
    mg_engine_ref_put(er); /* the servers hold their own references */
    if (err || (metrics && !mg_metrics_server_start(metrics, &err))) {
        mg_cli_error("metrics: %s", err ? err->message : "cannot start");
        g_clear_error(&err);
        mg_metrics_server_free(metrics);
        if (smtp) {
            mg_smtp_server_drain(smtp, mg_server_now());
            mg_smtp_server_free(smtp);
        }
        icap_stop(icap, mg_server_now());
        return MG_EXIT_USAGE;
    }
    mg_log(MG_LOG_NOTICE, NULL, NULL, "mugai %s serving (config %s)", MG_VERSION,
           path ? path : "built-in defaults");

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            mg_log(MG_LOG_NOTICE, NULL, NULL, "SIGHUP: reloading %s", path ? path : "built-in defaults");
            struct mg_engine_ref *next = load_engine(path, generation + 1, false);
            if (!next)
                continue; /* load_engine logged "reload refused: ..." */
            icap_reload(icap, next);
            if (smtp && !mg_smtp_server_reload(smtp, next, &err)) {
                mg_log(MG_LOG_ERROR, NULL, NULL, "reload failed: %s; still serving with the previous configuration",
                       err ? err->message : "?");
                g_clear_error(&err);
            } else {
                generation++;
                /* [metrics] listen itself needs a restart, like [smtp] listen. */
                if (metrics)
                    mg_metrics_server_set_engine(metrics, next);
            }
            mg_engine_ref_put(next);
            continue;
        }
        double t = smtp ? mg_smtp_server_drain_timeout(smtp) : 0;
        double ti = icap ? mg_icap_server_drain_timeout(icap) : 0;
        mg_log(MG_LOG_NOTICE, NULL, NULL, "%s: draining (up to %.0f s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
               t + ti);
        unsigned left = smtp ? mg_smtp_server_drain(smtp, mg_server_now() + t) : 0;
        /* ICAP drains after SMTP (its own drain-timeout): a proxy retries elsewhere. */
        left += icap_stop(icap, mg_server_now());
        mg_log(MG_LOG_NOTICE, NULL, NULL, "stopped (%u sessions cut off)", left);
        mg_smtp_server_free(smtp);
        mg_metrics_server_free(metrics);
        return MG_EXIT_OK;
    }
}
