/* OpenSSL contexts for the servers: one place that decides protocol floor,
 * options and how a bad certificate or key is reported. */
#ifndef MG_SERVER_TLS_H
#define MG_SERVER_TLS_H

#include <glib.h>
#include <openssl/ssl.h>

/* A server context from a PEM certificate chain and key; section names the
 * config section in error messages ("smtp", "icap"). NULL with err set. */
SSL_CTX *mg_tls_server_ctx(const char *section, const char *cert, const char *key, GError **err);
/* A client context without certificate verification (encryption on a
 * private segment, not authentication). */
SSL_CTX *mg_tls_client_ctx(const char *section, GError **err);

#endif
