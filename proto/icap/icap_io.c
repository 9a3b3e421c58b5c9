#include "proto/icap/icap_io.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/listener.h"

bool mg_icap_io_init(struct mg_icap_io *io, int fd, double read_timeout)
{
    memset(io, 0, sizeof(*io));
    io->fd = fd;
    io->wake_fd = -1;
    io->read_timeout = read_timeout;
    io->deadline = 0;
    io->in = malloc(MG_ICAP_IOBUF);
    return io->in != NULL;
}

void mg_icap_io_free(struct mg_icap_io *io)
{
    if (io->ssl) {
        SSL_shutdown(io->ssl);
        SSL_free(io->ssl);
        io->ssl = NULL;
    }
    free(io->in);
    io->in = NULL;
}

size_t mg_icap_io_buffered(const struct mg_icap_io *io) { return io->end - io->start; }

/* Milliseconds to wait: the smaller of the per-wait timeout and what is
 * left of the request deadline. */
static int wait_ms(const struct mg_icap_io *io, double timeout)
{
    double t = timeout;
    if (io->deadline > 0) {
        double left = io->deadline - mg_server_now();
        if (left < t)
            t = left;
    }
    if (t <= 0)
        return 0;
    return t > 86400 ? 86400000 : (int)(t * 1000) + 1;
}

static enum mg_icap_io_rc wait_fd(struct mg_icap_io *io, bool want_write, double timeout)
{
    for (;;) {
        int ms = wait_ms(io, timeout);
        if (ms <= 0)
            return MG_ICAP_IO_TIMEOUT;
        struct pollfd p[2] = { { .fd = io->fd, .events = want_write ? POLLOUT : POLLIN },
                               { .fd = io->wake_fd, .events = POLLIN } };
        int n = poll(p, io->wake_fd >= 0 ? 2 : 1, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return MG_ICAP_IO_ERROR;
        if (n == 0)
            return MG_ICAP_IO_TIMEOUT;
        if (io->wake_fd >= 0 && (p[1].revents & POLLIN))
            return MG_ICAP_IO_WAKE;
        return MG_ICAP_IO_OK;
    }
}

/* Appends at least one byte to the input buffer (compacting first). */
static enum mg_icap_io_rc fill(struct mg_icap_io *io, double timeout)
{
    if (io->start > 0 && io->start == io->end)
        io->start = io->end = 0;
    if (io->end == MG_ICAP_IOBUF && io->start > 0) {
        memmove(io->in, io->in + io->start, io->end - io->start);
        io->end -= io->start;
        io->start = 0;
    }
    if (io->end == MG_ICAP_IOBUF)
        return MG_ICAP_IO_TOO_LONG;
    for (;;) {
        if (io->ssl && SSL_pending(io->ssl) == 0) {
            enum mg_icap_io_rc w = wait_fd(io, false, timeout);
            if (w != MG_ICAP_IO_OK)
                return w;
        } else if (!io->ssl) {
            enum mg_icap_io_rc w = wait_fd(io, false, timeout);
            if (w != MG_ICAP_IO_OK)
                return w;
        }
        size_t room = MG_ICAP_IOBUF - io->end;
        if (io->ssl) {
            size_t got = 0;
            int r = SSL_read_ex(io->ssl, io->in + io->end, room, &got);
            if (r == 1) {
                io->end += got;
                io->bytes_in += got;
                return MG_ICAP_IO_OK;
            }
            int e = SSL_get_error(io->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                continue;
            ERR_clear_error();
            return e == SSL_ERROR_ZERO_RETURN ? MG_ICAP_IO_EOF : MG_ICAP_IO_ERROR;
        }
        ssize_t n = recv(io->fd, io->in + io->end, room, 0);
        if (n > 0) {
            io->end += (size_t)n;
            io->bytes_in += (uint64_t)n;
            return MG_ICAP_IO_OK;
        }
        if (n == 0)
            return MG_ICAP_IO_EOF;
        if (errno == EINTR || errno == EAGAIN)
            continue;
        return MG_ICAP_IO_ERROR;
    }
}

enum mg_icap_io_rc mg_icap_io_tls_accept(struct mg_icap_io *io, SSL_CTX *ctx)
{
    io->ssl = SSL_new(ctx);
    if (!io->ssl || SSL_set_fd(io->ssl, io->fd) != 1)
        return MG_ICAP_IO_ERROR;
    for (;;) {
        int r = SSL_accept(io->ssl);
        if (r == 1)
            return MG_ICAP_IO_OK;
        int e = SSL_get_error(io->ssl, r);
        enum mg_icap_io_rc w;
        if (e == SSL_ERROR_WANT_READ)
            w = wait_fd(io, false, io->read_timeout);
        else if (e == SSL_ERROR_WANT_WRITE)
            w = wait_fd(io, true, io->read_timeout);
        else {
            ERR_clear_error();
            return MG_ICAP_IO_ERROR;
        }
        if (w != MG_ICAP_IO_OK)
            return w;
    }
}

enum mg_icap_io_rc mg_icap_io_wait_request(struct mg_icap_io *io, double timeout)
{
    if (io->end > io->start)
        return MG_ICAP_IO_OK;
    double saved = io->deadline;
    io->deadline = 0;
    enum mg_icap_io_rc rc = fill(io, timeout);
    io->deadline = saved;
    return rc;
}

enum mg_icap_io_rc mg_icap_io_read_head(struct mg_icap_io *io, size_t max, const char **data,
                                        size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        size_t avail = io->end - io->start;
        /* Rescan from a little before where the last scan stopped. */
        size_t from = scanned > 3 ? scanned - 3 : 0;
        size_t e = mg_icap_head_end((const char *)io->in + io->start + from, avail - from);
        if (e > 0) {
            e += from;
            if (e > max)
                return MG_ICAP_IO_TOO_LONG;
            *data = (const char *)io->in + io->start;
            *len = e;
            io->start += e;
            return MG_ICAP_IO_OK;
        }
        scanned = avail;
        if (avail > max)
            return MG_ICAP_IO_TOO_LONG;
        enum mg_icap_io_rc rc = fill(io, io->read_timeout);
        if (rc == MG_ICAP_IO_EOF && avail > 0)
            return MG_ICAP_IO_ERROR;
        if (rc != MG_ICAP_IO_OK)
            return rc;
    }
}

enum mg_icap_io_rc mg_icap_io_read_exact(struct mg_icap_io *io, size_t n, const char **data)
{
    if (n > MG_ICAP_MAX_ENCAP_BYTES)
        return MG_ICAP_IO_TOO_LONG;
    while (io->end - io->start < n) {
        enum mg_icap_io_rc rc = fill(io, io->read_timeout);
        if (rc == MG_ICAP_IO_EOF)
            return MG_ICAP_IO_ERROR;
        if (rc != MG_ICAP_IO_OK)
            return rc;
    }
    *data = (const char *)io->in + io->start;
    io->start += n;
    return MG_ICAP_IO_OK;
}

enum mg_icap_io_rc mg_icap_io_getline(struct mg_icap_io *io, size_t max, const char **line,
                                      size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        const uint8_t *b = io->in + io->start;
        size_t avail = io->end - io->start;
        const uint8_t *nl = memchr(b + scanned, '\n', avail - scanned);
        if (nl) {
            size_t n = (size_t)(nl - b);
            io->start += n + 1;
            if (n > 0 && b[n - 1] == '\r')
                n--;
            if (n > max)
                return MG_ICAP_IO_TOO_LONG;
            *line = (const char *)b;
            *len = n;
            return MG_ICAP_IO_OK;
        }
        scanned = avail;
        if (avail > max + 1)
            return MG_ICAP_IO_TOO_LONG;
        enum mg_icap_io_rc rc = fill(io, io->read_timeout);
        if (rc == MG_ICAP_IO_EOF)
            return MG_ICAP_IO_ERROR;
        if (rc != MG_ICAP_IO_OK)
            return rc;
    }
}

enum mg_icap_io_rc mg_icap_io_read_some(struct mg_icap_io *io, size_t want, const uint8_t **data,
                                        size_t *got)
{
    if (io->end == io->start) {
        enum mg_icap_io_rc rc = fill(io, io->read_timeout);
        if (rc == MG_ICAP_IO_EOF)
            return MG_ICAP_IO_ERROR;
        if (rc != MG_ICAP_IO_OK)
            return rc;
    }
    size_t n = io->end - io->start;
    if (n > want)
        n = want;
    *data = io->in + io->start;
    *got = n;
    io->start += n;
    return MG_ICAP_IO_OK;
}

bool mg_icap_io_write(struct mg_icap_io *io, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t done = 0;
        if (io->ssl) {
            int r = SSL_write_ex(io->ssl, p, len, &done);
            if (r != 1) {
                int e = SSL_get_error(io->ssl, r);
                enum mg_icap_io_rc w;
                if (e == SSL_ERROR_WANT_WRITE)
                    w = wait_fd(io, true, io->read_timeout);
                else if (e == SSL_ERROR_WANT_READ)
                    w = wait_fd(io, false, io->read_timeout);
                else {
                    ERR_clear_error();
                    return false;
                }
                if (w != MG_ICAP_IO_OK && w != MG_ICAP_IO_WAKE)
                    return false;
                continue;
            }
        } else {
            ssize_t n = send(io->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    return false;
                enum mg_icap_io_rc w = wait_fd(io, true, io->read_timeout);
                if (w != MG_ICAP_IO_OK && w != MG_ICAP_IO_WAKE)
                    return false;
                continue;
            }
            done = (size_t)n;
        }
        p += done;
        len -= done;
        io->bytes_out += done;
    }
    return true;
}
