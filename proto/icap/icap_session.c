/* One ICAP connection: requests one after another (persistent connections,
 * RFC 3507 4.3), each with its own deadline. Anything we cannot frame is
 * answered with an error status and the connection is closed: after a
 * framing error the next byte's meaning is unknown (no resynchronising). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "mg_config.h"
#include "proto/icap/icap_session.h"

static void http_date(char *out, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        out[0] = '\0';
}

/* The headers every reply carries. */
static void common_headers(struct mg_icap_tx *tx, struct mg_buf *b)
{
    char date[64];
    http_date(date, sizeof(date));
    mg_buf_printf(b, "ISTag: %s\r\nDate: %s\r\nServer: mugai/%s\r\n", tx->gen->istag, date, MG_VERSION);
    if (tx->close)
        mg_buf_puts(b, "Connection: close\r\n");
}

static bool send_buf(struct mg_icap_tx *tx, struct mg_buf *b)
{
    bool ok = !mg_buf_failed(b) && mg_icap_io_write(tx->io, b->data, b->len);
    mg_buf_free(b);
    if (!ok)
        tx->close = true;
    return ok;
}

bool mg_icap_send_status(struct mg_icap_tx *tx, int code, const char *text)
{
    struct mg_buf b;
    mg_buf_init(&b);
    mg_buf_printf(&b, "ICAP/1.0 %d %s\r\n", code, text);
    common_headers(tx, &b);
    mg_buf_puts(&b, "Encapsulated: null-body=0\r\n\r\n");
    tx->icap_status = code;
    return send_buf(tx, &b);
}

bool mg_icap_send_204(struct mg_icap_tx *tx)
{
    return mg_icap_send_status(tx, 204, "No Content");
}

bool mg_icap_send_options(struct mg_icap_tx *tx)
{
    const struct mg_icap_config *c = tx->gen->cfg;
    bool resp = tx->service_is_respmod;
    struct mg_buf b;
    mg_buf_init(&b);
    mg_buf_puts(&b, "ICAP/1.0 200 OK\r\n");
    mg_buf_printf(&b, "Methods: %s\r\n", resp ? "RESPMOD" : "REQMOD");
    mg_buf_printf(&b, "Service: mugai/%s content disarm (%s)\r\n", MG_VERSION, resp ? "downloads" : "uploads");
    common_headers(tx, &b);
    mg_buf_printf(&b, "Max-Connections: %llu\r\n", (unsigned long long)c->max_connections);
    mg_buf_printf(&b, "Options-TTL: %.0f\r\n", c->options_ttl);
    if (c->use_204)
        mg_buf_puts(&b, "Allow: 204\r\n");
    mg_buf_printf(&b, "Preview: %llu\r\n", (unsigned long long)c->preview_size);
    /* Exactly one list holds "*" (RFC 3507 4.10.2): preview is the default. */
    mg_buf_puts(&b, "Transfer-Preview: *\r\n");
    if (c->transfer_complete[0] && strcmp(c->transfer_complete, "*") != 0)
        mg_buf_printf(&b, "Transfer-Complete: %s\r\n", c->transfer_complete);
    if (c->transfer_ignore[0] && strcmp(c->transfer_ignore, "*") != 0)
        mg_buf_printf(&b, "Transfer-Ignore: %s\r\n", c->transfer_ignore);
    mg_buf_puts(&b, "X-Include: X-Client-IP\r\nEncapsulated: null-body=0\r\n\r\n");
    tx->icap_status = 200;
    tx->outcome = "options";
    return send_buf(tx, &b);
}

static bool path_is(const struct mg_icap_req *r, const char *path)
{
    size_t n = strlen(path);
    return r->service_len == n && memcmp(r->service, path, n) == 0;
}

/* Serves one request whose first byte has arrived. */
static void serve_one(struct mg_icap_tx *tx)
{
    const char *data = NULL;
    size_t len = 0;
    enum mg_icap_io_rc rc = mg_icap_io_read_head(tx->io, MG_ICAP_MAX_HEAD_BYTES, &data, &len);
    if (rc == MG_ICAP_IO_TOO_LONG) {
        tx->close = true;
        mg_icap_send_status(tx, 413, "Request Entity Too Large");
        tx->outcome = "header-too-long";
        return;
    }
    if (rc != MG_ICAP_IO_OK) {
        tx->close = true;
        tx->outcome = rc == MG_ICAP_IO_TIMEOUT ? "timeout" : "eof";
        return;
    }
    memcpy(tx->head, data, len);
    enum mg_icap_perr pe = mg_icap_parse_request(tx->head, len, &tx->req);
    if (pe != MG_ICAP_P_OK) {
        tx->close = true;
        if (pe == MG_ICAP_P_BAD_VERSION)
            mg_icap_send_status(tx, 505, "ICAP Version Not Supported");
        else
            mg_icap_send_status(tx, 400, "Bad Request");
        tx->outcome = "bad-request";
        return;
    }
    const struct mg_icap_hdr *conn = mg_icap_head_get(&tx->req.head, "Connection", NULL);
    if (conn && mg_icap_value_has_token(conn->value, conn->value_len, "close"))
        tx->close = true;
    const struct mg_icap_config *c = tx->gen->cfg;
    bool resp = path_is(&tx->req, c->respmod_path), reqm = path_is(&tx->req, c->reqmod_path);
    tx->service_is_respmod = resp;
    if (tx->req.method == MG_ICAP_M_OTHER) {
        tx->close = true; /* we cannot know how its body is framed */
        mg_icap_send_status(tx, 501, "Method Not Implemented");
        tx->outcome = "bad-method";
        return;
    }
    if (!resp && !reqm) {
        tx->close = true;
        mg_icap_send_status(tx, 404, "ICAP Service Not Found");
        tx->outcome = "no-service";
        return;
    }
    bool dup = false;
    const struct mg_icap_hdr *enc = mg_icap_head_get(&tx->req.head, "Encapsulated", &dup);
    if (tx->req.method == MG_ICAP_M_OPTIONS) {
        /* An OPTIONS body (opt-body) is not defined by RFC 3507; refuse to guess its framing. */
        if (enc && !(mg_icap_parse_encapsulated(enc->value, enc->value_len, MG_ICAP_M_OPTIONS, &tx->encap) &&
                     tx->encap.body == MG_ICAP_B_NULL && tx->encap.body_off == 0)) {
            tx->close = true;
            mg_icap_send_status(tx, 400, "Bad Request");
            tx->outcome = "bad-encapsulated";
            return;
        }
        mg_icap_send_options(tx);
        return;
    }
    if ((tx->req.method == MG_ICAP_M_RESPMOD) != resp) {
        tx->close = true;
        mg_icap_send_status(tx, 405, "Method Not Allowed For Service");
        tx->outcome = "wrong-method";
        return;
    }
    if (!enc || dup ||
        !mg_icap_parse_encapsulated(enc->value, enc->value_len, tx->req.method, &tx->encap)) {
        tx->close = true;
        if (tx->encap.too_large)
            mg_icap_send_status(tx, 413, "Request Entity Too Large");
        else
            mg_icap_send_status(tx, 400, "Bad Request");
        tx->outcome = tx->encap.too_large ? "headers-too-large" : "bad-encapsulated";
        return;
    }
    mg_icap_modify(tx);
}

void mg_icap_session_main(int fd, const struct mg_peer *peer, void *ud)
{
    struct mg_icap_server *srv = ud;
    struct mg_icap_io io;
    struct mg_icap_gen *g0 = mg_icap_server_gen(srv);
    char conn_id[24];
    snprintf(conn_id, sizeof(conn_id), "icap-%lu", (unsigned long)atomic_fetch_add(&srv->conn_seq, 1) + 1);
    if (!mg_icap_io_init(&io, fd, g0->cfg->read_timeout)) {
        mg_icap_gen_put(g0);
        close(fd);
        return;
    }
    int drain_fd = mg_listener_drain_fd(srv->front.listener);
    int abort_fd = mg_listener_abort_fd(srv->front.listener);
    bool ok = true;
    if (g0->tls) {
        io.wake_fd = abort_fd;
        io.deadline = mg_server_now() + g0->cfg->read_timeout;
        if (mg_icap_io_tls_accept(&io, g0->tls) != MG_ICAP_IO_OK) {
            mg_log(MG_LOG_INFO, conn_id, NULL, "icap client %s: TLS handshake failed", peer->ip);
            ok = false;
        }
    }
    mg_icap_gen_put(g0);
    unsigned served = 0;
    while (ok) {
        struct mg_icap_gen *g = mg_icap_server_gen(srv);
        /* Idle: a drain closes the connection between requests. */
        io.wake_fd = drain_fd;
        uint64_t in0 = io.bytes_in, out0 = io.bytes_out;
        enum mg_icap_io_rc rc = mg_icap_io_wait_request(&io, g->cfg->idle_timeout);
        if (rc != MG_ICAP_IO_OK) {
            mg_icap_gen_put(g);
            break;
        }
        struct mg_icap_tx *tx = calloc(1, sizeof(*tx));
        if (!tx) {
            mg_icap_gen_put(g);
            break;
        }
        io.wake_fd = abort_fd;
        io.read_timeout = g->cfg->read_timeout;
        double t0 = mg_server_now();
        io.deadline = t0 + g->cfg->request_timeout;
        tx->srv = srv;
        tx->gen = g;
        tx->peer = peer;
        tx->io = &io;
        g_strlcpy(tx->conn_id, conn_id, sizeof(tx->conn_id));
        serve_one(tx);
        io.deadline = 0;
        served++;
        if (tx->icap_status || tx->outcome)
            mg_log(MG_LOG_INFO, tx->job_id[0] ? tx->job_id : conn_id, NULL,
                   "icap %s %s %.*s -> %d %s url=%s in=%llu out=%llu %.3fs", peer->ip, conn_id,
                   (int)(tx->req.method_len > 16 ? 16 : tx->req.method_len),
                   tx->req.method_name ? tx->req.method_name : "-", tx->icap_status,
                   tx->outcome ? tx->outcome : "-", tx->url[0] ? tx->url : "-",
                   (unsigned long long)(io.bytes_in - in0), (unsigned long long)(io.bytes_out - out0),
                   mg_server_now() - t0);
        bool again = !tx->close;
        free(tx->encap_hdrs);
        free(tx);
        mg_icap_gen_put(g);
        if (!again)
            break;
    }
    (void)served;
    mg_icap_io_free(&io);
    close(fd);
}
