#include "server/tls.h"

#include <gio/gio.h>
#include <openssl/err.h>

static void tls_error(GError **err, const char *section, const char *what, const char *path)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "[%s] %s %s: %s", section, what, path ? path : "",
                e ? buf : "failed");
}

static SSL_CTX *base_ctx(const SSL_METHOD *m, const char *section, GError **err)
{
    SSL_CTX *ctx = SSL_CTX_new(m);
    if (!ctx) {
        tls_error(err, section, "TLS context", NULL);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

SSL_CTX *mg_tls_server_ctx(const char *section, const char *cert, const char *key, GError **err)
{
    SSL_CTX *ctx = base_ctx(TLS_server_method(), section, err);
    if (!ctx)
        return NULL;
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    const char *what = NULL, *path = NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        what = "cannot load tls-cert", path = cert;
    else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        what = "cannot load tls-key", path = key;
    else if (SSL_CTX_check_private_key(ctx) != 1)
        what = "tls-key does not match tls-cert", path = key;
    if (what) {
        tls_error(err, section, what, path);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

SSL_CTX *mg_tls_client_ctx(const char *section, GError **err)
{
    SSL_CTX *ctx = base_ctx(TLS_client_method(), section, err);
    if (ctx)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}
