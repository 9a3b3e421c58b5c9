/* The text sanitizer's work as a pure function, so that the mail and html
 * sanitizers clean a decoded body the same way: decode to UTF-8 (label or
 * detection), drop a BOM, strip control characters, rewrite links. */
#ifndef MG_SANITIZERS_TEXT_H
#define MG_SANITIZERS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "scan/charset.h"
#include "scan/urls.h"

struct mg_text_opts {
    enum mg_urls_mode urls;
    const char *url_removed;    /* replacement for MG_URLS_REMOVE; NULL: "[URL removed]" */
    size_t max_out;             /* limit on the output in bytes; 0: none */
};

struct mg_text_stats {
    struct mg_decode_result dec;  /* errors > 0: the text is malformed */
    const char *charset;          /* name of what was decoded, for the report */
    bool bom;                     /* a leading U+FEFF was dropped */
    size_t controls;              /* control characters removed */
    size_t urls;                  /* links rewritten */
    bool changed;                 /* output differs from the input bytes */
    bool over_limit;              /* max_out was hit (the output is incomplete) */
};

/* Cleans p into out (appended, UTF-8). label: MIME/HTML charset label, or
 * NULL to detect. Returns false on resource failure or over_limit; a
 * decoding error is not a failure, it is reported in st->dec. */
bool mg_text_clean(const char *label, const uint8_t *p, size_t len,
                   const struct mg_text_opts *o, struct mg_buf *out,
                   struct mg_text_stats *st);

/* Appends UTF-8 p to out without C0 controls other than TAB, LF, FF, CR,
 * without DEL and C1 controls, and without the bidirectional embedding,
 * override and isolate controls (U+202A-202E, U+2066-2069) used to disguise
 * file names and links. Returns the number removed. p must be valid UTF-8. */
size_t mg_text_strip_controls(const uint8_t *p, size_t len, struct mg_buf *out);

#endif
