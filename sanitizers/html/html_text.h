/* HTML to readable plain text (UTF-8), the heart of 無害化 for HTML mail
 * bodies and HTML files. Pure function: no job, no I/O, never fetches
 * anything. The mail sanitizer calls it for text/html parts; the html
 * sanitizer (html.c) wraps it for files.
 *
 * Charset: BOM, then the caller's label (the MIME part's charset), then a
 * <meta> prescan of the first 1024 bytes (WHATWG, simplified), then
 * detection; the first candidate that decodes without a single error wins
 * (mugai's own decoder, scan/charset.h). No candidate decoding cleanly is
 * MG_HTML_ERR_DECODE: the caller blocks the input as malformed. The decoded
 * UTF-8 is parsed by libxml2 with its encoding fixed to UTF-8, so a later
 * <meta> cannot switch it.
 *
 * The output never contains markup: text '<' that would open a tag is
 * written as U+FF1C; links are written "text <url>" only for http, https,
 * ftp, mailto and tel URLs. URL policy (keep/defang/remove) is NOT applied
 * here; the caller runs the shared URL policy over the whole text, so that
 * URLs in the text and in <url> are treated alike. */
#ifndef MG_SANITIZERS_HTML_TEXT_H
#define MG_SANITIZERS_HTML_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MG_HTML_DEFAULT_MAX_OUTPUT ((size_t)32 << 20)
#define MG_HTML_DEFAULT_MAX_INPUT ((size_t)64 << 20)
/* Structure no real document needs, refused because libxml2 2.9 spends
 * time proportional to the depth on every stray end tag and to the square
 * of the attribute count on every tag. */
#define MG_HTML_MAX_DEPTH 512
#define MG_HTML_MAX_ATTRS 256

struct mg_html_opts {
    size_t max_input;          /* decoded bytes given to the parser; 0 = default */
    size_t max_output;         /* bytes of text written; 0 = default */
    /* Polled every few thousand parser events; returning false stops the
     * conversion with MG_HTML_ERR_TIME. NULL: never stops. */
    bool (*time_ok)(void *ctx);
    void *time_ctx;
};

enum mg_html_error {
    MG_HTML_OK = 0,
    MG_HTML_ERR_DECODE,        /* no charset decodes the bytes cleanly */
    MG_HTML_ERR_PARSE,         /* libxml2 gave up (fatal error): text would be lost */
    MG_HTML_ERR_LIMIT,         /* max_input or max_output exceeded */
    MG_HTML_ERR_DEPTH,         /* elements nested deeper than MG_HTML_MAX_DEPTH */
    MG_HTML_ERR_ATTRS,         /* a tag with more than MG_HTML_MAX_ATTRS attributes */
    MG_HTML_ERR_TIME,          /* time_ok said stop */
    MG_HTML_ERR_RESOURCES,     /* out of memory */
};

enum mg_html_cs_source {
    MG_HTML_CS_NONE = 0,       /* empty input */
    MG_HTML_CS_BOM,
    MG_HTML_CS_LABEL,          /* the caller's label */
    MG_HTML_CS_META,           /* <meta charset> / http-equiv Content-Type */
    MG_HTML_CS_DETECTED,
};

struct mg_html_stats {
    enum mg_html_error error;
    char charset[40];          /* label used to decode ("" for empty input) */
    enum mg_html_cs_source charset_source;
    size_t decode_offset;      /* ERR_DECODE: first bad byte for the best candidate */

    /* Active content removed (counted also inside other removed elements). */
    size_t scripts;            /* <script> */
    size_t handlers;           /* on*= event handler attributes */
    size_t script_urls;        /* javascript:/vbscript: in href, src, action ... */
    size_t styles;             /* <style>, <link rel=stylesheet> */
    size_t forms;              /* <form> (its text is kept, its controls dropped) */
    size_t frames;             /* <iframe>, <frame> */
    size_t objects;            /* <object>, <embed>, <applet>, <svg>, <math>, <audio>, <video>, <canvas> */
    size_t refreshes;          /* <meta http-equiv=refresh> */
    size_t images_remote;      /* http:, https:, // (img src, background=) */
    size_t images_cid;         /* cid: (inline images of a mail) */
    size_t images_other;       /* data:, relative, other schemes */
    size_t links;              /* links written as <url> */
    size_t links_dropped;      /* links not written: dangerous or unknown scheme, too long */
    size_t controls;           /* control characters dropped from the text */
    size_t tags_neutralized;   /* '<' written as U+FF1C */
};

/* Converts html[len] into UTF-8 text appended to out (out's own limit
 * also applies). charset_label: the MIME charset parameter, or NULL when
 * the part had none (do not pass a default such as us-ascii). opts may be
 * NULL. Returns false with stats->error set; out then holds partial text
 * that must not be used. */
bool mg_html_to_text(const uint8_t *html, size_t len, const char *charset_label,
                     const struct mg_html_opts *opts, struct mg_buf *out,
                     struct mg_html_stats *stats);

const char *mg_html_error_name(enum mg_html_error e);

#endif
