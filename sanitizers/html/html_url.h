/* URLs found in HTML attributes: what kind they are, and the printable
 * form written into the text. Only web, mail and telephone URLs are ever
 * written (an allow-list); the rest are counted. */
#ifndef MG_SANITIZERS_HTML_URL_H
#define MG_SANITIZERS_HTML_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define MG_HTML_URL_MAX 2048

enum mg_html_url_kind {
    MG_HU_EMPTY = 0,
    MG_HU_WEB,         /* http:, https:, ftp:, and "//host/..." */
    MG_HU_MAIL,        /* mailto: */
    MG_HU_TEL,         /* tel: */
    MG_HU_SCRIPT,      /* javascript:, vbscript:, livescript: */
    MG_HU_DATA,        /* data: */
    MG_HU_CID,         /* cid:, mid: (parts of the same mail) */
    MG_HU_FRAGMENT,    /* "#name": a place in the same document */
    MG_HU_RELATIVE,    /* no scheme: meaningless once the document is text */
    MG_HU_OTHER,       /* any other scheme (file:, ms-*, smb: ...) */
    MG_HU_TOO_LONG,    /* a writable kind, but longer than MG_HTML_URL_MAX */
};

/* Cleans url as browsers do (leading/trailing C0 controls and spaces
 * stripped, tabs and line breaks removed) and classifies it. For MG_HU_WEB,
 * MAIL and TEL the printable form goes to out (reset first): controls,
 * spaces, '<', '>', '"' and invisible bidi/zero-width characters are
 * percent-encoded, so the text cannot be spoofed or re-opened as markup. */
enum mg_html_url_kind mg_html_url_classify(const char *url, struct mg_buf *out);

/* Does the link text already say what the URL says ("example.com" for
 * "https://example.com/", "a@b.jp" for "mailto:a@b.jp")? */
bool mg_html_url_matches_text(const char *url, size_t ulen, const char *text, size_t tlen);

#endif
