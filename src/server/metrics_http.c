#include "server/metrics_http.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "engine/metrics.h"
#include "server/listener.h"

/* A scraper sends a few hundred bytes; anything longer is not one. */
#define HEAD_MAX 4096
#define READ_SECONDS 5.0

struct mg_metrics_server {
    struct mg_listener *listener;
    pthread_mutex_t lock;        /* guards er: a reload swaps it */
    struct mg_engine_ref *er;
    char *listen;
};

/* A new reference to the current engine (for the signature database age). */
static struct mg_engine_ref *current_engine(struct mg_metrics_server *m)
{
    pthread_mutex_lock(&m->lock);
    struct mg_engine_ref *er = m->er ? mg_engine_ref_get(m->er) : NULL;
    pthread_mutex_unlock(&m->lock);
    return er;
}

static void reply(struct mg_buf *out, const char *status, const char *ctype, const struct mg_buf *body)
{
    mg_buf_printf(out, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                  status, ctype, body ? body->len : 0);
    if (body)
        mg_buf_append(out, body->data, body->len);
}

void mg_metrics_http_respond(const char *head, size_t len, const struct mg_engine *e, struct mg_buf *out)
{
    struct mg_buf body;
    mg_buf_init(&body);
    const char *eol = memchr(head, '\n', len);
    size_t l = eol ? (size_t)(eol - head) : len;
    /* "GET /metrics HTTP/1.x" (a query string is ignored). */
    bool get = l >= 4 && memcmp(head, "GET ", 4) == 0;
    const char *path = get ? head + 4 : NULL;
    size_t plen = 0;
    if (path) {
        while (4 + plen < l && path[plen] != ' ' && path[plen] != '?' && path[plen] != '\r')
            plen++;
    }
    if (!get) {
        mg_buf_puts(&body, "only GET\n");
        reply(out, "405 Method Not Allowed", "text/plain; charset=utf-8", &body);
    } else if (plen == 8 && memcmp(path, "/metrics", 8) == 0) {
        mg_metrics_render(e, &body);
        if (mg_buf_failed(&body)) {
            mg_buf_free(&body);
            mg_buf_init(&body);
            mg_buf_puts(&body, "out of memory\n");
            reply(out, "500 Internal Server Error", "text/plain; charset=utf-8", &body);
        } else {
            reply(out, "200 OK", "text/plain; version=0.0.4; charset=utf-8", &body);
        }
    } else {
        mg_buf_puts(&body, "not found: try /metrics\n");
        reply(out, "404 Not Found", "text/plain; charset=utf-8", &body);
    }
    mg_buf_free(&body);
}

/* Reads until the blank line ending the request head, HEAD_MAX bytes or the
 * deadline; returns the bytes read (0: nothing usable). */
static size_t read_head(int fd, char *buf, size_t cap, int abort_fd)
{
    size_t len = 0;
    double deadline = mg_server_now() + READ_SECONDS;
    while (len < cap) {
        double left = deadline - mg_server_now();
        if (left <= 0)
            return 0;
        struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = abort_fd, .events = POLLIN } };
        int n = poll(p, abort_fd >= 0 ? 2 : 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (abort_fd >= 0 && (p[1].revents & POLLIN)))
            return 0;
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return len; /* the client closed after its request: answer what we have */
        len += (size_t)r;
        if (g_strstr_len(buf, (gssize)len, "\r\n\r\n") || g_strstr_len(buf, (gssize)len, "\n\n"))
            return len;
    }
    return len;
}

static void send_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the scraper went away; nothing to do */
        p += n;
        len -= (size_t)n;
    }
}

static void conn_main(int fd, const struct mg_peer *peer, void *ud)
{
    (void)peer;
    struct mg_metrics_server *m = ud;
    char head[HEAD_MAX];
    size_t len = read_head(fd, head, sizeof(head), mg_listener_abort_fd(m->listener));
    if (len > 0) {
        struct mg_engine_ref *er = current_engine(m);
        struct mg_buf out;
        mg_buf_init(&out);
        mg_metrics_http_respond(head, len, er ? er->engine : NULL, &out);
        if (!mg_buf_failed(&out))
            send_all(fd, out.data, out.len);
        mg_buf_free(&out);
        if (er)
            mg_engine_ref_put(er);
    }
    close(fd);
}

static void busy(int fd, const struct mg_peer *peer, bool per_ip, void *ud)
{
    (void)peer, (void)per_ip, (void)ud;
    static const char m[] = "HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
    ssize_t w = send(fd, m, sizeof(m) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
}

struct mg_metrics_server *mg_metrics_server_new(GKeyFile *kf, struct mg_engine_ref *er, GError **err)
{
    char *listen = mg_config_get_string(kf, "metrics", "listen", err);
    if (listen == NULL)
        return NULL;
    g_strstrip(listen);
    if (*listen == '\0') {
        g_free(listen);
        return NULL;
    }
    struct mg_metrics_server *m = g_new0(struct mg_metrics_server, 1);
    m->listen = listen;
    /* A scraper every few seconds: a handful of connections is plenty, and
     * the cap keeps a misbehaving client from tying up threads. */
    struct mg_listener_opts o = { .max_conns = 8, .max_per_ip = 4 };
    m->listener = mg_listener_new(m->listen, &o, err);
    if (m->listener == NULL) {
        g_free(m->listen);
        g_free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->er = mg_engine_ref_get(er);
    return m;
}

bool mg_metrics_server_start(struct mg_metrics_server *m, GError **err)
{
    if (!mg_listener_start(m->listener, conn_main, busy, m, err))
        return false;
    mg_log(MG_LOG_NOTICE, NULL, NULL, "metrics on http://%s/metrics (port %u)", m->listen,
           mg_listener_port(m->listener));
    return true;
}

unsigned mg_metrics_server_port(const struct mg_metrics_server *m)
{
    return mg_listener_port(m->listener);
}

void mg_metrics_server_set_engine(struct mg_metrics_server *m, struct mg_engine_ref *er)
{
    struct mg_engine_ref *next = mg_engine_ref_get(er);
    pthread_mutex_lock(&m->lock);
    struct mg_engine_ref *old = m->er;
    m->er = next;
    pthread_mutex_unlock(&m->lock);
    if (old)
        mg_engine_ref_put(old);
}

void mg_metrics_server_free(struct mg_metrics_server *m)
{
    if (m == NULL)
        return;
    mg_listener_stop(m->listener);
    /* A scrape takes milliseconds; one second then cut off. */
    mg_listener_drain(m->listener, mg_server_now() + 1.0, 1.0);
    mg_listener_free(m->listener);
    if (m->er)
        mg_engine_ref_put(m->er);
    pthread_mutex_destroy(&m->lock);
    g_free(m->listen);
    g_free(m);
}
