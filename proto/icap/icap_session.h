/* Internal to proto/icap: the server's generations, one connection's and
 * one request's state, and the steps of a request. Not for other modules. */
#ifndef MG_ICAP_SESSION_H
#define MG_ICAP_SESSION_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/buf.h"
#include "core/spool.h"
#include "engine/engine.h"
#include "proto/icap/icap_config.h"
#include "proto/icap/icap_io.h"
#include "proto/icap/icap_parse.h"
#include "proto/icap/icap_server.h"
#include "server/workpool.h"
#include "server/front.h"
#include "server/listener.h"

/* Everything a reload replaces, shared by reference: a connection takes one
 * per request. */
struct mg_icap_gen {
    struct mg_gen base;          /* first: server/front.h */
    struct mg_engine_ref *er;
    struct mg_icap_config *cfg;
    SSL_CTX *tls;                /* NULL: plain ICAP */
    char istag[40];              /* quoted, changes with policy and signatures */
};

struct mg_icap_server {
    struct mg_front front;       /* listener, engine pool, current generation */
    atomic_ulong conn_seq;
};

struct mg_icap_gen *mg_icap_server_gen(struct mg_icap_server *s);
void mg_icap_gen_put(struct mg_icap_gen *g);

/* One request being served. */
struct mg_icap_tx {
    struct mg_icap_server *srv;
    struct mg_icap_gen *gen;
    const struct mg_peer *peer;
    struct mg_icap_io *io;
    char conn_id[24];
    struct mg_icap_req req;
    char head[MG_ICAP_MAX_HEAD_BYTES];     /* the ICAP header block (req views point here) */
    struct mg_icap_encap encap;
    char *encap_hdrs;                      /* req-hdr + res-hdr bytes (encap.body_off) */
    struct mg_icap_head req_hdr, res_hdr;  /* parsed views into encap_hdrs */
    bool have_req_hdr, have_res_hdr;
    bool service_is_respmod;
    char job_id[64];                       /* once an engine job exists */
    bool allow_204;                        /* Allow: 204 */
    bool has_preview;
    bool complete_in_preview;              /* preview ended with ieof */
    uint64_t preview;                      /* Preview: n */
    bool close;                            /* close the connection after this request */
    int http_status;                       /* of the encapsulated response, 0 for REQMOD */
    char url[1024];                        /* from the request line, for logs and the block page */
    char name[256];                        /* file name given to the engine */
    uint64_t body_in;                      /* bytes received (encoded) */
    const char *outcome;                   /* for the log line */
    int icap_status;
};

/* The listener's per-connection function (ud: the server). */
void mg_icap_session_main(int fd, const struct mg_peer *peer, void *ud);

/* Replies */
bool mg_icap_send_status(struct mg_icap_tx *tx, int code, const char *text);
bool mg_icap_send_options(struct mg_icap_tx *tx);
bool mg_icap_send_204(struct mg_icap_tx *tx);
/* 200 with an HTTP message: http_head is the complete encapsulated header
 * block (request or response, per is_req), body may be NULL (null-body). */
bool mg_icap_send_200(struct mg_icap_tx *tx, const struct mg_buf *http_head, bool is_req,
                      const uint8_t *body, size_t body_len);

/* RESPMOD and REQMOD after the ICAP header block was read and checked. */
void mg_icap_modify(struct mg_icap_tx *tx);

/* Body reading: chunks into sp (nothing past max is kept; *over is set and
 * the rest is read and dropped so the connection stays in step). */
enum mg_icap_body_rc { MG_ICAP_BODY_OK = 0, MG_ICAP_BODY_BAD, MG_ICAP_BODY_IO };
enum mg_icap_body_rc mg_icap_read_chunks(struct mg_icap_tx *tx, struct mg_spool *sp, uint64_t max,
                                         bool *over, bool *ieof);

#endif
