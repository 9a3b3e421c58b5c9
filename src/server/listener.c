#include "server/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <openssl/err.h>

#include "core/log.h"

struct mg_listener {
    int fd;
    unsigned port;
    int drain_fd, abort_fd;
    pthread_t thread;
    bool started;
    mg_conn_fn fn;
    mg_busy_fn busy;
    void *ud;

    pthread_mutex_t lock;
    pthread_cond_t idle;
    struct mg_listener_opts opts;
    unsigned active;
    GHashTable *per_ip;           /* ip string -> count */
    bool draining;

    /* Session threads are kept for the next connection (SPARE_MAX idle
     * at most, each for SPARE_SECONDS): clients such as smtp-source or a
     * sending MTA under load open one connection per message, and a thread
     * per connection cost a clone, a stack and its release every time. */
    unsigned threads;             /* session threads alive, busy or idle */
    unsigned spare;               /* idle ones waiting in conn_main */
    struct conn_arg *handoff;     /* a connection for one idle thread */
    bool closing;                 /* mg_listener_free: idle threads leave */
    pthread_cond_t spare_cv, gone_cv;
};

enum { SPARE_MAX = 64 };
#define SPARE_SECONDS 10.0

struct conn_arg {
    struct mg_listener *l;
    int fd;
    struct mg_peer peer;
};

bool mg_server_split_hostport(const char *s, char *host, size_t host_size, unsigned *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return false;
        h = s + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return false;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= host_size)
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || !end || *end || end == colon + 1 || p > 65535)
        return false;
    *port = (unsigned)p;
    return true;
}

static void peer_fill(struct mg_peer *p)
{
    p->ip[0] = '\0';
    p->port = 0;
    if (p->addr.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&p->addr;
        inet_ntop(AF_INET, &a->sin_addr, p->ip, sizeof(p->ip));
        p->port = ntohs(a->sin_port);
    } else if (p->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&p->addr;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            /* Report ::ffff:a.b.c.d as a.b.c.d so IPv4 rules and limits apply. */
            struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = a->sin6_port };
            memcpy(&v4.sin_addr, &a->sin6_addr.s6_addr[12], 4);
            memcpy(&p->addr, &v4, sizeof(v4));
            p->addr_len = sizeof(v4);
            inet_ntop(AF_INET, &v4.sin_addr, p->ip, sizeof(p->ip));
        } else {
            inet_ntop(AF_INET6, &a->sin6_addr, p->ip, sizeof(p->ip));
        }
        p->port = ntohs(a->sin6_port);
    }
    if (!p->ip[0])
        snprintf(p->ip, sizeof(p->ip), "unknown");
}

struct mg_listener *mg_listener_new(const char *addr, const struct mg_listener_opts *o,
                                    GError **err)
{
    char host[256];
    unsigned port;
    if (!mg_server_split_hostport(addr, host, sizeof(host), &port)) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "bad listen address '%s' (want host:port or [v6]:port)", addr);
        return NULL;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || !res) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot resolve listen address '%s': %s",
                    addr, gai_strerror(rc));
        return NULL;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return NULL;
    }
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot listen on %s: %s", addr,
                    strerror(errno));
        freeaddrinfo(res);
        close(fd);
        return NULL;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    struct mg_listener *l = calloc(1, sizeof(*l));
    if (!l) {
        close(fd);
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    l->fd = fd;
    l->port = port;
    l->drain_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->abort_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->drain_fd < 0 || l->abort_fd < 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "eventfd: %s", strerror(errno));
        if (l->drain_fd >= 0)
            close(l->drain_fd);
        if (l->abort_fd >= 0)
            close(l->abort_fd);
        close(fd);
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->idle, &ca);
    pthread_cond_init(&l->spare_cv, &ca);
    pthread_cond_init(&l->gone_cv, &ca);
    pthread_condattr_destroy(&ca);
    l->opts = *o;
    l->per_ip = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return l;
}

unsigned mg_listener_port(const struct mg_listener *l) { return l->port; }
int mg_listener_drain_fd(const struct mg_listener *l) { return l->drain_fd; }
int mg_listener_abort_fd(const struct mg_listener *l) { return l->abort_fd; }

void mg_listener_set_opts(struct mg_listener *l, const struct mg_listener_opts *o)
{
    pthread_mutex_lock(&l->lock);
    l->opts = *o;
    pthread_mutex_unlock(&l->lock);
}

bool mg_listener_draining(const struct mg_listener *l)
{
    pthread_mutex_lock((pthread_mutex_t *)&l->lock);
    bool d = l->draining;
    pthread_mutex_unlock((pthread_mutex_t *)&l->lock);
    return d;
}

unsigned mg_listener_active(struct mg_listener *l)
{
    pthread_mutex_lock(&l->lock);
    unsigned n = l->active;
    pthread_mutex_unlock(&l->lock);
    return n;
}

static void conn_done(struct mg_listener *l, const char *ip)
{
    pthread_mutex_lock(&l->lock);
    l->active--;
    gpointer v = g_hash_table_lookup(l->per_ip, ip);
    uintptr_t n = (uintptr_t)v;
    if (n <= 1)
        g_hash_table_remove(l->per_ip, ip);
    else
        g_hash_table_insert(l->per_ip, g_strdup(ip), (gpointer)(n - 1));
    if (l->active == 0)
        pthread_cond_broadcast(&l->idle);
    pthread_mutex_unlock(&l->lock);
}

static struct timespec abs_in(double s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)s;
    ts.tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void *conn_main(void *p)
{
    struct conn_arg *a = p;
    struct mg_listener *l = a->l;
    for (;;) {
        /* A kept thread starts each connection as a new thread would: no
         * OpenSSL errors left over from the last one's TLS. */
        ERR_clear_error();
        l->fn(a->fd, &a->peer, l->ud);
        conn_done(l, a->peer.ip);
        free(a);
        a = NULL;
        pthread_mutex_lock(&l->lock);
        if (!l->closing && !l->draining && l->spare < SPARE_MAX) {
            struct timespec dl = abs_in(SPARE_SECONDS);
            l->spare++;
            while (l->handoff == NULL && !l->closing) {
                if (pthread_cond_timedwait(&l->spare_cv, &l->lock, &dl) == ETIMEDOUT)
                    break;
            }
            l->spare--;
            a = l->handoff;  /* taken even after a timeout: it was meant for us */
            l->handoff = NULL;
        }
        if (a == NULL) {
            l->threads--;
            pthread_cond_broadcast(&l->gone_cv);
            pthread_mutex_unlock(&l->lock);
            return NULL;
        }
        pthread_mutex_unlock(&l->lock);
    }
}

/* Returns 0 accepted, 1 over the total cap, 2 over the per-IP cap. */
static int conn_admit(struct mg_listener *l, const char *ip)
{
    pthread_mutex_lock(&l->lock);
    uintptr_t n = (uintptr_t)g_hash_table_lookup(l->per_ip, ip);
    int rc = 0;
    if (l->opts.max_conns && l->active >= l->opts.max_conns)
        rc = 1;
    else if (l->opts.max_per_ip && n >= l->opts.max_per_ip)
        rc = 2;
    else {
        l->active++;
        g_hash_table_insert(l->per_ip, g_strdup(ip), (gpointer)(n + 1));
    }
    pthread_mutex_unlock(&l->lock);
    return rc;
}

static void accept_one(struct mg_listener *l)
{
    struct conn_arg *a = calloc(1, sizeof(*a));
    if (!a)
        return;
    a->l = l;
    a->peer.addr_len = sizeof(a->peer.addr);
    int fd = accept4(l->fd, (struct sockaddr *)&a->peer.addr, &a->peer.addr_len,
                     SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            mg_log_errno(MG_LOG_WARN, NULL, NULL, "accept");
            usleep(100 * 1000); /* don't spin while out of descriptors */
        }
        free(a);
        return;
    }
    peer_fill(&a->peer);
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int adm = conn_admit(l, a->peer.ip);
    if (adm != 0) {
        mg_log(MG_LOG_WARN, NULL, NULL, "connection refused client=%s reason=%s", a->peer.ip,
               adm == 1 ? "max-connections" : "max-connections-per-ip");
        if (l->busy)
            l->busy(fd, &a->peer, adm == 2, l->ud);
        close(fd);
        free(a);
        return;
    }
    a->fd = fd;
    pthread_mutex_lock(&l->lock); /* opts change on reload */
    if (l->spare > 0 && l->handoff == NULL) {
        l->handoff = a;
        pthread_cond_signal(&l->spare_cv);
        pthread_mutex_unlock(&l->lock);
        return;
    }
    size_t stack = l->opts.thread_stack ? l->opts.thread_stack : 512 * 1024;
    l->threads++;
    pthread_mutex_unlock(&l->lock);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, stack);
    pthread_t t;
    int rc = pthread_create(&t, &attr, conn_main, a);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_lock(&l->lock);
        l->threads--;
        pthread_mutex_unlock(&l->lock);
        mg_log(MG_LOG_ERROR, NULL, NULL, "cannot start a session thread: %s", strerror(rc));
        if (l->busy)
            l->busy(fd, &a->peer, false, l->ud);
        close(fd);
        conn_done(l, a->peer.ip);
        free(a);
    }
}

static void *accept_main(void *p)
{
    struct mg_listener *l = p;
    for (;;) {
        struct pollfd pfd[2] = { { .fd = l->fd, .events = POLLIN }, { .fd = l->drain_fd, .events = POLLIN } };
        int n = poll(pfd, 2, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            mg_log_errno(MG_LOG_ERROR, NULL, NULL, "poll on listener");
            break;
        }
        if (pfd[1].revents)
            break;
        if (pfd[0].revents & POLLIN)
            accept_one(l);
    }
    return NULL;
}

bool mg_listener_start(struct mg_listener *l, mg_conn_fn fn, mg_busy_fn busy, void *ud,
                       GError **err)
{
    l->fn = fn;
    l->busy = busy;
    l->ud = ud;
    int rc = pthread_create(&l->thread, NULL, accept_main, l);
    if (rc != 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start the accept thread: %s",
                    strerror(rc));
        return false;
    }
    l->started = true;
    return true;
}

static void event_raise(int fd)
{
    uint64_t one = 1;
    ssize_t w = write(fd, &one, sizeof(one));
    (void)w; /* an eventfd write only fails when the counter would overflow */
}

void mg_listener_stop(struct mg_listener *l)
{
    pthread_mutex_lock(&l->lock);
    bool was = l->draining;
    l->draining = true;
    pthread_mutex_unlock(&l->lock);
    if (was)
        return;
    event_raise(l->drain_fd);
    if (l->started) {
        pthread_join(l->thread, NULL);
        l->started = false;
    }
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}

static bool wait_idle_until(struct mg_listener *l, double deadline)
{
    struct timespec ts;
    double whole = (double)(int64_t)deadline;
    ts.tv_sec = (time_t)whole;
    ts.tv_nsec = (long)((deadline - whole) * 1e9);
    pthread_mutex_lock(&l->lock);
    while (l->active > 0) {
        if (pthread_cond_timedwait(&l->idle, &l->lock, &ts) == ETIMEDOUT)
            break;
    }
    bool idle = l->active == 0;
    pthread_mutex_unlock(&l->lock);
    return idle;
}

double mg_server_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned mg_listener_drain(struct mg_listener *l, double deadline, double grace)
{
    mg_listener_stop(l);
    if (!wait_idle_until(l, deadline)) {
        event_raise(l->abort_fd);
        (void)wait_idle_until(l, mg_server_now() + grace);
    }
    return mg_listener_active(l);
}

void mg_listener_free(struct mg_listener *l)
{
    if (!l)
        return;
    mg_listener_stop(l);
    /* Idle kept threads leave now; busy ones cannot exist here (only
     * after mg_listener_drain returned 0). */
    pthread_mutex_lock(&l->lock);
    l->closing = true;
    pthread_cond_broadcast(&l->spare_cv);
    while (l->threads > 0)
        pthread_cond_wait(&l->gone_cv, &l->lock);
    pthread_mutex_unlock(&l->lock);
    close(l->drain_fd);
    close(l->abort_fd);
    g_hash_table_destroy(l->per_ip);
    pthread_cond_destroy(&l->spare_cv);
    pthread_cond_destroy(&l->gone_cv);
    pthread_cond_destroy(&l->idle);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
