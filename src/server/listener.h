/* A TCP listener that runs each accepted connection on its own thread, with
 * a cap on all connections and on connections per client address (the
 * Postfix single_server idea: the skeleton owns accepting, limits and
 * draining; a protocol only writes the per-connection function). Shared by
 * the SMTP and ICAP front ends. See doc/smtp.md for why threads. */
#ifndef MG_SERVER_LISTENER_H
#define MG_SERVER_LISTENER_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct mg_listener;

struct mg_peer {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char ip[64];                 /* numeric, for logs and limits */
    unsigned port;
};

/* Runs on the connection's own thread; owns fd and must close it. */
typedef void (*mg_conn_fn)(int fd, const struct mg_peer *peer, void *ud);
/* Called on the accept thread when a limit refuses a connection: write one
 * short reply (non-blocking socket, best effort); the listener closes fd. */
typedef void (*mg_busy_fn)(int fd, const struct mg_peer *peer, bool per_ip, void *ud);

struct mg_listener_opts {
    unsigned max_conns;          /* 0 = unlimited (not recommended) */
    unsigned max_per_ip;         /* 0 = unlimited */
    size_t thread_stack;         /* 0 = 512 KiB */
};

/* addr is "host:port" or "[v6]:port"; port 0 picks an ephemeral port. */
struct mg_listener *mg_listener_new(const char *addr, const struct mg_listener_opts *o,
                                    GError **err);
/* The port actually bound (useful with port 0). */
unsigned mg_listener_port(const struct mg_listener *l);
/* Limits can change on reload; they apply to new connections. */
void mg_listener_set_opts(struct mg_listener *l, const struct mg_listener_opts *o);
bool mg_listener_start(struct mg_listener *l, mg_conn_fn fn, mg_busy_fn busy, void *ud,
                       GError **err);
/* Stops accepting (closes the socket) and makes drain_fd readable, so idle
 * sessions can say 421 and leave. */
void mg_listener_stop(struct mg_listener *l);
/* Waits until no connection is left or the monotonic deadline (mg_server_now()
 * seconds) passes; then makes abort_fd readable and waits
 * up to grace seconds more. Returns the number of connections still running. */
unsigned mg_listener_drain(struct mg_listener *l, double deadline, double grace);
/* Readable (level-triggered, never consumed) once draining / aborting. */
int mg_listener_drain_fd(const struct mg_listener *l);
int mg_listener_abort_fd(const struct mg_listener *l);
bool mg_listener_draining(const struct mg_listener *l);
unsigned mg_listener_active(struct mg_listener *l);
/* Only after mg_listener_drain returned 0 (or never started). */
void mg_listener_free(struct mg_listener *l);

/* Monotonic clock in seconds: the time base of every deadline here. */
double mg_server_now(void);

/* Parses "host:port" / "[v6]:port" into host and port. */
bool mg_server_split_hostport(const char *s, char *host, size_t host_size, unsigned *port);

#endif
