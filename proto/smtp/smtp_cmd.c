#include "proto/smtp/smtp_cmd.h"

#include <string.h>

#include "core/utf8.h"

static const struct {
    const char *name;
    enum mg_smtp_verb verb;
} verbs[] = {
    { "HELO", MG_SMTP_HELO }, { "EHLO", MG_SMTP_EHLO }, { "MAIL", MG_SMTP_MAIL },
    { "RCPT", MG_SMTP_RCPT }, { "DATA", MG_SMTP_DATA }, { "RSET", MG_SMTP_RSET },
    { "NOOP", MG_SMTP_NOOP }, { "QUIT", MG_SMTP_QUIT }, { "VRFY", MG_SMTP_VRFY },
    { "EXPN", MG_SMTP_EXPN }, { "HELP", MG_SMTP_HELP }, { "STARTTLS", MG_SMTP_STARTTLS },
    { "BDAT", MG_SMTP_BDAT },
};

const char *mg_smtp_verb_name(enum mg_smtp_verb v)
{
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (verbs[i].verb == v)
            return verbs[i].name;
    return "UNKNOWN";
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }
static bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t bl = strlen(b);
    if (alen != bl)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* RFC 5322 atext. */
static bool is_atext(unsigned char c)
{
    if (is_alpha(c) || is_digit(c))
        return true;
    return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Length of a valid UTF-8 sequence at s (non-ASCII only), 0 if invalid. */
static size_t utf8_seq(const char *s, size_t len)
{
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0 || u[0] < 0x80)
        return 0;
    if (u[0] >= 0xC2 && u[0] <= 0xDF)
        n = 2;
    else if (u[0] >= 0xE0 && u[0] <= 0xEF)
        n = 3;
    else if (u[0] >= 0xF0 && u[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (n > len)
        return 0;
    return mg_utf8_valid((const uint8_t *)s, n) ? n : 0;
}

/* sub-domain = Let-dig [Ldh-str], or a U-label (UTF-8) when utf8. */
bool mg_smtp_domain_valid(const char *s, size_t len, bool utf8)
{
    if (len == 0 || len > MG_SMTP_DOMAIN_MAX)
        return false;
    if (s[0] == '[') {
        /* address-literal: IPv4, or "IPv6:" / a standardized tag, then dcontent. */
        if (len < 3 || s[len - 1] != ']')
            return false;
        for (size_t i = 1; i + 1 < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\')
                return false;
        }
        return true;
    }
    size_t label = 0;
    bool last_hyphen = false;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || last_hyphen)
                return false;
            label = 0;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8 ? utf8_seq(s + i, len - i) : 0;
            if (n == 0)
                return false;
            i += n;
            label += n;
            last_hyphen = false;
            continue;
        }
        if (c == '-') {
            if (label == 0)
                return false;
            last_hyphen = true;
        } else if (is_alpha(c) || is_digit(c)) {
            last_hyphen = false;
        } else {
            return false;
        }
        label++;
        if (label > 63)
            return false;
        i++;
    }
    return label > 0 && !last_hyphen;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ). */
bool mg_smtp_mailbox_valid(const char *s, size_t len, bool utf8, size_t *at_pos)
{
    size_t i = 0;
    if (len == 0)
        return false;
    if (s[0] == '"') {
        /* Quoted-string: qtextSMTP (32-126 without " and \) or \ + printable. */
        i = 1;
        for (;;) {
            if (i >= len)
                return false;
            unsigned char c = (unsigned char)s[i];
            if (c == '"') {
                i++;
                break;
            }
            if (c == '\\') {
                if (i + 1 >= len || (unsigned char)s[i + 1] < 32 || (unsigned char)s[i + 1] > 126)
                    return false;
                i += 2;
                continue;
            }
            if (c >= 0x80) {
                size_t n = utf8 ? utf8_seq(s + i, len - i) : 0;
                if (n == 0)
                    return false;
                i += n;
                continue;
            }
            if (c < 32 || c > 126)
                return false;
            i++;
        }
    } else {
        /* Dot-string = Atom *("." Atom). */
        bool atom_empty = true;
        for (; i < len && s[i] != '@';) {
            unsigned char c = (unsigned char)s[i];
            if (c == '.') {
                if (atom_empty)
                    return false;
                atom_empty = true;
                i++;
                continue;
            }
            if (c >= 0x80) {
                size_t n = utf8 ? utf8_seq(s + i, len - i) : 0;
                if (n == 0)
                    return false;
                i += n;
            } else if (is_atext(c)) {
                i++;
            } else {
                return false;
            }
            atom_empty = false;
        }
        if (atom_empty)
            return false;
    }
    /* RFC 5321 4.5.3.1.1: local-part up to 64 octets. */
    if (i > 64 || i >= len || s[i] != '@')
        return false;
    if (at_pos)
        *at_pos = i;
    return mg_smtp_domain_valid(s + i + 1, len - i - 1, utf8);
}

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Parses " key[=value]" parameters after the path of MAIL/RCPT. */
static enum mg_smtp_perr parse_params(const char *p, const char *end, struct mg_smtp_cmd *cmd)
{
    while (p < end) {
        if (*p != ' ')
            return MG_SMTP_E_SYNTAX;
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        const char *kw = p;
        while (p < end && *p != ' ' && *p != '=')
            p++;
        size_t kwlen = (size_t)(p - kw);
        const char *val = NULL;
        size_t vlen = 0;
        if (p < end && *p == '=') {
            val = ++p;
            while (p < end && *p != ' ')
                p++;
            vlen = (size_t)(p - val);
        }
        if (kwlen == 0)
            return MG_SMTP_E_SYNTAX;
        if (cmd->verb == MG_SMTP_MAIL && ieq(kw, kwlen, "SIZE")) {
            if (!val || cmd->has_size || !parse_u64(val, vlen, &cmd->size))
                return MG_SMTP_E_PARAM;
            cmd->has_size = true;
        } else if (cmd->verb == MG_SMTP_MAIL && ieq(kw, kwlen, "BODY")) {
            if (!val || cmd->body != MG_SMTP_BODY_NONE)
                return MG_SMTP_E_PARAM;
            if (ieq(val, vlen, "7BIT"))
                cmd->body = MG_SMTP_BODY_7BIT;
            else if (ieq(val, vlen, "8BITMIME"))
                cmd->body = MG_SMTP_BODY_8BITMIME;
            else
                return MG_SMTP_E_PARAM;
        } else if (cmd->verb == MG_SMTP_MAIL && ieq(kw, kwlen, "SMTPUTF8")) {
            if (val || cmd->smtputf8)
                return MG_SMTP_E_PARAM;
            cmd->smtputf8 = true;
        } else {
            return MG_SMTP_E_PARAM;
        }
    }
    return MG_SMTP_OK;
}

/* "FROM:<path>" / "TO:<path>" and the parameters. */
static enum mg_smtp_perr parse_path_cmd(const char *a, const char *end, const char *kw,
                                        struct mg_smtp_cmd *cmd)
{
    size_t kl = strlen(kw);
    if ((size_t)(end - a) < kl || !ieq(a, kl, kw))
        return MG_SMTP_E_SYNTAX;
    const char *p = a + kl;
    /* Tolerate "MAIL FROM: <a@b>" (a space after the colon), which common
     * clients send; nothing else is relaxed. */
    while (p < end && *p == ' ')
        p++;
    if (p == end || *p != '<')
        return MG_SMTP_E_SYNTAX;
    const char *close = memchr(p, '>', (size_t)(end - p));
    if (!close)
        return MG_SMTP_E_SYNTAX;
    /* The parameters decide whether UTF-8 is allowed in the path, so read them first. */
    enum mg_smtp_perr pe = parse_params(close + 1, end, cmd);
    const char *path = p + 1;
    size_t plen = (size_t)(close - path);
    if (plen + 2 > MG_SMTP_PATH_MAX)
        return MG_SMTP_E_ADDRESS;
    if (plen > 0 && path[0] == '@') {
        /* A-d-l source route: RFC 5321 4.1.1.3 says accept and ignore it. */
        const char *colon = memchr(path, ':', plen);
        if (!colon)
            return MG_SMTP_E_ADDRESS;
        const char *r = path;
        while (r < colon) {
            if (*r != '@')
                return MG_SMTP_E_ADDRESS;
            const char *e = r + 1;
            while (e < colon && *e != ',')
                e++;
            if (!mg_smtp_domain_valid(r + 1, (size_t)(e - r - 1), cmd->smtputf8 || cmd->verb == MG_SMTP_RCPT))
                return MG_SMTP_E_ADDRESS;
            r = e < colon ? e + 1 : e;
        }
        plen -= (size_t)(colon + 1 - path);
        path = colon + 1;
    }
    if (pe != MG_SMTP_OK)
        return pe;
    if (plen == 0) {
        if (cmd->verb != MG_SMTP_MAIL)
            return MG_SMTP_E_ADDRESS;
        cmd->addr[0] = '\0';
        return MG_SMTP_OK;
    }
    if (cmd->verb == MG_SMTP_RCPT && ieq(path, plen, "postmaster")) {
        memcpy(cmd->addr, path, plen);
        cmd->addr[plen] = '\0';
        cmd->postmaster = true;
        return MG_SMTP_OK;
    }
    size_t at;
    bool utf8 = cmd->smtputf8 || cmd->verb == MG_SMTP_RCPT;
    if (!mg_smtp_mailbox_valid(path, plen, utf8, &at))
        return MG_SMTP_E_ADDRESS;
    for (size_t i = 0; i < plen; i++)
        if ((unsigned char)path[i] >= 0x80)
            cmd->utf8_addr = true;
    memcpy(cmd->addr, path, plen);
    cmd->addr[plen] = '\0';
    size_t dl = plen - at - 1;
    for (size_t i = 0; i < dl; i++)
        cmd->domain[i] = lower(path[at + 1 + i]);
    cmd->domain[dl] = '\0';
    return MG_SMTP_OK;
}

enum mg_smtp_perr mg_smtp_cmd_parse(const char *line, size_t len, struct mg_smtp_cmd *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    if (len + 2 > MG_SMTP_CMD_MAX)
        return MG_SMTP_E_TOO_LONG;
    size_t vl = 0;
    while (vl < len && line[vl] != ' ')
        vl++;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (ieq(line, vl, verbs[i].name)) {
            cmd->verb = verbs[i].verb;
            break;
        }
    }
    if (cmd->verb == MG_SMTP_UNKNOWN)
        return MG_SMTP_E_UNKNOWN;
    for (size_t i = vl; i < len; i++) {
        /* NUL, CR and LF never belong in a command line. */
        if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n')
            return MG_SMTP_E_SYNTAX;
    }
    const char *a = line + vl;
    const char *end = line + len;
    /* Trailing spaces are common and harmless. */
    while (end > a && end[-1] == ' ')
        end--;
    bool has_arg = a < end;
    if (has_arg)
        a++; /* the single SP after the verb */
    size_t alen = has_arg ? (size_t)(end - a) : 0;

    switch (cmd->verb) {
    case MG_SMTP_HELO:
    case MG_SMTP_EHLO:
        /* RFC 5321 4.1.1.1: a domain or an address literal. Postfix and
         * Exim also accept anything printable here; we don't need to be
         * strict because the name is only logged, but it must be printable. */
        if (alen == 0 || alen > MG_SMTP_DOMAIN_MAX)
            return MG_SMTP_E_SYNTAX;
        for (size_t i = 0; i < alen; i++)
            if ((unsigned char)a[i] < 33 || (unsigned char)a[i] > 126)
                return MG_SMTP_E_SYNTAX;
        memcpy(cmd->arg, a, alen);
        cmd->arg[alen] = '\0';
        return MG_SMTP_OK;
    case MG_SMTP_MAIL:
        return parse_path_cmd(a, end, "FROM:", cmd);
    case MG_SMTP_RCPT:
        return parse_path_cmd(a, end, "TO:", cmd);
    case MG_SMTP_DATA:
    case MG_SMTP_RSET:
    case MG_SMTP_QUIT:
    case MG_SMTP_STARTTLS:
        return alen == 0 ? MG_SMTP_OK : MG_SMTP_E_SYNTAX;
    case MG_SMTP_VRFY:
    case MG_SMTP_EXPN:
        if (alen == 0)
            return MG_SMTP_E_SYNTAX;
        /* fall through */
    case MG_SMTP_NOOP:
    case MG_SMTP_HELP:
    case MG_SMTP_BDAT: {
        size_t n = alen > MG_SMTP_DOMAIN_MAX ? MG_SMTP_DOMAIN_MAX : alen;
        memcpy(cmd->arg, a, n);
        cmd->arg[n] = '\0';
        return MG_SMTP_OK;
    }
    case MG_SMTP_UNKNOWN:
        break;
    }
    return MG_SMTP_E_UNKNOWN;
}
