/* The HTTP side of an ICAP answer: rewriting the encapsulated header block
 * for a rebuilt body, and the Japanese block page. */
#ifndef MG_ICAP_HTTP_H
#define MG_ICAP_HTTP_H

#include "sandbox/sandbox.h"
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "engine/engine.h"
#include "proto/icap/icap_parse.h"

/* Writes h's first line and its headers to out, leaving out every header
 * named in drop (NULL-terminated, case-insensitive); no final empty line. */
void mg_icap_http_copy(const struct mg_icap_head *h, const char *const *drop, struct mg_buf *out);

/* The header block for a rebuilt body: h without the framing and validator
 * headers of the old body (Content-Length, Transfer-Encoding,
 * Content-Encoding, ETag, Content-MD5, Content-Range, Digest, Accept-Ranges),
 * with Content-Type (mime, if given), Content-Disposition (new_name, if
 * given: keeps the original disposition type), Content-Length, and
 * X-Mugai-Job / X-Mugai-Verdict. Ends with the empty line. */
void mg_icap_http_rebuilt_head(const struct mg_icap_head *h, const char *mime, const char *new_name,
                               size_t body_len, const char *job_id, const char *verdict,
                               struct mg_buf *out);

/* The MIME type for a sanitizer's new file name when the sanitizer gave
 * none (docm renamed to docx keeps no macro-enabled type): a small table of
 * the renames mugai makes, else application/octet-stream. */
const char *mg_icap_mime_for_name(const char *name);

/* HTML-escapes s into out. */
void mg_icap_html_escape(const char *s, size_t len, struct mg_buf *out);

/* The block page (UTF-8 HTML, in the job's language) and its HTTP 403
 * response header block. upload: REQMOD wording. */
void mg_icap_block_page(const struct mg_sandbox *sb, const struct mg_sandbox_result *job, bool upload, const char *url, const char *name,
                        struct mg_buf *body);
void mg_icap_block_head(const struct mg_sandbox_result *job, size_t body_len, struct mg_buf *out);

#endif
