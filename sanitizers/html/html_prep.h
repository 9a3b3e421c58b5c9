/* Clean-up of the decoded UTF-8 before libxml2 sees it, where libxml2's
 * HTML 4 tokenizer differs from what browsers (HTML5) show:
 * - "<!" not starting a comment or DOCTYPE, and "</" not followed by a
 *   letter, are bogus comments up to the next '>' in HTML5 (Word's
 *   "<![if !supportLists]>" ... "<![endif]>" in every Outlook mail);
 *   libxml2 would show them as text. They are removed.
 * - Comments are removed, ended as in HTML5 (libxml2 misses "<!-->").
 * - U+0000 becomes U+FFFD (libxml2 stops at NUL in places).
 * <script>/<style> raw text is skipped over unchanged, as the tokenizer
 * would. Start tags are read (not changed) to count their attributes. */
#ifndef MG_SANITIZERS_HTML_PREP_H
#define MG_SANITIZERS_HTML_PREP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sanitizers/html/html_text.h"

/* Returns MG_HTML_OK, MG_HTML_ERR_LIMIT (out failed) or MG_HTML_ERR_ATTRS
 * (a start tag with more than MG_HTML_MAX_ATTRS attributes, counted the
 * way libxml2 2.9's htmlParseStartTag reads them). */
enum mg_html_error mg_html_prep(const uint8_t *p, size_t len, struct mg_buf *out);

#endif
