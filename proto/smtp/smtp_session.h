/* Internal to proto/smtp: the server's generations, one session's state,
 * and the relay step. Not for other modules. */
#ifndef MG_SMTP_SESSION_H
#define MG_SMTP_SESSION_H

#include "sandbox/sandbox.h"
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/buf.h"
#include "core/spool.h"
#include "proto/smtp/smtp_client.h"
#include "proto/smtp/smtp_cmd.h"
#include "proto/smtp/smtp_config.h"
#include "proto/smtp/smtp_io.h"
#include "proto/smtp/smtp_nhcache.h"
#include "proto/smtp/smtp_server.h"
#include "server/front.h"
#include "server/listener.h"
#include "server/workpool.h"

/* Everything a reload replaces, shared by reference: sessions take one at
 * the start of each transaction. */
struct mg_smtp_gen {
    struct mg_gen base;          /* first: server/front.h */
    struct mg_engine_ref *er;
    struct mg_smtp_config *cfg;
    SSL_CTX *tls_server;         /* NULL: no STARTTLS offered */
    SSL_CTX *tls_client;         /* for next-hop-tls */
};

struct mg_smtp_server {
    struct mg_front front;       /* listener, engine pool, current generation */
    atomic_bool next_hop_smtputf8; /* learnt from the last next-hop EHLO */
    atomic_ulong session_seq;
    struct mg_smtp_nhcache nhcache; /* idle next-hop connections between sessions */
};

struct mg_smtp_gen *mg_smtp_server_gen(struct mg_smtp_server *s);
void mg_smtp_gen_put(struct mg_smtp_gen *g);

struct mg_smtp_tx {
    bool active;                 /* MAIL accepted */
    bool broken;                 /* next hop failed mid-transaction: 4xx until RSET */
    char from[MG_SMTP_PATH_MAX + 1];
    bool smtputf8;
    enum mg_smtp_body body;
    GPtrArray *rcpts;            /* char*, accepted by the next hop */
};

struct mg_smtp_session {
    struct mg_smtp_server *srv;
    struct mg_smtp_gen *gen;
    const struct mg_peer *peer;
    struct mg_smtp_io io;
    char id[32];
    char helo[MG_SMTP_DOMAIN_MAX + 1];
    bool greeted, tls;
    struct mg_smtp_tx tx;
    struct mg_smtp_client next;  /* next.open while a next-hop connection is up */
    unsigned errors, messages, rcpts_total;
    const char *end_reason;
};

/* The listener's per-connection function (ud: the server). */
void mg_smtp_session_main(int fd, const struct mg_peer *peer, void *ud);

/* Queues one reply "code enh text\r\n" to the client. */
void mg_smtp_reply(struct mg_smtp_session *ss, int code, const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* After DATA: sanitizes the spooled message, sends it to the next hop and
 * queues the reply for the client (250 only after the next hop's 250).
 * Returns true when the next hop accepted it (its transaction is over);
 * false otherwise, and then the caller resets the next hop. */
bool mg_smtp_relay(struct mg_smtp_session *ss, struct mg_spool *sp);

/* Builds the message delivered in place of one that was blocked as a whole. */
bool mg_smtp_notice_message(const struct mg_sandbox_result *job, const struct mg_smtp_session *ss,
                            struct mg_buf *out);

/* One audit line for a message; job may be NULL (refused before the engine). */
void mg_smtp_audit(const struct mg_smtp_session *ss, const struct mg_sandbox_result *job, uint64_t size,
                   uint64_t size_out, const struct mg_smtp_reply *next_hop, int code,
                   const char *enh, const char *text);

#endif
