/* The [icap] section of the configuration, typed and checked once per load
 * (start and every reload). */
#ifndef MG_ICAP_CONFIG_H
#define MG_ICAP_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum mg_icap_partial { MG_ICAP_PARTIAL_BLOCK = 0, MG_ICAP_PARTIAL_POLICY };

struct mg_icap_config {
    char *listen;                /* "" = ICAP disabled */
    char *respmod_path;
    char *reqmod_path;
    uint64_t max_connections;
    uint64_t max_per_ip;
    uint64_t preview_size;
    uint64_t max_body_size;
    bool use_204;
    bool fast_path;
    enum mg_icap_partial partial;
    double options_ttl;
    double idle_timeout;
    double read_timeout;
    double request_timeout;
    uint64_t engine_workers;
    double job_wait;
    double drain_timeout;
    char *transfer_complete;
    char *transfer_ignore;
    char *tls_cert;              /* "" = plain ICAP */
    char *tls_key;
};

/* Reads [icap] from kf; a bad value is an error naming the key. */
struct mg_icap_config *mg_icap_config_load(GKeyFile *kf, GError **err);
void mg_icap_config_free(struct mg_icap_config *c);

#endif
