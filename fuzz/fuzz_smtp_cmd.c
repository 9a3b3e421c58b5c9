/* libFuzzer harness for the SMTP command parser (proto/smtp/smtp_cmd.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/smtp/smtp_cmd.h"
#include "proto/smtp/smtp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_smtp_cmd c;
    enum mg_smtp_perr e = mg_smtp_cmd_parse((const char *)data, size, &c);
    if (e == MG_SMTP_OK) {
        /* Whatever is accepted must be NUL-terminated and within bounds. */
        if (strlen(c.addr) > MG_SMTP_PATH_MAX || strlen(c.domain) > MG_SMTP_DOMAIN_MAX ||
            strlen(c.arg) > MG_SMTP_DOMAIN_MAX)
            __builtin_trap();
        if ((c.verb == MG_SMTP_MAIL || c.verb == MG_SMTP_RCPT) && c.addr[0] && !c.postmaster &&
            !mg_smtp_mailbox_valid(c.addr, strlen(c.addr), c.smtputf8 || c.verb == MG_SMTP_RCPT, NULL))
            __builtin_trap();
        /* UTF-8 in a MAIL address only with SMTPUTF8 (RCPT is checked by the session). */
        if (c.verb == MG_SMTP_MAIL && c.utf8_addr && !c.smtputf8)
            __builtin_trap();
    }
    struct mg_smtp_reply r;
    bool more;
    (void)mg_smtp_reply_parse_line((const char *)data, size, &r, &more);
    return 0;
}
