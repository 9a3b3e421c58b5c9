/* Buffered, bounded, timed line I/O on one SMTP connection (plain or TLS),
 * used by both the server session and the next-hop client. Every read has a
 * length bound and a deadline; the optional wake fds (the listener's drain
 * and abort events) interrupt a wait. Also the DATA decoder: a pure
 * push-style function that undoes dot-stuffing and normalises line ends. */
#ifndef MG_SMTP_IO_H
#define MG_SMTP_IO_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spool.h"

#define MG_SMTP_IOBUF 16384

enum mg_io_rc {
    MG_IO_OK = 0,
    MG_IO_EOF,          /* peer closed */
    MG_IO_TIMEOUT,
    MG_IO_ERROR,        /* socket or TLS error */
    MG_IO_WAKE,         /* a wake fd became readable */
    MG_IO_TOO_LONG,     /* line longer than the bound: it was skipped up to its end */
};

struct mg_smtp_io {
    int fd;
    SSL *ssl;                    /* NULL for plain text */
    uint8_t in[MG_SMTP_IOBUF];
    size_t in_start, in_end;
    uint8_t *out;                /* pending replies (flushed before a blocking read) */
    size_t out_len, out_cap;
    bool failed;                 /* sticky write failure */
    int wake_fd[2];              /* -1 when unused */
    double timeout;              /* seconds per read or write wait */
    uint64_t bytes_in, bytes_out;
};

void mg_smtp_io_init(struct mg_smtp_io *io, int fd, double timeout);
void mg_smtp_io_free(struct mg_smtp_io *io);   /* frees TLS; does not close fd */
/* True when buffered input is waiting (pipelined commands). */
bool mg_smtp_io_pending(const struct mg_smtp_io *io);

/* Reads one line of at most max octets without its end; CRLF or a bare LF
 * ends a line (a CR before LF is dropped). line gets a NUL after the data.
 * A longer line is consumed to its end and reported as MG_IO_TOO_LONG. */
enum mg_io_rc mg_smtp_io_getline(struct mg_smtp_io *io, char *line, size_t max, size_t *len);
/* Queues reply text; mg_smtp_io_flush writes everything queued. */
bool mg_smtp_io_put(struct mg_smtp_io *io, const char *s, size_t len);
bool mg_smtp_io_printf(struct mg_smtp_io *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum mg_io_rc mg_smtp_io_flush(struct mg_smtp_io *io);
/* Discards buffered input (after STARTTLS, RFC 3207 4.2: no plaintext carried over). */
void mg_smtp_io_drop_input(struct mg_smtp_io *io);
/* Runs the TLS handshake on the connection, server or client side. */
enum mg_io_rc mg_smtp_io_tls(struct mg_smtp_io *io, SSL_CTX *ctx, bool server, const char *sni);
/* Waits until the fd is readable (or a wake fd fires); for idle waits. */
enum mg_io_rc mg_smtp_io_wait(struct mg_smtp_io *io, bool want_write, double timeout);

/* DATA decoding state (RFC 5321 4.5.2 transparency, 4.1.1.4 end marker). */
struct mg_smtp_data {
    size_t max_line;             /* longest text line allowed, without CRLF (998) */
    bool long_line;              /* a line was longer: message is refused at the end */
    bool done;                   /* the "." line was seen */
    uint64_t lines;
};

enum mg_smtp_data_rc { MG_DATA_MORE = 0, MG_DATA_END, MG_DATA_SPOOL_FAILED };

void mg_smtp_data_init(struct mg_smtp_data *d, size_t max_line);
/* Feeds one received line without its end (as mg_smtp_io_getline gives it;
 * too_long when the reader skipped an over-long line). Appends the unstuffed
 * line plus CRLF to sp (NULL: only look for the end, after a spool failure). */
enum mg_smtp_data_rc mg_smtp_data_line(struct mg_smtp_data *d, const char *line, size_t len,
                                       bool too_long, struct mg_spool *sp);

/* Writes data to a next hop with dot-stuffing and CRLF line ends (input lines
 * end in CRLF or LF; a final line without end gets one), then ".\r\n". */
bool mg_smtp_io_put_dotstuffed(struct mg_smtp_io *io, const uint8_t *data, size_t len);

#endif
