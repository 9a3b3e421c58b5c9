/* SMTP command line parser: one line (without CRLF) in, a typed command out.
 * A pure function, no I/O and no allocation, so that it is unit-tested and
 * fuzzed on its own. Addresses are validated by the RFC 5321 grammar
 * (Mailbox, Dot-string, Quoted-string, Domain, address-literal), with UTF-8
 * only when the command carries SMTPUTF8 (RFC 6531). */
#ifndef MG_SMTP_CMD_H
#define MG_SMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1.4: 512 octets including CRLF, plus the allowance the
 * extensions we offer add to MAIL/RCPT (SIZE 26, BODY=8BITMIME 16, SMTPUTF8 10). */
#define MG_SMTP_CMD_MAX (512 + 26 + 16 + 10)
/* RFC 5321 4.5.3.1: path 256 (with the brackets), domain 255. */
#define MG_SMTP_PATH_MAX 256
#define MG_SMTP_DOMAIN_MAX 255

enum mg_smtp_verb {
    MG_SMTP_UNKNOWN = 0,
    MG_SMTP_HELO,
    MG_SMTP_EHLO,
    MG_SMTP_MAIL,
    MG_SMTP_RCPT,
    MG_SMTP_DATA,
    MG_SMTP_RSET,
    MG_SMTP_NOOP,
    MG_SMTP_QUIT,
    MG_SMTP_VRFY,
    MG_SMTP_EXPN,
    MG_SMTP_HELP,
    MG_SMTP_STARTTLS,
    MG_SMTP_BDAT,              /* recognised to refuse it: CHUNKING is not offered */
};

enum mg_smtp_body { MG_SMTP_BODY_NONE = 0, MG_SMTP_BODY_7BIT, MG_SMTP_BODY_8BITMIME };

enum mg_smtp_perr {
    MG_SMTP_OK = 0,
    MG_SMTP_E_UNKNOWN,         /* 500 5.5.1 command unrecognized */
    MG_SMTP_E_SYNTAX,          /* 501 5.5.2 / 5.5.4 syntax error in parameters */
    MG_SMTP_E_ADDRESS,         /* 501 5.1.3 / 553 bad address syntax */
    MG_SMTP_E_PARAM,           /* 555 5.5.4 unknown or bad MAIL/RCPT parameter */
    MG_SMTP_E_TOO_LONG,        /* 500 5.5.2 line too long */
};

struct mg_smtp_cmd {
    enum mg_smtp_verb verb;
    /* HELO/EHLO domain or address literal; VRFY/EXPN/HELP/NOOP argument. */
    char arg[MG_SMTP_DOMAIN_MAX + 1];
    /* MAIL/RCPT: the mailbox without brackets and source route; "" for <>. */
    char addr[MG_SMTP_PATH_MAX + 1];
    /* Lowercased domain of addr ("" for <> or RCPT TO:<postmaster>). */
    char domain[MG_SMTP_DOMAIN_MAX + 1];
    bool has_size;
    uint64_t size;
    enum mg_smtp_body body;
    bool smtputf8;
    /* RCPT TO:<Postmaster> without a domain (RFC 5321 4.1.1.3). */
    bool postmaster;
    /* addr has non-ASCII octets (valid UTF-8). MAIL allows that only with
     * SMTPUTF8; for RCPT the parser accepts it and the session checks that
     * the transaction was started with SMTPUTF8. */
    bool utf8_addr;
};

/* Parses line[0..len) (CRLF already removed). Fills *cmd (verb is set
 * whenever the verb was recognised, even if the arguments are bad) and
 * returns MG_SMTP_OK or the error class. */
enum mg_smtp_perr mg_smtp_cmd_parse(const char *line, size_t len, struct mg_smtp_cmd *cmd);
const char *mg_smtp_verb_name(enum mg_smtp_verb v);

/* Grammar checks, exposed for tests and for the relay-domain check. */
bool mg_smtp_domain_valid(const char *s, size_t len, bool utf8);
bool mg_smtp_mailbox_valid(const char *s, size_t len, bool utf8, size_t *at_pos);

#endif
