/* The [smtp] section of the configuration, typed and checked once per load
 * (start and every reload). Also the gatekeeping predicates: is this client
 * address allowed, is this recipient domain ours to relay. */
#ifndef MG_SMTP_CONFIG_H
#define MG_SMTP_CONFIG_H

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum mg_smtp_tls_mode { MG_TLS_NONE = 0, MG_TLS_MAY, MG_TLS_ENCRYPT };
enum mg_smtp_blocked { MG_BLOCKED_NOTICE = 0, MG_BLOCKED_REJECT };

struct mg_cidr {
    int family;                  /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned prefix;
};

struct mg_smtp_config {
    char *listen;
    char *hostname;
    char *next_hop;              /* host:port */
    enum mg_smtp_tls_mode next_hop_tls;
    double next_hop_connect_timeout;
    double next_hop_timeout;     /* greeting, EHLO, MAIL, RCPT, DATA (4 min, see 70-smtp.conf) */
    double next_hop_final_timeout; /* the reply to the final "." (7 min) */
    double next_hop_reuse;       /* keep a session's clean next-hop connection for others (0: no) */
    struct mg_cidr *clients;
    size_t n_clients;
    char **relay_domains;        /* lowercased; ".example.jp" matches subdomains; "*" any */
    size_t n_relay_domains;
    uint64_t max_connections;
    uint64_t max_per_ip;
    uint64_t max_message_size;
    uint64_t max_recipients;
    uint64_t max_errors;         /* errors in a session before it is closed */
    double command_timeout;      /* RFC 5321 4.5.3.2.7: 5 minutes */
    double data_timeout;         /* per read while receiving DATA */
    double drain_timeout;
    uint64_t engine_workers;     /* engine worker threads; 0 = CPUs (fixed at start) */
    char *tls_cert;              /* "" = no STARTTLS offered */
    char *tls_key;
    enum mg_smtp_blocked blocked;
};

/* Reads [smtp] from kf; a bad value is an error naming the key. */
struct mg_smtp_config *mg_smtp_config_load(GKeyFile *kf, GError **err);
void mg_smtp_config_free(struct mg_smtp_config *c);

bool mg_cidr_parse(const char *s, struct mg_cidr *out);
bool mg_cidr_match(const struct mg_cidr *c, const struct sockaddr *sa);
bool mg_smtp_client_allowed(const struct mg_smtp_config *c, const struct sockaddr *sa);
/* domain must be lowercased already. */
bool mg_smtp_domain_relayed(const struct mg_smtp_config *c, const char *domain);

#endif
