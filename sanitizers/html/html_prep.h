/* Clean-up of the decoded UTF-8 before libxml2 sees it, where libxml2's
 * HTML 4 tokenizer differs from what browsers (HTML5) show:
 * - "<!" not starting a comment or DOCTYPE, and "</" not followed by a
 *   letter, are bogus comments up to the next '>' in HTML5 (Word's
 *   "<![if !supportLists]>" ... "<![endif]>" in every Outlook mail);
 *   libxml2 would show them as text. They are removed.
 * - Comments are removed, ended as in HTML5 (libxml2 misses "<!-->").
 * - U+0000 becomes U+FFFD (libxml2 stops at NUL in places).
 * <script>/<style> raw text is skipped over unchanged, as the tokenizer
 * would. */
#ifndef MG_SANITIZERS_HTML_PREP_H
#define MG_SANITIZERS_HTML_PREP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

bool mg_html_prep(const uint8_t *p, size_t len, struct mg_buf *out);

#endif
