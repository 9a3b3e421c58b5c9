/* The message delivered in place of one the engine blocked as a whole (the
 * mail sanitizer normally rebuilds a message around removed parts itself;
 * this covers a root that could not be parsed at all). Plain text, UTF-8,
 * base64, with the engine's notice; the original stays in quarantine. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/report.h"
#include "proto/smtp/smtp_session.h"

static void put_b64_lines(struct mg_buf *out, const uint8_t *data, size_t len)
{
    gchar *b = g_base64_encode(data, len);
    size_t bl = strlen(b);
    for (size_t i = 0; i < bl; i += 76) {
        size_t n = bl - i < 76 ? bl - i : 76;
        mg_buf_append(out, b + i, n);
        mg_buf_puts(out, "\r\n");
    }
    g_free(b);
}

static void put_encoded_word(struct mg_buf *out, const char *s)
{
    gchar *b = g_base64_encode((const guchar *)s, strlen(s));
    mg_buf_printf(out, "=?UTF-8?B?%s?=", b);
    g_free(b);
}

bool mg_smtp_notice_message(const struct mg_sandbox_result *job, const struct mg_smtp_session *ss,
                            struct mg_buf *out)
{
    const struct mg_sandbox *sb = ss->gen->er->sandbox;
    struct mg_buf body;
    mg_buf_init(&body);
    mg_buf_puts(&body, mg_sandbox_gettext(sb, N_("This message was removed by the content-disarm gateway because its safety could not be confirmed.")));
    mg_buf_puts(&body, "\n\n");
    mg_buf_puts(&body, job->notice);
    mg_buf_printf(&body, "\n\nJob: %s\n", job->job_id);

    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    const char *host = ss->gen->cfg->hostname;
    mg_buf_printf(out, "From: MAILER-DAEMON@%s\r\n", host);
    /* The recipients stay on the envelope; the header names none. */
    mg_buf_puts(out, "To: undisclosed-recipients:;\r\n");
    mg_buf_puts(out, "Subject: ");
    put_encoded_word(out, mg_sandbox_gettext(sb, N_("[mugai] A message was removed")));
    mg_buf_puts(out, "\r\n");
    mg_buf_printf(out, "Date: %s\r\n", date);
    mg_buf_printf(out, "Message-ID: <%s@%s>\r\n", job->job_id, host);
    mg_buf_printf(out, "X-Mugai-Job: %s\r\n", job->job_id);
    mg_buf_printf(out, "X-Mugai-Verdict: %s\r\n", mg_verdict_name(job->verdict));
    mg_buf_puts(out, "MIME-Version: 1.0\r\n");
    mg_buf_puts(out, "Content-Type: text/plain; charset=UTF-8\r\n");
    mg_buf_puts(out, "Content-Transfer-Encoding: base64\r\n\r\n");
    bool ok = !mg_buf_failed(&body);
    if (ok)
        put_b64_lines(out, body.data, body.len);
    mg_buf_free(&body);
    return ok && !mg_buf_failed(out);
}
