#include "proto/smtp/smtp_io.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUT_FLUSH_AT 65536

void mg_smtp_io_init(struct mg_smtp_io *io, int fd, double timeout)
{
    memset(io, 0, sizeof(*io));
    io->fd = fd;
    io->timeout = timeout;
    io->wake_fd[0] = io->wake_fd[1] = -1;
}

void mg_smtp_io_free(struct mg_smtp_io *io)
{
    if (io->ssl) {
        (void)SSL_shutdown(io->ssl); /* best effort close_notify; non-blocking */
        SSL_free(io->ssl);
        io->ssl = NULL;
    }
    free(io->out);
    io->out = NULL;
    io->out_len = io->out_cap = 0;
}

bool mg_smtp_io_pending(const struct mg_smtp_io *io)
{
    return io->in_end > io->in_start || (io->ssl && SSL_pending(io->ssl) > 0);
}

void mg_smtp_io_drop_input(struct mg_smtp_io *io) { io->in_start = io->in_end = 0; }

/* Waits for readiness; writes ignore the drain fd (wake_fd[0]) so a reply
 * already promised still goes out while draining. */
static enum mg_io_rc wait_fd(struct mg_smtp_io *io, bool want_write, double timeout)
{
    struct pollfd p[3];
    nfds_t n = 0;
    p[n++] = (struct pollfd){ .fd = io->fd, .events = want_write ? POLLOUT : POLLIN };
    if (!want_write && io->wake_fd[0] >= 0)
        p[n++] = (struct pollfd){ .fd = io->wake_fd[0], .events = POLLIN };
    if (io->wake_fd[1] >= 0)
        p[n++] = (struct pollfd){ .fd = io->wake_fd[1], .events = POLLIN };
    int ms = timeout <= 0 ? 0 : timeout > 86400 ? 86400000 : (int)(timeout * 1000.0);
    for (;;) {
        int rc = poll(p, n, ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return MG_IO_ERROR;
        if (rc == 0)
            return MG_IO_TIMEOUT;
        for (nfds_t i = 1; i < n; i++)
            if (p[i].revents)
                return MG_IO_WAKE;
        return MG_IO_OK; /* readable, writable, or HUP/ERR that the next call reports */
    }
}

enum mg_io_rc mg_smtp_io_wait(struct mg_smtp_io *io, bool want_write, double timeout)
{
    if (!want_write && mg_smtp_io_pending(io))
        return MG_IO_OK;
    return wait_fd(io, want_write, timeout);
}

static enum mg_io_rc raw_write(struct mg_smtp_io *io, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w;
        bool want_write = true;
        if (io->ssl) {
            int chunk = len > 1 << 20 ? 1 << 20 : (int)len;
            int r = SSL_write(io->ssl, p, chunk);
            if (r > 0) {
                w = r;
            } else {
                int e = SSL_get_error(io->ssl, r);
                if (e == SSL_ERROR_WANT_READ)
                    want_write = false;
                else if (e != SSL_ERROR_WANT_WRITE)
                    return MG_IO_ERROR;
                w = -1;
                errno = EAGAIN;
            }
        } else {
            w = send(io->fd, p, len, MSG_NOSIGNAL);
        }
        if (w > 0) {
            p += w;
            len -= (size_t)w;
            io->bytes_out += (uint64_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            enum mg_io_rc rc = wait_fd(io, want_write, io->timeout);
            if (rc != MG_IO_OK)
                return rc;
            continue;
        }
        return MG_IO_ERROR;
    }
    return MG_IO_OK;
}

enum mg_io_rc mg_smtp_io_flush(struct mg_smtp_io *io)
{
    if (io->failed)
        return MG_IO_ERROR;
    if (io->out_len == 0)
        return MG_IO_OK;
    enum mg_io_rc rc = raw_write(io, io->out, io->out_len);
    io->out_len = 0;
    if (rc != MG_IO_OK)
        io->failed = true;
    return rc;
}

bool mg_smtp_io_put(struct mg_smtp_io *io, const char *s, size_t len)
{
    if (io->failed)
        return false;
    if (io->out_len + len > io->out_cap) {
        size_t cap = io->out_cap ? io->out_cap : 1024;
        while (cap < io->out_len + len) {
            if (cap > SIZE_MAX / 2) {
                io->failed = true;
                return false;
            }
            cap *= 2;
        }
        uint8_t *n = realloc(io->out, cap);
        if (!n) {
            io->failed = true;
            return false;
        }
        io->out = n;
        io->out_cap = cap;
    }
    memcpy(io->out + io->out_len, s, len);
    io->out_len += len;
    return true;
}

bool mg_smtp_io_printf(struct mg_smtp_io *io, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        io->failed = true;
        return false;
    }
    return mg_smtp_io_put(io, tmp, (size_t)n);
}

/* Reads more input into the buffer; flushes queued replies first, because
 * a blocking read is the moment the client may be waiting for them
 * (RFC 2920 3.1). */
static enum mg_io_rc fill(struct mg_smtp_io *io)
{
    enum mg_io_rc rc = mg_smtp_io_flush(io);
    if (rc != MG_IO_OK)
        return rc;
    if (io->in_start > 0) {
        memmove(io->in, io->in + io->in_start, io->in_end - io->in_start);
        io->in_end -= io->in_start;
        io->in_start = 0;
    }
    size_t room = sizeof(io->in) - io->in_end;
    if (room == 0)
        return MG_IO_ERROR; /* caller bug: lines are bounded well below the buffer */
    for (;;) {
        ssize_t r;
        bool want_write = false;
        if (io->ssl) {
            int got = SSL_read(io->ssl, io->in + io->in_end, (int)room);
            if (got > 0) {
                r = got;
            } else {
                int e = SSL_get_error(io->ssl, got);
                if (e == SSL_ERROR_ZERO_RETURN)
                    return MG_IO_EOF;
                if (e == SSL_ERROR_WANT_WRITE)
                    want_write = true;
                else if (e != SSL_ERROR_WANT_READ)
                    return e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 ? MG_IO_EOF : MG_IO_ERROR;
                r = -1;
                errno = EAGAIN;
            }
        } else {
            r = recv(io->fd, io->in + io->in_end, room, 0);
            if (r == 0)
                return MG_IO_EOF;
        }
        if (r > 0) {
            io->in_end += (size_t)r;
            io->bytes_in += (uint64_t)r;
            return MG_IO_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == ECONNRESET ? MG_IO_EOF : MG_IO_ERROR;
        rc = wait_fd(io, want_write, io->timeout);
        if (rc != MG_IO_OK)
            return rc;
    }
}

enum mg_io_rc mg_smtp_io_getline(struct mg_smtp_io *io, char *line, size_t max, size_t *len)
{
    bool skipping = false;
    *len = 0;
    line[0] = '\0';
    if (max + 2 > sizeof(io->in))
        max = sizeof(io->in) - 2;
    for (;;) {
        uint8_t *start = io->in + io->in_start;
        size_t avail = io->in_end - io->in_start;
        uint8_t *lf = memchr(start, '\n', avail);
        if (lf) {
            size_t n = (size_t)(lf - start);
            io->in_start += n + 1;
            if (n > 0 && start[n - 1] == '\r')
                n--;
            if (skipping || n > max)
                return MG_IO_TOO_LONG;
            memcpy(line, start, n);
            line[n] = '\0';
            *len = n;
            return MG_IO_OK;
        }
        if (skipping || avail > max + 1) {
            /* Over the bound without an end: drop what we have (keeping a
             * trailing CR is pointless, the line is refused anyway). */
            skipping = true;
            io->in_start = io->in_end = 0;
        }
        enum mg_io_rc rc = fill(io);
        if (rc != MG_IO_OK)
            return rc;
    }
}

enum mg_io_rc mg_smtp_io_tls(struct mg_smtp_io *io, SSL_CTX *ctx, bool server, const char *sni)
{
    io->ssl = SSL_new(ctx);
    if (!io->ssl || SSL_set_fd(io->ssl, io->fd) != 1)
        return MG_IO_ERROR;
    if (server)
        SSL_set_accept_state(io->ssl);
    else {
        SSL_set_connect_state(io->ssl);
        if (sni && *sni)
            (void)SSL_set_tlsext_host_name(io->ssl, sni);
    }
    for (;;) {
        int r = SSL_do_handshake(io->ssl);
        if (r == 1)
            return MG_IO_OK;
        int e = SSL_get_error(io->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return MG_IO_ERROR;
        enum mg_io_rc rc = wait_fd(io, e == SSL_ERROR_WANT_WRITE, io->timeout);
        if (rc != MG_IO_OK)
            return rc;
    }
}

void mg_smtp_data_init(struct mg_smtp_data *d, size_t max_line)
{
    memset(d, 0, sizeof(*d));
    d->max_line = max_line;
}

enum mg_smtp_data_rc mg_smtp_data_line(struct mg_smtp_data *d, const char *line, size_t len,
                                       bool too_long, struct mg_spool *sp)
{
    if (d->done)
        return MG_DATA_END;
    if (too_long || len > d->max_line) {
        /* Keep reading to the end marker; the message is refused then. */
        d->long_line = true;
        return MG_DATA_MORE;
    }
    if (len == 1 && line[0] == '.') {
        d->done = true;
        return MG_DATA_END;
    }
    d->lines++;
    if (d->long_line || !sp)
        return MG_DATA_MORE; /* refused anyway: don't spool */
    if (len > 0 && line[0] == '.') {
        line++;
        len--;
    }
    if (!mg_spool_write(sp, line, len) || !mg_spool_write(sp, "\r\n", 2))
        return MG_DATA_SPOOL_FAILED;
    return MG_DATA_MORE;
}

bool mg_smtp_io_put_dotstuffed(struct mg_smtp_io *io, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const uint8_t *lf = memchr(data + i, '\n', len - i);
        size_t end = lf ? (size_t)(lf - data) : len;
        size_t n = end - i;
        if (n > 0 && data[i + n - 1] == '\r')
            n--;
        if (n > 0 && data[i] == '.' && !mg_smtp_io_put(io, ".", 1))
            return false;
        if (!mg_smtp_io_put(io, (const char *)data + i, n) || !mg_smtp_io_put(io, "\r\n", 2))
            return false;
        i = lf ? end + 1 : len;
        if (io->out_len >= OUT_FLUSH_AT && mg_smtp_io_flush(io) != MG_IO_OK)
            return false;
    }
    return mg_smtp_io_put(io, ".\r\n", 3);
}
