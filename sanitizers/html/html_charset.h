/* Which charset an HTML document is in, and its decoding to UTF-8 (with
 * mugai's own decoder, scan/charset.h, never libxml2's iconv). */
#ifndef MG_SANITIZERS_HTML_CHARSET_H
#define MG_SANITIZERS_HTML_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sanitizers/html/html_text.h"

/* Bytes the WHATWG prescan looks at. */
#define MG_HTML_PRESCAN_LEN 1024

/* Length of a byte order mark at p (0 if none); *label gets its encoding. */
size_t mg_html_bom(const uint8_t *p, size_t len, const char **label);

/* The WHATWG "prescan a byte stream to determine its encoding", on the
 * first MG_HTML_PRESCAN_LEN bytes: comments and other tags are skipped,
 * <meta charset=...> and <meta http-equiv=content-type content=...> are
 * read. Writes the label (lower case) to label[labellen] and returns true
 * when one is found. Labels naming UTF-16 are reported as "utf-8" (a
 * byte-oriented prescan can only have matched an ASCII-compatible file). */
bool mg_html_prescan_meta(const uint8_t *p, size_t len, char *label, size_t labellen);

/* The charset parameter of a Content-Type value ("text/html; charset=x"),
 * the WHATWG "extracting a character encoding from a meta element". */
bool mg_html_charset_from_content(const uint8_t *p, size_t len, char *label, size_t labellen);

/* Decodes html to UTF-8 into out, choosing the charset as described in
 * html_text.h. Fills stats->charset, charset_source, decode_offset and, on
 * failure, stats->error. */
bool mg_html_decode(const uint8_t *p, size_t len, const char *caller_label,
                    struct mg_buf *out, struct mg_html_stats *stats);

#endif
