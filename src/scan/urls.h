/* Finding and rewriting links in UTF-8 text, for the text, html and mail
 * sanitizers. Recognises http://, https:// and ftp:// in any letter case,
 * also written in full-width forms (ｈｔｔｐ：／／) or mixed, with hosts that
 * use full-width or ideographic dots (．。｡) and IDN labels. */
#ifndef MG_SCAN_URLS_H
#define MG_SCAN_URLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum mg_urls_mode { MG_URLS_KEEP = 0, MG_URLS_DEFANG, MG_URLS_REMOVE };

struct mg_url_span {
    size_t start, end;             /* the whole link, byte offsets */
    size_t host_start, host_end;   /* the host part (with port, userinfo) */
    const char *scheme;            /* "http", "https" or "ftp" (normalised) */
};

/* Finds the first link at or after byte offset from; false if none. */
bool mg_urls_find(const uint8_t *p, size_t len, size_t from, struct mg_url_span *span);

/* Appends p to out with each link rewritten: DEFANG writes the scheme as
 * hxxp://, hxxps:// or fxp:// and every dot inside the host as [.]; REMOVE
 * writes `removed` (e.g. "[リンク削除]") instead of the link; KEEP copies.
 * *count gets the number of links rewritten. False when out failed. */
bool mg_urls_rewrite(const uint8_t *p, size_t len, enum mg_urls_mode mode,
                     const char *removed, struct mg_buf *out, size_t *count);

#endif
