/* The next-hop SMTP client: one connection per transaction, blocking with a
 * deadline on every step (the session thread owns it). Replies are parsed
 * into code, enhanced status and text so the session can relay them. Any
 * I/O failure is reported as code 0 and the session turns it into a 4xx. */
#ifndef MG_SMTP_CLIENT_H
#define MG_SMTP_CLIENT_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "proto/smtp/smtp_config.h"
#include "proto/smtp/smtp_io.h"

struct mg_smtp_reply {
    int code;                    /* 0: no reply (connection failed, timeout) */
    char enh[16];                /* "2.1.0" or "" */
    char text[512];              /* text of the last line, without code and enh */
};

struct mg_smtp_client {
    int fd;
    struct mg_smtp_io io;
    bool open;
    bool tls;
    bool cap_pipelining, cap_8bitmime, cap_smtputf8, cap_starttls, cap_size;
    uint64_t cap_size_max;
    const struct mg_smtp_config *cfg;
    char err[160];               /* why code is 0, for logs */
};

/* Connects, reads the greeting, says EHLO (HELO if refused), and does
 * STARTTLS as configured. On failure r->code is the next hop's refusal or
 * 0, and the client is closed. */
bool mg_smtp_client_open(struct mg_smtp_client *c, const struct mg_smtp_config *cfg,
                         SSL_CTX *tls_ctx, int abort_fd, struct mg_smtp_reply *r);
/* Sends one command line (without CRLF) and reads the reply. Returns r->code. */
int mg_smtp_client_cmd(struct mg_smtp_client *c, const char *line, struct mg_smtp_reply *r);
/* The same with its own reply timeout (seconds). */
int mg_smtp_client_cmd_within(struct mg_smtp_client *c, const char *line, double timeout,
                              struct mg_smtp_reply *r);
/* DATA, the dot-stuffed message, and the final reply. Returns r->code. */
int mg_smtp_client_data(struct mg_smtp_client *c, const uint8_t *msg, size_t len,
                        struct mg_smtp_reply *r);
/* QUIT (best effort) and close. Safe on a closed client. */
void mg_smtp_client_close(struct mg_smtp_client *c);

/* Parses one reply line "250-2.1.0 text"; false when it is not a reply line.
 * *more is true for a continuation line. Pure, for tests. */
bool mg_smtp_reply_parse_line(const char *line, size_t len, struct mg_smtp_reply *r, bool *more);

#endif
