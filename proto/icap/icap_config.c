#include "proto/icap/icap_config.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define G "icap"

void mg_icap_config_free(struct mg_icap_config *c)
{
    if (!c)
        return;
    g_free(c->listen);
    g_free(c->respmod_path);
    g_free(c->reqmod_path);
    g_free(c->transfer_complete);
    g_free(c->transfer_ignore);
    g_free(c->tls_cert);
    g_free(c->tls_key);
    free(c);
}

/* An extension list for OPTIONS: tokens of [A-Za-z0-9], comma-separated,
 * or "*" alone (RFC 3507 4.10.2). Anything else would corrupt the header. */
static bool ext_list_ok(const char *s)
{
    if (strcmp(s, "*") == 0 || s[0] == '\0')
        return true;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != ',' && *p != ' ')
            return false;
    return true;
}

static bool path_ok(const char *s)
{
    if (s[0] != '/' || strlen(s) > 200)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

struct mg_icap_config *mg_icap_config_load(GKeyFile *kf, GError **err)
{
    struct mg_icap_config *c = calloc(1, sizeof(*c));
    if (!c) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "out of memory");
        return NULL;
    }
    static const char *const partial[] = { "block", "policy", NULL };
    int part = 0;
    if (!(c->listen = mg_config_get_string(kf, G, "listen", err)) ||
        !(c->respmod_path = mg_config_get_string(kf, G, "respmod-path", err)) ||
        !(c->reqmod_path = mg_config_get_string(kf, G, "reqmod-path", err)) ||
        !mg_config_get_uint(kf, G, "max-connections", 100000, &c->max_connections, err) ||
        !mg_config_get_uint(kf, G, "max-connections-per-ip", 100000, &c->max_per_ip, err) ||
        !mg_config_get_size(kf, G, "preview-size", &c->preview_size, err) ||
        !mg_config_get_size(kf, G, "max-body-size", &c->max_body_size, err) ||
        !mg_config_get_bool(kf, G, "use-204", &c->use_204, err) ||
        !mg_config_get_bool(kf, G, "fast-path", &c->fast_path, err) ||
        !mg_config_get_choice(kf, G, "partial-content", partial, &part, err) ||
        !mg_config_get_duration(kf, G, "options-ttl", &c->options_ttl, err) ||
        !mg_config_get_duration(kf, G, "idle-timeout", &c->idle_timeout, err) ||
        !mg_config_get_duration(kf, G, "read-timeout", &c->read_timeout, err) ||
        !mg_config_get_duration(kf, G, "request-timeout", &c->request_timeout, err) ||
        !mg_config_get_uint(kf, G, "engine-workers", 1024, &c->engine_workers, err) ||
        !mg_config_get_duration(kf, G, "job-wait", &c->job_wait, err) ||
        !mg_config_get_duration(kf, G, "drain-timeout", &c->drain_timeout, err) ||
        !(c->transfer_complete = mg_config_get_string(kf, G, "transfer-complete", err)) ||
        !(c->transfer_ignore = mg_config_get_string(kf, G, "transfer-ignore", err)) ||
        !(c->tls_cert = mg_config_get_string(kf, G, "tls-cert", err)) ||
        !(c->tls_key = mg_config_get_string(kf, G, "tls-key", err)))
        goto fail;
    c->partial = (enum mg_icap_partial)part;
    if (!path_ok(c->respmod_path) || !path_ok(c->reqmod_path) ||
        strcmp(c->respmod_path, c->reqmod_path) == 0) {
        g_set_error(err, MG_CONFIG_ERROR, 0,
                    "[icap] respmod-path and reqmod-path must be two different paths starting with '/'");
        goto fail;
    }
    if (c->max_connections == 0 || c->max_body_size == 0 || c->read_timeout <= 0 ||
        c->idle_timeout <= 0 || c->request_timeout <= 0 || c->job_wait <= 0 ||
        c->options_ttl < 1) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "[icap] sizes, counts and timeouts must be greater than zero");
        goto fail;
    }
    if (c->preview_size > 1048576) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "[icap] preview-size: at most 1M");
        goto fail;
    }
    if (!ext_list_ok(c->transfer_complete) || !ext_list_ok(c->transfer_ignore)) {
        g_set_error(err, MG_CONFIG_ERROR, 0,
                    "[icap] transfer-complete and transfer-ignore: comma-separated extensions or *");
        goto fail;
    }
    if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "[icap] tls-cert and tls-key go together");
        goto fail;
    }
    return c;
fail:
    mg_icap_config_free(c);
    return NULL;
}
