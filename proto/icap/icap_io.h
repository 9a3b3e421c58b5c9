/* Buffered, bounded, timed I/O on one ICAP connection (plain or TLS). Every
 * read has a length bound and a deadline; reads give views into the input
 * buffer, so a header block is parsed in place. */
#ifndef MG_ICAP_IO_H
#define MG_ICAP_IO_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/icap/icap_parse.h"

/* Room for a whole ICAP header block plus the encapsulated HTTP headers. */
#define MG_ICAP_IOBUF (MG_ICAP_MAX_HEAD_BYTES + MG_ICAP_MAX_ENCAP_BYTES + 4096)

enum mg_icap_io_rc {
    MG_ICAP_IO_OK = 0,
    MG_ICAP_IO_EOF,        /* peer closed (cleanly, between requests, when nothing was read) */
    MG_ICAP_IO_TIMEOUT,
    MG_ICAP_IO_ERROR,      /* socket or TLS error, or EOF in the middle of something */
    MG_ICAP_IO_WAKE,       /* the wake fd (server draining) became readable */
    MG_ICAP_IO_TOO_LONG,   /* bound exceeded */
};

struct mg_icap_io {
    int fd;
    SSL *ssl;                    /* NULL for plain ICAP */
    uint8_t *in;                 /* MG_ICAP_IOBUF bytes */
    size_t start, end;
    int wake_fd;                 /* -1 when unused */
    double deadline;             /* mg_server_now() seconds: the whole request */
    double read_timeout;         /* per wait */
    uint64_t bytes_in, bytes_out;
};

bool mg_icap_io_init(struct mg_icap_io *io, int fd, double read_timeout);
void mg_icap_io_free(struct mg_icap_io *io);   /* frees TLS and the buffer; does not close fd */
enum mg_icap_io_rc mg_icap_io_tls_accept(struct mg_icap_io *io, SSL_CTX *ctx);
size_t mg_icap_io_buffered(const struct mg_icap_io *io);

/* Waits up to timeout for the first byte of a request (idle connection);
 * the wake fd interrupts. */
enum mg_icap_io_rc mg_icap_io_wait_request(struct mg_icap_io *io, double timeout);
/* Reads a header block (through its empty line) of at most max bytes;
 * *data points into the buffer, valid until the next read call. */
enum mg_icap_io_rc mg_icap_io_read_head(struct mg_icap_io *io, size_t max, const char **data,
                                        size_t *len);
/* Reads exactly n bytes (n <= MG_ICAP_MAX_ENCAP_BYTES) as a view. */
enum mg_icap_io_rc mg_icap_io_read_exact(struct mg_icap_io *io, size_t n, const char **data);
/* Reads one line (CRLF or LF) of at most max bytes without its end. */
enum mg_icap_io_rc mg_icap_io_getline(struct mg_icap_io *io, size_t max, const char **line,
                                      size_t *len);
/* Up to want bytes as a view (at least 1). */
enum mg_icap_io_rc mg_icap_io_read_some(struct mg_icap_io *io, size_t want, const uint8_t **data,
                                        size_t *got);
/* Writes everything or fails (deadline and read_timeout apply). */
bool mg_icap_io_write(struct mg_icap_io *io, const void *data, size_t len);

#endif
