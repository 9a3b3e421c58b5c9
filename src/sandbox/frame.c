#include "sandbox/frame.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ABSENT UINT32_MAX   /* string length marking NULL */

void mg_frame_put_u32(struct mg_buf *b, uint32_t v)
{
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    mg_buf_append(b, le, sizeof(le));
}

void mg_frame_put_u64(struct mg_buf *b, uint64_t v)
{
    mg_frame_put_u32(b, (uint32_t)v);
    mg_frame_put_u32(b, (uint32_t)(v >> 32));
}

void mg_frame_put_bytes(struct mg_buf *b, const void *p, size_t len)
{
    if (len >= ABSENT) {      /* cannot be framed: poison the buffer */
        b->failed = true;
        return;
    }
    mg_frame_put_u32(b, (uint32_t)len);
    if (len)
        mg_buf_append(b, p, len);
}

void mg_frame_put_str(struct mg_buf *b, const char *s)
{
    if (s == NULL)
        mg_frame_put_u32(b, ABSENT);
    else
        mg_frame_put_bytes(b, s, strlen(s));
}

void mg_frame_reader_init(struct mg_frame_reader *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->bad = false;
}

static const uint8_t *take(struct mg_frame_reader *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

uint32_t mg_frame_get_u32(struct mg_frame_reader *r)
{
    const uint8_t *p = take(r, 4);
    if (p == NULL)
        return 0;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t mg_frame_get_u64(struct mg_frame_reader *r)
{
    uint64_t lo = mg_frame_get_u32(r);
    uint64_t hi = mg_frame_get_u32(r);
    return lo | hi << 32;
}

const uint8_t *mg_frame_get_bytes(struct mg_frame_reader *r, size_t max, size_t *len)
{
    *len = 0;
    uint32_t n = mg_frame_get_u32(r);
    if (r->bad || n == ABSENT || n > max) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = take(r, n);
    if (p != NULL)
        *len = n;
    return p;
}

char *mg_frame_get_str(struct mg_frame_reader *r, size_t max)
{
    if (r->bad)
        return NULL;
    if (r->len - r->off >= 4) {
        const uint8_t *q = r->p + r->off;
        if (q[0] == 0xff && q[1] == 0xff && q[2] == 0xff && q[3] == 0xff) {
            r->off += 4;
            return NULL;
        }
    }
    size_t n;
    const uint8_t *p = mg_frame_get_bytes(r, max, &n);
    if (p == NULL || (n > 0 && memchr(p, 0, n) != NULL)) {
        r->bad = true;
        return NULL;
    }
    return g_strndup((const char *)p, n);
}

bool mg_frame_done(const struct mg_frame_reader *r)
{
    return !r->bad && r->off == r->len;
}

/* Head and payload in one sendmsg where the socket takes it: one system
 * call and one wake-up of the reader per frame instead of two. */
static bool send_all(int sock, const uint8_t *p, size_t len, const uint8_t *q, size_t qlen, int fd)
{
    while (len > 0 || qlen > 0) {
        if (len == 0) { /* the head went: the rest is the payload */
            p = q;
            len = qlen;
            q = NULL;
            qlen = 0;
        }
        struct iovec iov[2] = { { .iov_base = (void *)p, .iov_len = len },
                                { .iov_base = (void *)q, .iov_len = qlen } };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = qlen ? 2 : 1 };
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        if (fd >= 0) {
            memset(&u, 0, sizeof(u));
            mh.msg_control = u.buf;
            mh.msg_controllen = sizeof(u.buf);
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        fd = -1;  /* the descriptor went with the first byte */
        size_t k = (size_t)n;
        if (k >= len) {
            k -= len;
            len = 0;
            if (k > 0) {
                q += k;
                qlen -= k;
            }
        } else {
            p += k;
            len -= k;
        }
    }
    return true;
}

bool mg_frame_send(int sock, const struct mg_buf *payload, int fd)
{
    if (mg_buf_failed(payload) || payload->len >= ABSENT) {
        errno = EMSGSIZE;
        return false;
    }
    uint32_t n = (uint32_t)payload->len;
    uint8_t head[5] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24),
                        fd >= 0 ? 1 : 0 };
    return send_all(sock, head, sizeof(head), payload->data, payload->len, fd);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly len bytes before the deadline; the first recvmsg may carry
 * a descriptor, which is kept in *fd (any extra ones are closed). ready:
 * the bytes are probably there already (a payload after its head): try to
 * read before polling. */
static bool recv_all(int sock, uint8_t *p, size_t len, int *fd, int64_t deadline, bool ready)
{
    while (len > 0) {
        if (deadline >= 0 && !ready) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return false;
            }
            struct pollfd pfd = { .fd = sock, .events = POLLIN };
            int pr = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr < 0)
                return false;
            if (pr == 0) {
                errno = ETIMEDOUT;
                return false;
            }
        }
        struct iovec iov = { .iov_base = p, .iov_len = len };
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        /* With a deadline, never block in recvmsg: poll does the waiting. */
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | (deadline >= 0 ? MSG_DONTWAIT : 0));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (deadline >= 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                ready = false;
                continue;
            }
            return false;
        }
        ready = true;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < nfd; i++) {
                int got;
                memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (fd != NULL && *fd < 0)
                    *fd = got;
                else
                    close(got);
            }
        }
        if (mh.msg_flags & MSG_CTRUNC) {
            errno = EPROTO;
            return false;
        }
        if (n == 0) {
            errno = ECONNRESET;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool mg_frame_recv(int sock, struct mg_buf *out, size_t max, int *fd, int timeout_ms)
{
    *fd = -1;
    mg_buf_reset(out);
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    uint8_t head[5];
    if (!recv_all(sock, head, sizeof(head), fd, deadline, false))
        goto fail;
    size_t n = (size_t)head[0] | (size_t)head[1] << 8 | (size_t)head[2] << 16 | (size_t)head[3] << 24;
    /* A descriptor must be announced, and only announced ones are taken. */
    if (head[4] > 1 || (head[4] == 1) != (*fd >= 0)) {
        errno = EPROTO;
        goto fail;
    }
    if (n > max) {
        errno = EMSGSIZE;
        goto fail;
    }
    if (!mg_buf_reserve(out, n)) {
        errno = ENOMEM;
        goto fail;
    }
    if (!recv_all(sock, out->data, n, NULL, deadline, true))
        goto fail;
    out->len = n;
    return true;
fail:;
    int saved = errno;
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    errno = saved;
    return false;
}

int mg_frame_memfd(const void *data, size_t len)
{
    int fd = memfd_create("mugai-frame", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n < 0 ? errno : EIO;
            close(fd);
            errno = saved;
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    /* The receiver maps it: the size must not change under it. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

uint8_t *mg_frame_map_fd(int fd, size_t max, size_t *len)
{
    *len = 0;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return NULL;
    int seals = fcntl(fd, F_GET_SEALS);
    if (!S_ISREG(st.st_mode) || seals < 0 || !(seals & F_SEAL_SHRINK) || !(seals & F_SEAL_WRITE)) {
        errno = EPROTO;   /* an unsealed file could shrink under the mapping (SIGBUS) */
        return NULL;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        errno = EMSGSIZE;
        return NULL;
    }
    if (st.st_size == 0) {
        static uint8_t empty;
        return &empty;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return NULL;
    *len = (size_t)st.st_size;
    return m;
}
