#include "proto/smtp/smtp_config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "proto/smtp/smtp_cmd.h"

#define G "smtp"

bool mg_cidr_parse(const char *s, struct mg_cidr *out)
{
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        *slash = '\0';
        char *end = NULL;
        prefix = strtol(slash + 1, &end, 10);
        if (!end || *end || end == slash + 1 || prefix < 0)
            return false;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        if (prefix > 32)
            return false;
        out->prefix = prefix < 0 ? 32 : (unsigned)prefix;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        if (prefix > 128)
            return false;
        out->prefix = prefix < 0 ? 128 : (unsigned)prefix;
    } else {
        return false;
    }
    return true;
}

bool mg_cidr_match(const struct mg_cidr *c, const struct sockaddr *sa)
{
    const uint8_t *a;
    if (sa->sa_family != c->family)
        return false;
    if (sa->sa_family == AF_INET)
        a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    else
        return false;
    unsigned bits = c->prefix;
    for (unsigned i = 0; bits > 0; i++) {
        unsigned take = bits >= 8 ? 8 : bits;
        uint8_t mask = (uint8_t)(0xFFu << (8 - take));
        if ((a[i] & mask) != (c->addr[i] & mask))
            return false;
        bits -= take;
    }
    return true;
}

bool mg_smtp_client_allowed(const struct mg_smtp_config *c, const struct sockaddr *sa)
{
    for (size_t i = 0; i < c->n_clients; i++)
        if (mg_cidr_match(&c->clients[i], sa))
            return true;
    return false;
}

bool mg_smtp_domain_relayed(const struct mg_smtp_config *c, const char *domain)
{
    size_t dl = strlen(domain);
    if (dl == 0)
        return false;
    for (size_t i = 0; i < c->n_relay_domains; i++) {
        const char *r = c->relay_domains[i];
        size_t rl = strlen(r);
        if (strcmp(r, "*") == 0)
            return true;
        if (r[0] == '.') {
            if (dl > rl && strcmp(domain + dl - rl, r) == 0)
                return true;
        } else if (strcmp(domain, r) == 0) {
            return true;
        }
    }
    return false;
}

/* Space- or comma-separated list. */
static char **split_list(const char *s, size_t *n)
{
    char **parts = g_strsplit_set(s, " ,\t", -1);
    size_t k = 0;
    for (size_t i = 0; parts[i]; i++) {
        if (parts[i][0])
            parts[k++] = parts[i];
        else
            g_free(parts[i]);
    }
    parts[k] = NULL;
    *n = k;
    return parts;
}

void mg_smtp_config_free(struct mg_smtp_config *c)
{
    if (!c)
        return;
    g_free(c->listen);
    g_free(c->hostname);
    g_free(c->next_hop);
    free(c->clients);
    g_strfreev(c->relay_domains);
    g_free(c->tls_cert);
    g_free(c->tls_key);
    free(c);
}

struct mg_smtp_config *mg_smtp_config_load(GKeyFile *kf, GError **err)
{
    struct mg_smtp_config *c = calloc(1, sizeof(*c));
    if (!c) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "out of memory");
        return NULL;
    }
    static const char *const tls_modes[] = { "none", "may", "encrypt", NULL };
    static const char *const blocked[] = { "notice", "reject", NULL };
    int tls = 0, blk = 0;
    char *clients = NULL, *domains = NULL;
    if (!(c->listen = mg_config_get_string(kf, G, "listen", err)) ||
        !(c->hostname = mg_config_get_string(kf, G, "hostname", err)) ||
        !(c->next_hop = mg_config_get_string(kf, G, "next-hop", err)) ||
        !mg_config_get_choice(kf, G, "next-hop-tls", tls_modes, &tls, err) ||
        !mg_config_get_duration(kf, G, "next-hop-connect-timeout", &c->next_hop_connect_timeout, err) ||
        !mg_config_get_duration(kf, G, "next-hop-timeout", &c->next_hop_timeout, err) ||
        !mg_config_get_duration(kf, G, "next-hop-final-timeout", &c->next_hop_final_timeout, err) ||
        !mg_config_get_duration(kf, G, "next-hop-reuse", &c->next_hop_reuse, err) ||
        !(clients = mg_config_get_string(kf, G, "allowed-clients", err)) ||
        !(domains = mg_config_get_string(kf, G, "relay-domains", err)) ||
        !mg_config_get_uint(kf, G, "max-connections", 100000, &c->max_connections, err) ||
        !mg_config_get_uint(kf, G, "max-connections-per-ip", 100000, &c->max_per_ip, err) ||
        !mg_config_get_size(kf, G, "max-message-size", &c->max_message_size, err) ||
        !mg_config_get_uint(kf, G, "max-recipients", 100000, &c->max_recipients, err) ||
        !mg_config_get_uint(kf, G, "max-errors", 1000, &c->max_errors, err) ||
        !mg_config_get_duration(kf, G, "command-timeout", &c->command_timeout, err) ||
        !mg_config_get_duration(kf, G, "data-timeout", &c->data_timeout, err) ||
        !mg_config_get_duration(kf, G, "drain-timeout", &c->drain_timeout, err) ||
        !mg_config_get_uint(kf, G, "engine-workers", 1024, &c->engine_workers, err) ||
        !(c->tls_cert = mg_config_get_string(kf, G, "tls-cert", err)) ||
        !(c->tls_key = mg_config_get_string(kf, G, "tls-key", err)) ||
        !mg_config_get_choice(kf, G, "blocked-message", blocked, &blk, err))
        goto fail;
    c->next_hop_tls = (enum mg_smtp_tls_mode)tls;
    c->blocked = (enum mg_smtp_blocked)blk;

    size_t n;
    char **cl = split_list(clients, &n);
    c->clients = calloc(n ? n : 1, sizeof(*c->clients));
    for (size_t i = 0; c->clients && i < n; i++) {
        if (!mg_cidr_parse(cl[i], &c->clients[c->n_clients++])) {
            g_set_error(err, MG_CONFIG_ERROR, 0, "[smtp] allowed-clients: '%s' is not an address or CIDR network", cl[i]);
            g_strfreev(cl);
            goto fail;
        }
    }
    g_strfreev(cl);
    if (!c->clients) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "out of memory");
        goto fail;
    }
    c->relay_domains = split_list(domains, &c->n_relay_domains);
    for (size_t i = 0; i < c->n_relay_domains; i++) {
        char *d = c->relay_domains[i];
        for (char *p = d; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        const char *check = d[0] == '.' ? d + 1 : d;
        if (strcmp(d, "*") != 0 && !mg_smtp_domain_valid(check, strlen(check), true)) {
            g_set_error(err, MG_CONFIG_ERROR, 0, "[smtp] relay-domains: '%s' is not a domain", d);
            goto fail;
        }
    }
    if (c->max_message_size == 0 || c->max_recipients == 0 || c->max_connections == 0 ||
        c->command_timeout <= 0 || c->data_timeout <= 0 || c->next_hop_timeout <= 0 ||
        c->next_hop_final_timeout <= 0 || c->next_hop_connect_timeout <= 0) {
        g_set_error(err, MG_CONFIG_ERROR, 0,
                    "[smtp] sizes, counts and timeouts must be greater than zero");
        goto fail;
    }
    if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "[smtp] tls-cert and tls-key go together");
        goto fail;
    }
    if (c->hostname[0] == '\0') {
        char h[256];
        g_free(c->hostname);
        if (gethostname(h, sizeof(h)) != 0)
            h[0] = '\0';
        h[sizeof(h) - 1] = '\0';
        c->hostname = g_strdup(h[0] ? h : "localhost");
    }
    g_free(clients);
    g_free(domains);
    return c;
fail:
    g_free(clients);
    g_free(domains);
    mg_smtp_config_free(c);
    return NULL;
}
