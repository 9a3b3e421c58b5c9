/* The SMTP relay as a server object for `mugai serve`: create (binds the
 * listening socket, checks [smtp]), start (accepts), reload (new engine and
 * [smtp] settings for new transactions; running ones finish on the old),
 * drain (stop accepting, let transactions finish until a deadline, then
 * 421), free. Sessions run on the generic listener in src/server/. */
#ifndef MG_SMTP_SERVER_H
#define MG_SMTP_SERVER_H

#include <glib.h>
#include <stdbool.h>

#include "engine/policy.h"
#include "server/engine_ref.h"

struct mg_smtp_server;

/* Takes its own reference on er; the configuration is er's policy's [smtp]. */
struct mg_smtp_server *mg_smtp_server_new(struct mg_engine_ref *er, GError **err);
bool mg_smtp_server_start(struct mg_smtp_server *s, GError **err);
/* Swaps in a new engine and [smtp] settings. listen cannot change without a
 * restart (refused with an error; the old settings stay). */
bool mg_smtp_server_reload(struct mg_smtp_server *s, struct mg_engine_ref *er, GError **err);
/* Stops accepting, waits for sessions until deadline (mg_server_now()
 * seconds), then tells the rest to say 421 and close. Returns how many
 * sessions were still running at the end. */
unsigned mg_smtp_server_drain(struct mg_smtp_server *s, double deadline);
double mg_smtp_server_drain_timeout(const struct mg_smtp_server *s);
unsigned mg_smtp_server_port(const struct mg_smtp_server *s);
void mg_smtp_server_free(struct mg_smtp_server *s);

/* For `mugai serve --check-config`: [smtp] parses, the listen address is
 * well-formed, the TLS certificate and key load and match. */
bool mg_smtp_check_config(const struct mg_policy *p, GError **err);

#endif
