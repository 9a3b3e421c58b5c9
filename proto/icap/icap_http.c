#include "proto/icap/icap_http.h"

#include <string.h>

#include <glib.h>

#include "engine/report.h"

#ifndef N_
#define N_(s) s
#endif

static bool in_list(const struct mg_icap_hdr *h, const char *const *names)
{
    for (size_t i = 0; names && names[i]; i++)
        if (strlen(names[i]) == h->name_len && g_ascii_strncasecmp(h->name, names[i], h->name_len) == 0)
            return true;
    return false;
}

void mg_icap_http_copy(const struct mg_icap_head *h, const char *const *drop, struct mg_buf *out)
{
    mg_buf_append(out, h->line, h->line_len);
    mg_buf_puts(out, "\r\n");
    for (size_t i = 0; i < h->n_hdrs; i++) {
        const struct mg_icap_hdr *x = &h->hdrs[i];
        if (in_list(x, drop))
            continue;
        mg_buf_append(out, x->name, x->name_len);
        mg_buf_puts(out, ": ");
        mg_buf_append(out, x->value, x->value_len);
        mg_buf_puts(out, "\r\n");
    }
}

/* RFC 8187 ext-value for filename*=. */
static void put_ext_value(const char *s, struct mg_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    mg_buf_puts(out, "UTF-8''");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (g_ascii_isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
            mg_buf_putc(out, *p);
        else {
            mg_buf_putc(out, '%');
            mg_buf_putc(out, (uint8_t)hex[*p >> 4]);
            mg_buf_putc(out, (uint8_t)hex[*p & 15]);
        }
    }
}

/* An ASCII fallback for filename="...": non-ASCII and quotes become '_'. */
static void put_ascii_name(const char *s, struct mg_buf *out)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        mg_buf_putc(out, (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') ? '_' : *p);
}

void mg_icap_http_rebuilt_head(const struct mg_icap_head *h, const char *mime, const char *new_name,
                               size_t body_len, const char *job_id, const char *verdict,
                               struct mg_buf *out)
{
    static const char *const drop_base[] = {
        "Content-Length", "Transfer-Encoding", "Content-Encoding", "ETag", "Content-MD5",
        "Content-Range", "Digest", "Repr-Digest", "Content-Digest", "Accept-Ranges",
        "X-Mugai-Job", "X-Mugai-Verdict", NULL
    };
    const char *drop[20];
    size_t n = 0;
    for (; drop_base[n]; n++)
        drop[n] = drop_base[n];
    if (mime)
        drop[n++] = "Content-Type";
    if (new_name)
        drop[n++] = "Content-Disposition";
    drop[n] = NULL;
    mg_icap_http_copy(h, drop, out);
    if (mime)
        mg_buf_printf(out, "Content-Type: %s\r\n", mime);
    if (new_name) {
        /* Keep the sender's disposition type (attachment/inline). */
        const char *type = "attachment";
        const struct mg_icap_hdr *cd = mg_icap_head_get(h, "Content-Disposition", NULL);
        if (cd && cd->value_len >= 6 && g_ascii_strncasecmp(cd->value, "inline", 6) == 0)
            type = "inline";
        mg_buf_printf(out, "Content-Disposition: %s; filename=\"", type);
        put_ascii_name(new_name, out);
        mg_buf_puts(out, "\"; filename*=");
        put_ext_value(new_name, out);
        mg_buf_puts(out, "\r\n");
    }
    mg_buf_printf(out, "Content-Length: %zu\r\n", body_len);
    mg_buf_puts(out, "Accept-Ranges: none\r\n");
    mg_buf_printf(out, "X-Mugai-Job: %s\r\nX-Mugai-Verdict: %s\r\n\r\n", job_id, verdict);
}

const char *mg_icap_mime_for_name(const char *name)
{
    static const struct { const char *ext, *mime; } table[] = {
        { "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
        { "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
        { "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
        { "dotx", "application/vnd.openxmlformats-officedocument.wordprocessingml.template" },
        { "xltx", "application/vnd.openxmlformats-officedocument.spreadsheetml.template" },
        { "potx", "application/vnd.openxmlformats-officedocument.presentationml.template" },
        { "txt", "text/plain; charset=utf-8" },
        { "pdf", "application/pdf" },
        { "zip", "application/zip" },
    };
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
            if (g_ascii_strcasecmp(dot + 1, table[i].ext) == 0)
                return table[i].mime;
    return "application/octet-stream";
}

void mg_icap_html_escape(const char *s, size_t len, struct mg_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': mg_buf_puts(out, "&amp;"); break;
        case '<': mg_buf_puts(out, "&lt;"); break;
        case '>': mg_buf_puts(out, "&gt;"); break;
        case '"': mg_buf_puts(out, "&quot;"); break;
        case '\'': mg_buf_puts(out, "&#39;"); break;
        case '\0': break;
        default: mg_buf_putc(out, (uint8_t)s[i]); break;
        }
    }
}

static void esc(const char *s, struct mg_buf *out) { mg_icap_html_escape(s, strlen(s), out); }

void mg_icap_block_page(const struct mg_sandbox *sb, const struct mg_sandbox_result *job, bool upload,
                        const char *url, const char *name, struct mg_buf *body)
{
#define T(s) mg_sandbox_gettext(sb, s)
    const char *title = upload ? T(N_("Upload blocked")) : T(N_("Download blocked"));
    bool en = mg_engine_policy(mg_sandbox_engine(sb))->lang == MG_LANG_EN;
    mg_buf_printf(body, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
                  en ? "en" : "ja");
    esc(title, body);
    mg_buf_puts(body, "</title>\n</head>\n<body>\n<h1>");
    esc(title, body);
    mg_buf_puts(body, "</h1>\n<p>");
    esc(T(N_("The content-disarm gateway blocked this file because its safety could not be confirmed.")), body);
    mg_buf_puts(body, "</p>\n<table>\n");
    if (url && url[0]) {
        mg_buf_puts(body, "<tr><th>");
        esc(T(N_("Address")), body);
        mg_buf_puts(body, "</th><td>");
        esc(url, body);
        mg_buf_puts(body, "</td></tr>\n");
    }
    if (name && name[0]) {
        mg_buf_puts(body, "<tr><th>");
        esc(T(N_("File name")), body);
        mg_buf_puts(body, "</th><td>");
        esc(name, body);
        mg_buf_puts(body, "</td></tr>\n");
    }
    mg_buf_puts(body, "<tr><th>");
    esc(T(N_("Job ID")), body);
    mg_buf_puts(body, "</th><td><code>");
    esc(job->job_id, body);
    mg_buf_puts(body, "</code></td></tr>\n</table>\n<pre>");
    esc(job->notice, body);
    mg_buf_puts(body, "</pre>\n<p>");
    esc(T(N_("If you need this file, ask your administrator and give the job ID above.")), body);
    mg_buf_puts(body, "</p>\n</body>\n</html>\n");
#undef T
}

void mg_icap_block_head(const struct mg_sandbox_result *job, size_t body_len, struct mg_buf *out)
{
    mg_buf_printf(out,
                  "HTTP/1.1 403 Forbidden\r\n"
                  "Content-Type: text/html; charset=utf-8\r\n"
                  "Content-Length: %zu\r\n"
                  "Cache-Control: no-store\r\n"
                  "X-Content-Type-Options: nosniff\r\n"
                  "X-Mugai-Job: %s\r\n"
                  "X-Mugai-Verdict: blocked\r\n"
                  "\r\n",
                  body_len, job->job_id);
}
