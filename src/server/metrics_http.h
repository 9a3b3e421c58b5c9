/* The Prometheus endpoint of `mugai serve`: GET /metrics over plain HTTP/1.0
 * on [metrics] listen (meant for 127.0.0.1; there is no authentication and
 * no TLS, so never put it on a routed address). One request per
 * connection, read with a short deadline and a bound on its size. */
#ifndef MG_SERVER_METRICS_HTTP_H
#define MG_SERVER_METRICS_HTTP_H

#include <glib.h>
#include <stdbool.h>

#include "server/engine_ref.h"

struct mg_metrics_server;

/* NULL with *err unset when [metrics] listen is empty (the endpoint is off).
 * Takes its own reference on er (for the signature database age). */
struct mg_metrics_server *mg_metrics_server_new(GKeyFile *kf, struct mg_engine_ref *er, GError **err);
bool mg_metrics_server_start(struct mg_metrics_server *m, GError **err);
unsigned mg_metrics_server_port(const struct mg_metrics_server *m);
/* After a reload: the new engine's database is the one reported. */
void mg_metrics_server_set_engine(struct mg_metrics_server *m, struct mg_engine_ref *er);
void mg_metrics_server_free(struct mg_metrics_server *m);

/* Pure, for tests: the response to one request head (status line, headers,
 * body). head need not be NUL-terminated. */
void mg_metrics_http_respond(const char *head, size_t len, const struct mg_engine *e, struct mg_buf *out);

#endif
