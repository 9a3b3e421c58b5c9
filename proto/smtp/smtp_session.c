/* One SMTP session on its own thread: the RFC 5321 command state machine,
 * gatekeeping, and the MAIL/RCPT pass-through to the next hop. */
#include "proto/smtp/smtp_session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "engine/metrics.h"

/* A DATA text line: 1000 octets with CRLF (RFC 5321 4.5.3.1.6). */
#define DATA_LINE_MAX 998

void mg_smtp_reply(struct mg_smtp_session *ss, int code, const char *enh, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0)
        text[0] = '\0';
    /* Never let CR/LF from anywhere (a next hop's text) split a reply. */
    for (char *p = text; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    if (enh && *enh)
        (void)mg_smtp_io_printf(&ss->io, "%03d %s %s\r\n", code, enh, text);
    else
        (void)mg_smtp_io_printf(&ss->io, "%03d %s\r\n", code, text);
}

static void tx_reset(struct mg_smtp_session *ss)
{
    ss->tx.active = false;
    ss->tx.broken = false;
    ss->tx.from[0] = '\0';
    ss->tx.smtputf8 = false;
    ss->tx.body = MG_SMTP_BODY_NONE;
    if (ss->tx.rcpts)
        g_ptr_array_set_size(ss->tx.rcpts, 0);
}

static void next_close(struct mg_smtp_session *ss)
{
    if (ss->next.open)
        mg_smtp_client_close(&ss->next);
}

/* Relays a next hop's MAIL/RCPT reply. A vanished next hop (code 0) or its
 * 421 become 451 for this command and break the transaction: the client
 * keeps the message. */
static int relay_reply(struct mg_smtp_session *ss, const struct mg_smtp_reply *r)
{
    if (r->code == 0 || r->code == 421) {
        mg_smtp_reply(ss, 451, "4.4.2", "Next hop failed: %s", r->code ? r->text : ss->next.err);
        next_close(ss);
        return 451;
    }
    mg_smtp_reply(ss, r->code, r->enh, "%s", r->text);
    return r->code;
}

static void do_ehlo(struct mg_smtp_session *ss, const struct mg_smtp_cmd *c)
{
    const struct mg_smtp_config *cfg = ss->gen->cfg;
    tx_reset(ss);
    snprintf(ss->helo, sizeof(ss->helo), "%s", c->arg);
    ss->greeted = true;
    if (c->verb == MG_SMTP_HELO) {
        mg_smtp_reply(ss, 250, NULL, "%s", cfg->hostname);
        return;
    }
    const char *ext[8];
    char size[40];
    size_t n = 0;
    snprintf(size, sizeof(size), "SIZE %llu", (unsigned long long)cfg->max_message_size);
    ext[n++] = "PIPELINING";
    ext[n++] = size;
    ext[n++] = "8BITMIME";
    ext[n++] = "ENHANCEDSTATUSCODES";
    if (ss->gen->tls_server && !ss->tls)
        ext[n++] = "STARTTLS";
    /* SMTPUTF8 only when the next hop offered it the last time we spoke to it. */
    if (atomic_load(&ss->srv->next_hop_smtputf8))
        ext[n++] = "SMTPUTF8";
    (void)mg_smtp_io_printf(&ss->io, "250-%s\r\n", cfg->hostname);
    for (size_t i = 0; i < n; i++)
        (void)mg_smtp_io_printf(&ss->io, "250%c%s\r\n", i + 1 == n ? ' ' : '-', ext[i]);
}

static void do_mail(struct mg_smtp_session *ss, const struct mg_smtp_cmd *c)
{
    if (!ss->greeted) {
        mg_smtp_reply(ss, 503, "5.5.1", "Send EHLO or HELO first");
        return;
    }
    if (ss->tx.active) {
        mg_smtp_reply(ss, 503, "5.5.1", "Nested MAIL command");
        return;
    }
    if (mg_listener_draining(ss->srv->front.listener)) {
        mg_smtp_reply(ss, 421, "4.3.2", "%s Service shutting down, try again later",
                      ss->gen->cfg->hostname);
        ss->end_reason = "drain";
        return;
    }
    /* A new transaction runs on the newest configuration and engine. */
    struct mg_smtp_gen *g = mg_smtp_server_gen(ss->srv);
    if (g != ss->gen) {
        next_close(ss); /* its settings may have changed */
        mg_smtp_gen_put(ss->gen);
        ss->gen = g;
    } else {
        mg_smtp_gen_put(g);
    }
    const struct mg_smtp_config *cfg = ss->gen->cfg;
    if (c->has_size && c->size > cfg->max_message_size) {
        mg_smtp_reply(ss, 552, "5.3.4", "Message size exceeds fixed limit");
        return;
    }
    struct mg_smtp_reply r;
    /* A connection kept from this session's previous transaction may have
     * been closed by the next hop meanwhile: then open a fresh one once. */
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = ss->next.open;
        /* Or one an earlier session left (smtp_nhcache.h), same rules. */
        if (!reused && attempt == 0 &&
            mg_smtp_nhcache_take(&ss->srv->nhcache, &ss->next, ss->gen, cfg->next_hop_reuse))
            reused = true;
        if (!ss->next.open) {
            if (!mg_smtp_client_open(&ss->next, cfg, ss->gen->tls_client,
                                     mg_listener_abort_fd(ss->srv->front.listener), &r)) {
                mg_metrics_next_hop_error();
                mg_log(MG_LOG_WARN, ss->id, NULL, "next hop %s unavailable: %s", cfg->next_hop,
                       r.code ? r.text : ss->next.err);
                mg_smtp_reply(ss, 451, "4.4.1", "Next hop not available, try again later");
                return;
            }
            atomic_store(&ss->srv->next_hop_smtputf8, ss->next.cap_smtputf8);
        }
        if (c->smtputf8 && !ss->next.cap_smtputf8) {
            mg_smtp_reply(ss, 451, "4.6.7", "Next hop does not support SMTPUTF8 now, try again later");
            return;
        }
        char line[MG_SMTP_PATH_MAX + 64];
        snprintf(line, sizeof(line), "MAIL FROM:<%s>%s%s", c->addr,
                 c->body == MG_SMTP_BODY_8BITMIME && ss->next.cap_8bitmime ? " BODY=8BITMIME" : "",
                 c->smtputf8 ? " SMTPUTF8" : "");
        mg_smtp_client_cmd(&ss->next, line, &r);
        if (!reused || (r.code != 0 && r.code != 421))
            break;
        next_close(ss);
    }
    if (relay_reply(ss, &r) / 100 == 2) {
        ss->tx.active = true;
        snprintf(ss->tx.from, sizeof(ss->tx.from), "%s", c->addr);
        ss->tx.smtputf8 = c->smtputf8;
        ss->tx.body = c->body;
    }
}

static void do_rcpt(struct mg_smtp_session *ss, const struct mg_smtp_cmd *c)
{
    const struct mg_smtp_config *cfg = ss->gen->cfg;
    if (!ss->tx.active) {
        mg_smtp_reply(ss, 503, "5.5.1", "Need MAIL command");
        return;
    }
    if (ss->tx.broken || !ss->next.open) {
        ss->tx.broken = true;
        mg_smtp_reply(ss, 451, "4.4.2", "Next hop failed, try again later");
        return;
    }
    if (c->utf8_addr && !ss->tx.smtputf8) {
        /* RFC 6531 3.5: a UTF-8 address needs a transaction begun with SMTPUTF8. */
        mg_smtp_reply(ss, 553, "5.6.7", "<%s>: UTF-8 address without SMTPUTF8", c->addr);
        return;
    }
    if (ss->tx.rcpts->len >= cfg->max_recipients) {
        mg_smtp_reply(ss, 452, "4.5.3", "Too many recipients");
        return;
    }
    if (!c->postmaster && !mg_smtp_domain_relayed(cfg, c->domain)) {
        mg_log(MG_LOG_NOTICE, ss->id, NULL, "relay denied client=%s rcpt=<%s>", ss->peer->ip, c->addr);
        mg_smtp_reply(ss, 550, "5.7.1", "<%s>: Relay access denied", c->addr);
        return;
    }
    char line[MG_SMTP_PATH_MAX + 16];
    snprintf(line, sizeof(line), "RCPT TO:<%s>", c->addr);
    struct mg_smtp_reply r;
    mg_smtp_client_cmd(&ss->next, line, &r);
    int code = relay_reply(ss, &r);
    if (code / 100 == 2) {
        g_ptr_array_add(ss->tx.rcpts, g_strdup(c->addr));
        ss->rcpts_total++;
    }
    else if (code == 451 && !ss->next.open)
        ss->tx.broken = true;
}

/* Reads the message text after 354 into sp; returns false when the session
 * must end (connection lost, timeout, shutdown). *reply_done is set when a
 * refusal was already queued. */
static bool read_data(struct mg_smtp_session *ss, struct mg_spool *sp, bool *refused)
{
    const struct mg_smtp_config *cfg = ss->gen->cfg;
    struct mg_smtp_data d;
    mg_smtp_data_init(&d, DATA_LINE_MAX);
    char line[DATA_LINE_MAX + 8];
    bool spool_failed = false;
    ss->io.timeout = cfg->data_timeout;
    *refused = false;
    for (;;) {
        size_t len;
        enum mg_io_rc rc = mg_smtp_io_getline(&ss->io, line, DATA_LINE_MAX, &len);
        if (rc != MG_IO_OK && rc != MG_IO_TOO_LONG) {
            ss->end_reason = rc == MG_IO_TIMEOUT ? "data-timeout" : rc == MG_IO_WAKE ? "shutdown-in-data" : "lost-in-data";
            if (rc == MG_IO_TIMEOUT)
                mg_smtp_reply(ss, 421, "4.4.2", "%s Timeout reading message text", cfg->hostname);
            else if (rc == MG_IO_WAKE)
                mg_smtp_reply(ss, 421, "4.3.2", "%s Service shutting down", cfg->hostname);
            return false;
        }
        enum mg_smtp_data_rc dr = mg_smtp_data_line(&d, line, len, rc == MG_IO_TOO_LONG,
                                                    spool_failed ? NULL : sp);
        if (dr == MG_DATA_END)
            break;
        if (dr == MG_DATA_SPOOL_FAILED)
            spool_failed = true; /* keep reading to the end marker, then refuse */
    }
    ss->io.timeout = cfg->command_timeout;
    if (d.long_line) {
        mg_smtp_reply(ss, 500, "5.5.2", "Line too long (RFC 5321 4.5.3.1.6: 1000 octets)");
        *refused = true;
    } else if (spool_failed || mg_spool_failed(sp)) {
        int e = mg_spool_error(sp);
        if (e == EFBIG)
            mg_smtp_reply(ss, 552, "5.3.4", "Message size exceeds fixed limit");
        else
            mg_smtp_reply(ss, 452, "4.3.1", "Insufficient system storage");
        *refused = true;
    }
    return true;
}

/* Returns false when the session must end. */
static bool do_data(struct mg_smtp_session *ss)
{
    const struct mg_smtp_config *cfg = ss->gen->cfg;
    if (!ss->tx.active) {
        mg_smtp_reply(ss, 503, "5.5.1", "Need MAIL command");
        return true;
    }
    if (ss->tx.rcpts->len == 0) {
        mg_smtp_reply(ss, 554, "5.5.1", "No valid recipients");
        return true;
    }
    if (ss->tx.broken || !ss->next.open) {
        mg_smtp_reply(ss, 451, "4.4.2", "Next hop failed, try again later");
        tx_reset(ss);
        return true;
    }
    const struct mg_policy *pol = mg_engine_policy(ss->gen->er->engine);
    struct mg_spool *sp = mg_spool_new(pol->spool_threshold, (size_t)cfg->max_message_size, pol->tmpdir);
    if (!sp) {
        mg_smtp_reply(ss, 451, "4.3.0", "Out of memory, try again later");
        return true;
    }
    mg_smtp_reply(ss, 354, NULL, "End data with <CR><LF>.<CR><LF>");
    bool refused;
    double t_recv = mg_server_now();
    bool ok = read_data(ss, sp, &refused);
    if (ok)
        mg_metrics_observe(MG_STAGE_RECEIVE, mg_server_now() - t_recv);
    bool next_done = false; /* did the next hop accept it (and so end its transaction)? */
    if (ok && !refused)
        next_done = mg_smtp_relay(ss, sp);
    else if (ok)
        mg_smtp_audit(ss, NULL, mg_spool_size(sp), 0, NULL, 0, NULL,
                      "refused while receiving (size, line length or storage)");
    mg_spool_free(sp);
    if (ok)
        ss->messages++;
    tx_reset(ss);
    /* Otherwise the next hop still holds our MAIL and RCPTs: reset it, or
     * the next transaction on this connection would be a nested MAIL. */
    if (ok && !next_done && ss->next.open) {
        struct mg_smtp_reply r;
        if (mg_smtp_client_cmd(&ss->next, "RSET", &r) != 250)
            next_close(ss);
    }
    return ok;
}

/* Ends the transaction here and at the next hop. */
static void tx_abort(struct mg_smtp_session *ss)
{
    if (ss->next.open && ss->tx.active) {
        struct mg_smtp_reply r;
        if (mg_smtp_client_cmd(&ss->next, "RSET", &r) != 250)
            next_close(ss);
    }
    tx_reset(ss);
}

static void do_rset(struct mg_smtp_session *ss)
{
    tx_abort(ss);
    mg_smtp_reply(ss, 250, "2.0.0", "Ok");
}

/* Returns false when the session must end. */
static bool do_starttls(struct mg_smtp_session *ss)
{
    if (!ss->gen->tls_server) {
        mg_smtp_reply(ss, 502, "5.5.1", "STARTTLS not offered");
        return true;
    }
    if (ss->tls) {
        mg_smtp_reply(ss, 503, "5.5.1", "TLS already active");
        return true;
    }
    mg_smtp_reply(ss, 220, "2.0.0", "Ready to start TLS");
    if (mg_smtp_io_flush(&ss->io) != MG_IO_OK)
        return false;
    /* RFC 3207 4.2 / CVE-2011-0411: nothing sent before the handshake may be
     * taken as a command after it. */
    mg_smtp_io_drop_input(&ss->io);
    if (mg_smtp_io_tls(&ss->io, ss->gen->tls_server, true, NULL) != MG_IO_OK) {
        mg_log(MG_LOG_NOTICE, ss->id, NULL, "TLS handshake failed client=%s", ss->peer->ip);
        ss->end_reason = "tls-failed";
        return false;
    }
    ss->tls = true;
    ss->greeted = false;
    ss->helo[0] = '\0';
    tx_reset(ss);
    next_close(ss);
    return true;
}

/* Returns false when the session must end. */
static bool dispatch(struct mg_smtp_session *ss, const struct mg_smtp_cmd *c)
{
    switch (c->verb) {
    case MG_SMTP_HELO:
    case MG_SMTP_EHLO:
        tx_abort(ss); /* EHLO/HELO reset the transaction (RFC 5321 4.1.4) */
        do_ehlo(ss, c);
        return true;
    case MG_SMTP_MAIL:
        do_mail(ss, c);
        return ss->end_reason == NULL;
    case MG_SMTP_RCPT:
        do_rcpt(ss, c);
        return true;
    case MG_SMTP_DATA:
        return do_data(ss);
    case MG_SMTP_RSET:
        do_rset(ss);
        return true;
    case MG_SMTP_NOOP:
        mg_smtp_reply(ss, 250, "2.0.0", "Ok");
        return true;
    case MG_SMTP_QUIT:
        mg_smtp_reply(ss, 221, "2.0.0", "Bye");
        ss->end_reason = "quit";
        return false;
    case MG_SMTP_VRFY:
        mg_smtp_reply(ss, 252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
        return true;
    case MG_SMTP_EXPN:
        mg_smtp_reply(ss, 502, "5.5.1", "EXPN not available");
        return true;
    case MG_SMTP_HELP:
        mg_smtp_reply(ss, 214, "2.0.0", "See RFC 5321");
        return true;
    case MG_SMTP_STARTTLS:
        return do_starttls(ss);
    case MG_SMTP_BDAT:
        mg_smtp_reply(ss, 502, "5.5.1", "CHUNKING not offered");
        ss->errors++;
        return true;
    case MG_SMTP_UNKNOWN:
        break;
    }
    mg_smtp_reply(ss, 500, "5.5.1", "Command unrecognized");
    return true;
}

static void reply_parse_error(struct mg_smtp_session *ss, enum mg_smtp_perr e,
                              const struct mg_smtp_cmd *c)
{
    ss->errors++;
    switch (e) {
    case MG_SMTP_E_UNKNOWN:
        mg_smtp_reply(ss, 500, "5.5.1", "Command unrecognized");
        break;
    case MG_SMTP_E_TOO_LONG:
        mg_smtp_reply(ss, 500, "5.5.2", "Line too long");
        break;
    case MG_SMTP_E_ADDRESS:
        mg_smtp_reply(ss, c->verb == MG_SMTP_RCPT ? 501 : 501, c->verb == MG_SMTP_RCPT ? "5.1.3" : "5.1.7",
                      "Bad address syntax");
        break;
    case MG_SMTP_E_PARAM:
        mg_smtp_reply(ss, 555, "5.5.4", "Unsupported or bad parameter");
        break;
    case MG_SMTP_E_SYNTAX:
    case MG_SMTP_OK:
        mg_smtp_reply(ss, 501, "5.5.2", "Syntax error in parameters or arguments");
        break;
    }
}

/* A client outside allowed-clients: RFC 5321 3.1 lets us greet with 554 and
 * then refuse everything but QUIT. */
static void refuse_loop(struct mg_smtp_session *ss)
{
    char line[MG_SMTP_CMD_MAX];
    mg_smtp_reply(ss, 554, "5.7.1", "%s Access denied", ss->gen->cfg->hostname);
    for (unsigned n = 0; n < 20; n++) {
        size_t len;
        enum mg_io_rc rc = mg_smtp_io_getline(&ss->io, line, sizeof(line) - 2, &len);
        if (rc != MG_IO_OK && rc != MG_IO_TOO_LONG)
            break;
        struct mg_smtp_cmd c;
        if (rc == MG_IO_OK && mg_smtp_cmd_parse(line, len, &c) == MG_SMTP_OK && c.verb == MG_SMTP_QUIT) {
            mg_smtp_reply(ss, 221, "2.0.0", "Bye");
            break;
        }
        mg_smtp_reply(ss, 503, "5.7.1", "Access denied");
    }
    (void)mg_smtp_io_flush(&ss->io);
}

static void session_loop(struct mg_smtp_session *ss)
{
    char line[MG_SMTP_CMD_MAX];
    const struct mg_smtp_config *cfg = ss->gen->cfg;
    mg_smtp_reply(ss, 220, NULL, "%s ESMTP mugai", cfg->hostname);
    for (;;) {
        cfg = ss->gen->cfg;
        /* Idle between transactions, a drain ends the session at once. */
        ss->io.wake_fd[0] = ss->tx.active ? -1 : mg_listener_drain_fd(ss->srv->front.listener);
        ss->io.timeout = cfg->command_timeout;
        size_t len;
        enum mg_io_rc rc = mg_smtp_io_getline(&ss->io, line, sizeof(line) - 2, &len);
        if (rc == MG_IO_WAKE) {
            mg_smtp_reply(ss, 421, "4.3.2", "%s Service shutting down, try again later", cfg->hostname);
            ss->end_reason = "shutdown";
            break;
        }
        if (rc == MG_IO_TIMEOUT) {
            mg_smtp_reply(ss, 421, "4.4.2", "%s Timeout exceeded", cfg->hostname);
            ss->end_reason = "timeout";
            break;
        }
        if (rc == MG_IO_EOF || rc == MG_IO_ERROR) {
            ss->end_reason = rc == MG_IO_EOF ? (ss->tx.active ? "lost-in-transaction" : "eof") : "io-error";
            break;
        }
        struct mg_smtp_cmd c;
        enum mg_smtp_perr pe = rc == MG_IO_TOO_LONG ? MG_SMTP_E_TOO_LONG
                                                    : mg_smtp_cmd_parse(line, len, &c);
        if (pe != MG_SMTP_OK) {
            if (rc == MG_IO_TOO_LONG)
                memset(&c, 0, sizeof(c));
            reply_parse_error(ss, pe, &c);
        } else if (!dispatch(ss, &c)) {
            break;
        }
        if (ss->errors >= cfg->max_errors) {
            mg_smtp_reply(ss, 421, "4.7.0", "%s Too many errors", cfg->hostname);
            ss->end_reason = "too-many-errors";
            break;
        }
        if (ss->io.failed) {
            ss->end_reason = "io-error";
            break;
        }
    }
    ss->io.wake_fd[0] = -1;
    (void)mg_smtp_io_flush(&ss->io);
}

static void session_main(int fd, const struct mg_peer *peer, void *ud)
{
    struct mg_smtp_server *srv = ud;
    struct mg_smtp_session ss = { .srv = srv, .peer = peer };
    ss.gen = mg_smtp_server_gen(srv);
    ss.tx.rcpts = g_ptr_array_new_with_free_func(g_free);
    snprintf(ss.id, sizeof(ss.id), "s%lx-%lu", (unsigned long)getpid(),
             atomic_fetch_add(&srv->session_seq, 1) + 1);
    mg_smtp_io_init(&ss.io, fd, ss.gen->cfg->command_timeout);
    ss.io.wake_fd[1] = mg_listener_abort_fd(srv->front.listener);
    double t0 = mg_server_now();
    bool allowed = mg_smtp_client_allowed(ss.gen->cfg, (const struct sockaddr *)&peer->addr);
    if (!allowed) {
        mg_log(MG_LOG_NOTICE, ss.id, NULL, "client not allowed client=%s", peer->ip);
        ss.end_reason = "client-not-allowed";
        refuse_loop(&ss);
    } else {
        session_loop(&ss);
    }
    /* The next-hop connection serves a later session if this one's
     * settings are still the current ones and the next hop confirms that no
     * transaction is left open on it (RSET: a session that ended inside
     * DATA leaves our MAIL and RCPTs there). The client has had its last
     * reply already. */
    if (ss.next.open && !ss.tx.active && ss.gen->cfg->next_hop_reuse > 0 &&
        !mg_listener_draining(srv->front.listener)) {
        struct mg_smtp_gen *cur = mg_smtp_server_gen(srv);
        struct mg_smtp_reply r;
        /* 5 s, like QUIT's: the session still counts as a connection. */
        if (cur == ss.gen && mg_smtp_client_cmd_within(&ss.next, "RSET", 5, &r) == 250)
            mg_smtp_nhcache_park(&srv->nhcache, &ss.next, ss.gen, ss.gen->cfg->next_hop_reuse);
        mg_smtp_gen_put(cur);
    }
    next_close(&ss);
    mg_log(MG_LOG_INFO, ss.id, NULL,
           "smtp session client=%s port=%u helo=%s tls=%s messages=%u recipients=%u errors=%u "
           "bytes_in=%llu bytes_out=%llu seconds=%.3f end=%s",
           peer->ip, peer->port, ss.helo[0] ? ss.helo : "-", ss.tls ? "yes" : "no", ss.messages,
           ss.rcpts_total, ss.errors, (unsigned long long)ss.io.bytes_in,
           (unsigned long long)ss.io.bytes_out, mg_server_now() - t0,
           ss.end_reason ? ss.end_reason : "eof");
    mg_smtp_io_free(&ss.io);
    close(fd);
    g_ptr_array_free(ss.tx.rcpts, TRUE);
    mg_smtp_gen_put(ss.gen);
}

void mg_smtp_session_main(int fd, const struct mg_peer *peer, void *ud) { session_main(fd, peer, ud); }
