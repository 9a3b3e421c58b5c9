#include "cli/quarantine_send.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "proto/smtp/smtp_client.h"
#include "proto/smtp/smtp_cmd.h"
#include "proto/smtp/smtp_config.h"
#include "server/tls.h"

bool mg_qrecord_is_mail(const struct mg_qrecord *r)
{
    const char *m = r->meta ? r->meta : "";
    if (strstr(m, "\"type\":\"smtp\"") || strstr(m, "\"command\":\"mail\""))
        return true;
    size_t n = r->name ? strlen(r->name) : 0;
    return n > 4 && g_ascii_strcasecmp(r->name + n - 4, ".eml") == 0;
}

/* The meta is our own JSON writer's output: a string is "..." with \" and
 * \\ escapes; anything fancier (\u...) is not an address we relay. */
char *mg_qrecord_envelope_from(const struct mg_qrecord *r)
{
    static const char key[] = "\"from\":\"";
    const char *p = r->meta ? strstr(r->meta, key) : NULL;
    if (p == NULL)
        return NULL;
    p += sizeof(key) - 1;
    GString *s = g_string_new(NULL);
    for (; *p && *p != '"'; p++) {
        if (*p == '\\') {
            if (p[1] != '"' && p[1] != '\\') {
                g_string_free(s, TRUE);
                return NULL;
            }
            p++;
        }
        g_string_append_c(s, *p);
    }
    if (*p != '"') {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

static bool step(struct mg_smtp_client *c, const char *line, int want, char *err, size_t errlen)
{
    struct mg_smtp_reply rep;
    int code = mg_smtp_client_cmd(c, line, &rep);
    if (code / 100 == want)
        return true;
    snprintf(err, errlen, "next hop refused \"%s\": %d %s", line, code, code ? rep.text : c->err);
    return false;
}

bool mg_quarantine_send(const struct mg_policy *pol, const struct mg_qrecord *r, const uint8_t *data,
                        size_t len, const char *from, const char *to, const char *who,
                        char *err, size_t errlen)
{
    if (!mg_smtp_mailbox_valid(to, strlen(to), false, NULL)) {
        snprintf(err, errlen, "not a valid address: %s", to);
        return false;
    }
    if (*from && !mg_smtp_mailbox_valid(from, strlen(from), false, NULL)) {
        snprintf(err, errlen, "not a valid sender address: %s (give --from)", from);
        return false;
    }
    GError *gerr = NULL;
    struct mg_smtp_config *cfg = mg_smtp_config_load(pol->kf, &gerr);
    if (cfg == NULL) {
        snprintf(err, errlen, "%s", gerr ? gerr->message : "bad [smtp] section");
        g_clear_error(&gerr);
        return false;
    }
    SSL_CTX *tls = NULL;
    if (cfg->next_hop_tls != MG_TLS_NONE) {
        /* The relay's own client context: encryption on the private
         * segment, not authentication. */
        tls = mg_tls_client_ctx("smtp", &gerr);
        if (tls == NULL) {
            snprintf(err, errlen, "%s", gerr ? gerr->message : "cannot create a TLS context");
            g_clear_error(&gerr);
            mg_smtp_config_free(cfg);
            return false;
        }
    }
    /* A trace header in front (like Received:): the recipient and the MTA
     * logs can tell a released original from a sanitized copy. The
     * original's own bytes follow unchanged. */
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    struct mg_buf msg;
    mg_buf_init(&msg);
    mg_buf_printf(&msg, "X-Mugai-Released: job=%s; by=%s; to=%s; %s\r\n", r->id, who, to, date);
    mg_buf_append(&msg, data, len);

    struct mg_smtp_client c;
    struct mg_smtp_reply rep;
    bool ok = false;
    if (mg_buf_failed(&msg)) {
        snprintf(err, errlen, "out of memory");
    } else if (!mg_smtp_client_open(&c, cfg, tls, -1, &rep)) {
        snprintf(err, errlen, "next hop %s: %s", cfg->next_hop, rep.code ? rep.text : c.err);
    } else {
        char line[1100];
        snprintf(line, sizeof(line), "MAIL FROM:<%s>%s", from, c.cap_8bitmime ? " BODY=8BITMIME" : "");
        if (step(&c, line, 2, err, errlen)) {
            snprintf(line, sizeof(line), "RCPT TO:<%s>", to);
            if (step(&c, line, 2, err, errlen)) {
                int code = mg_smtp_client_data(&c, msg.data, msg.len, &rep);
                ok = code / 100 == 2;
                if (!ok)
                    snprintf(err, errlen, "next hop refused the message: %d %s", code, code ? rep.text : c.err);
                else
                    snprintf(err, errlen, "%d %s", code, rep.text); /* the acceptance, for the log */
            }
        }
        mg_smtp_client_close(&c);
    }
    mg_buf_free(&msg);
    if (tls)
        SSL_CTX_free(tls);
    mg_smtp_config_free(cfg);
    return ok;
}
