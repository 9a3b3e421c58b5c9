/* The ICAP service as a server object for `mugai serve`, the same trio as
 * the SMTP one: create (binds, checks [icap]), start (accepts), reload (new
 * engine and [icap] settings for new requests; running ones finish on the
 * old), drain, free. Connections run on the generic listener in src/server/. */
#ifndef MG_ICAP_SERVER_H
#define MG_ICAP_SERVER_H

#include <glib.h>
#include <stdbool.h>

#include "engine/policy.h"
#include "server/engine_ref.h"

struct mg_icap_server;

/* Is ICAP configured at all ([icap] listen not empty)? */
bool mg_icap_enabled(const struct mg_policy *p);
/* Takes its own reference on er; the configuration is er's policy's [icap]. */
struct mg_icap_server *mg_icap_server_new(struct mg_engine_ref *er, GError **err);
bool mg_icap_server_start(struct mg_icap_server *s, GError **err);
/* Swaps in a new engine and [icap] settings; listen and TLS on/off cannot
 * change without a restart (refused, the old settings stay). */
bool mg_icap_server_reload(struct mg_icap_server *s, struct mg_engine_ref *er, GError **err);
/* Stops accepting, waits for requests until deadline (mg_server_now()
 * seconds), then cuts the rest off. Returns how many were still running. */
unsigned mg_icap_server_drain(struct mg_icap_server *s, double deadline);
double mg_icap_server_drain_timeout(const struct mg_icap_server *s);
unsigned mg_icap_server_port(const struct mg_icap_server *s);
void mg_icap_server_free(struct mg_icap_server *s);

/* For `mugai serve --check-config`: [icap] parses, the listen address is
 * well-formed, the TLS certificate and key load and match. */
bool mg_icap_check_config(const struct mg_policy *p, GError **err);

/* The ISTag for a policy hash and a signature description (a quoted
 * string of at most 32 characters inside the quotes, RFC 3507 4.7). */
void mg_icap_istag(const char *policy_hash, const char *av_describe, char out[40]);

#endif
