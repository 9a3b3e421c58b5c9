/* `mugai quarantine release ID --to ADDRESS`: re-sends a quarantined
 * ORIGINAL mail through the configured next hop ([smtp] next-hop). */
#ifndef MG_CLI_QUARANTINE_SEND_H
#define MG_CLI_QUARANTINE_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/quarantine.h"

/* True when the record is a mail (stored by the SMTP relay or mugai mail). */
bool mg_qrecord_is_mail(const struct mg_qrecord *r);
/* The envelope sender stored with an SMTP record ("" for the null
 * sender); NULL when the record has none (g_free). */
char *mg_qrecord_envelope_from(const struct mg_qrecord *r);
/* Sends data (the original) with a trace header to "to" from "from".
 * False with a message in err (the next hop's reply when it refused). */
bool mg_quarantine_send(const struct mg_policy *pol, const struct mg_qrecord *r, const uint8_t *data,
                        size_t len, const char *from, const char *to, const char *who,
                        char *err, size_t errlen);

#endif
