#include "proto/smtp/smtp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/smtp/smtp_cmd.h"
#include "server/listener.h"

#define REPLY_LINE_MAX 2048
#define REPLY_LINES_MAX 100

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool mg_smtp_reply_parse_line(const char *line, size_t len, struct mg_smtp_reply *r, bool *more)
{
    if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
        line[0] < '2' || line[0] > '5')
        return false;
    if (len > 3 && line[3] != ' ' && line[3] != '-')
        return false;
    *more = len > 3 && line[3] == '-';
    r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    const char *t = len > 4 ? line + 4 : line + len;
    size_t tl = (size_t)(line + len - t);
    r->enh[0] = '\0';
    /* Enhanced status "c.sss.ddd" whose class matches the reply's. */
    if (tl >= 5 && t[0] == line[0] && t[1] == '.') {
        size_t i = 2, dots = 1;
        while (i < tl && i < 12 && (is_digit(t[i]) || t[i] == '.')) {
            if (t[i] == '.')
                dots++;
            i++;
        }
        if (dots == 2 && (i == tl || t[i] == ' ') && is_digit(t[i - 1])) {
            memcpy(r->enh, t, i);
            r->enh[i] = '\0';
            t += i;
            tl -= i;
            while (tl > 0 && *t == ' ') {
                t++;
                tl--;
            }
        }
    }
    /* Keep the text printable ASCII: it goes back to our client verbatim. */
    size_t k = 0;
    for (size_t i = 0; i < tl && k + 1 < sizeof(r->text); i++) {
        unsigned char ch = (unsigned char)t[i];
        r->text[k++] = (ch >= 32 && ch < 127) ? (char)ch : '?';
    }
    r->text[k] = '\0';
    return true;
}

static void fail(struct mg_smtp_client *c, struct mg_smtp_reply *r, const char *why)
{
    r->code = 0;
    r->enh[0] = '\0';
    snprintf(r->text, sizeof(r->text), "%s", why);
    if (why != c->err)
        snprintf(c->err, sizeof(c->err), "%s", why);
}

static const char *io_why(enum mg_io_rc rc)
{
    switch (rc) {
    case MG_IO_EOF: return "next hop closed the connection";
    case MG_IO_TIMEOUT: return "next hop timed out";
    case MG_IO_WAKE: return "shutting down";
    case MG_IO_TOO_LONG: return "next hop sent an over-long reply line";
    default: return "next hop connection failed";
    }
}

/* Reads a whole (possibly multi-line) reply; calls cap() on each EHLO line. */
static int read_reply(struct mg_smtp_client *c, double timeout, struct mg_smtp_reply *r,
                      void (*cap)(struct mg_smtp_client *, const char *))
{
    char line[REPLY_LINE_MAX + 1];
    c->io.timeout = timeout;
    for (int n = 0; n < REPLY_LINES_MAX; n++) {
        size_t len;
        enum mg_io_rc rc = mg_smtp_io_getline(&c->io, line, REPLY_LINE_MAX, &len);
        if (rc != MG_IO_OK) {
            fail(c, r, io_why(rc));
            return 0;
        }
        bool more;
        if (!mg_smtp_reply_parse_line(line, len, r, &more)) {
            fail(c, r, "next hop sent a malformed reply");
            return 0;
        }
        if (cap && n > 0)
            cap(c, line + 4);
        if (!more)
            return r->code;
    }
    fail(c, r, "next hop sent too many reply lines");
    return 0;
}

static void ehlo_cap(struct mg_smtp_client *c, const char *kw)
{
    if (g_ascii_strncasecmp(kw, "PIPELINING", 10) == 0)
        c->cap_pipelining = true;
    else if (g_ascii_strncasecmp(kw, "8BITMIME", 8) == 0)
        c->cap_8bitmime = true;
    else if (g_ascii_strncasecmp(kw, "SMTPUTF8", 8) == 0)
        c->cap_smtputf8 = true;
    else if (g_ascii_strncasecmp(kw, "STARTTLS", 8) == 0)
        c->cap_starttls = true;
    else if (g_ascii_strncasecmp(kw, "SIZE", 4) == 0) {
        c->cap_size = true;
        c->cap_size_max = g_ascii_strtoull(kw + 4, NULL, 10);
    }
}

static int tcp_connect(const char *hostport, double timeout, int abort_fd, char *err, size_t errsz)
{
    char host[256];
    unsigned port;
    if (!mg_server_split_hostport(hostport, host, sizeof(host), &port)) {
        snprintf(err, errsz, "bad next-hop address");
        return -1;
    }
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int gr = getaddrinfo(host, ps, &hints, &res);
    if (gr != 0) {
        snprintf(err, errsz, "cannot resolve next hop: %s", gai_strerror(gr));
        return -1;
    }
    int fd = -1;
    snprintf(err, errsz, "cannot connect to next hop");
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd p[2] = { { .fd = fd, .events = POLLOUT }, { .fd = abort_fd, .events = POLLIN } };
            int n;
            do
                n = poll(p, abort_fd >= 0 ? 2 : 1, (int)(timeout * 1000));
            while (n < 0 && errno == EINTR);
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (n == 1 && p[0].revents && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
                soerr == 0)
                rc = 0;
            else if (n == 0)
                snprintf(err, errsz, "next hop connect timed out");
            else if (soerr)
                snprintf(err, errsz, "cannot connect to next hop: %s", strerror(soerr));
        } else if (rc != 0) {
            snprintf(err, errsz, "cannot connect to next hop: %s", strerror(errno));
        }
        if (rc == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

static int say_ehlo(struct mg_smtp_client *c, struct mg_smtp_reply *r)
{
    c->cap_pipelining = c->cap_8bitmime = c->cap_smtputf8 = c->cap_starttls = c->cap_size = false;
    if (!mg_smtp_io_printf(&c->io, "EHLO %s\r\n", c->cfg->hostname))
        return 0;
    int code = read_reply(c, c->cfg->next_hop_timeout, r, ehlo_cap);
    if (code >= 500 && code < 600) {
        /* An old next hop: HELO, no extensions. */
        if (!mg_smtp_io_printf(&c->io, "HELO %s\r\n", c->cfg->hostname))
            return 0;
        code = read_reply(c, c->cfg->next_hop_timeout, r, NULL);
    }
    return code;
}

bool mg_smtp_client_open(struct mg_smtp_client *c, const struct mg_smtp_config *cfg,
                         SSL_CTX *tls_ctx, int abort_fd, struct mg_smtp_reply *r)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->fd = tcp_connect(cfg->next_hop, cfg->next_hop_connect_timeout, abort_fd, c->err,
                        sizeof(c->err));
    if (c->fd < 0) {
        fail(c, r, c->err);
        return false;
    }
    mg_smtp_io_init(&c->io, c->fd, cfg->next_hop_timeout);
    c->io.wake_fd[1] = abort_fd;
    c->open = true;
    if (read_reply(c, cfg->next_hop_timeout, r, NULL) != 220)
        goto bad;
    if (say_ehlo(c, r) != 250)
        goto bad;
    if (cfg->next_hop_tls != MG_TLS_NONE) {
        if (!c->cap_starttls || !tls_ctx) {
            if (cfg->next_hop_tls == MG_TLS_ENCRYPT) {
                fail(c, r, "next hop does not offer STARTTLS (next-hop-tls = encrypt)");
                goto bad;
            }
        } else {
            if (mg_smtp_client_cmd(c, "STARTTLS", r) != 220)
                goto bad;
            mg_smtp_io_drop_input(&c->io);
            enum mg_io_rc rc = mg_smtp_io_tls(&c->io, tls_ctx, false, NULL);
            if (rc != MG_IO_OK) {
                fail(c, r, "TLS handshake with the next hop failed");
                goto bad;
            }
            c->tls = true;
            if (say_ehlo(c, r) != 250)
                goto bad;
        }
    }
    return true;
bad:
    if (r->code == 0 && !c->err[0])
        fail(c, r, "next hop failed");
    mg_smtp_client_close(c);
    return false;
}

int mg_smtp_client_cmd(struct mg_smtp_client *c, const char *line, struct mg_smtp_reply *r)
{
    return mg_smtp_client_cmd_within(c, line, c->cfg->next_hop_timeout, r);
}

int mg_smtp_client_cmd_within(struct mg_smtp_client *c, const char *line, double timeout,
                              struct mg_smtp_reply *r)
{
    if (!c->open) {
        fail(c, r, "next hop connection is closed");
        return 0;
    }
    if (!mg_smtp_io_printf(&c->io, "%s\r\n", line)) {
        fail(c, r, "next hop write failed");
        return 0;
    }
    return read_reply(c, timeout, r, NULL);
}

int mg_smtp_client_data(struct mg_smtp_client *c, const uint8_t *msg, size_t len,
                        struct mg_smtp_reply *r)
{
    if (mg_smtp_client_cmd(c, "DATA", r) != 354)
        return r->code == 354 ? 0 : r->code;
    if (!mg_smtp_io_put_dotstuffed(&c->io, msg, len) || mg_smtp_io_flush(&c->io) != MG_IO_OK) {
        fail(c, r, "next hop write failed during DATA");
        return 0;
    }
    return read_reply(c, c->cfg->next_hop_final_timeout, r, NULL);
}

void mg_smtp_client_close(struct mg_smtp_client *c)
{
    if (!c->open)
        return;
    if (!c->io.failed) {
        struct mg_smtp_reply r;
        c->io.timeout = 5;
        if (mg_smtp_io_put(&c->io, "QUIT\r\n", 6) && mg_smtp_io_flush(&c->io) == MG_IO_OK)
            (void)read_reply(c, 5, &r, NULL);
    }
    mg_smtp_io_free(&c->io);
    close(c->fd);
    c->fd = -1;
    c->open = false;
}
