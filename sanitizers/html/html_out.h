/* The text writer behind the HTML converter: whitespace collapsing, line
 * and paragraph breaks owed until real content arrives (so empty elements
 * leave no empty lines), line prefixes ("> " for quotes, list markers),
 * table cell separators, and the rule that output text never opens a tag
 * (applied to the finished text, as tags can span text nodes). */
#ifndef MG_SANITIZERS_HTML_OUT_H
#define MG_SANITIZERS_HTML_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sanitizers/html/html_text.h"

/* Writes the prefix of a new line into b (blank: for an empty line, no
 * list marker may be consumed; trailing spaces are trimmed afterwards). */
typedef void (*mg_html_prefix_fn)(void *ctx, struct mg_buf *b, bool blank);

struct mg_html_out {
    struct mg_buf *buf;
    struct mg_html_stats *st;
    mg_html_prefix_fn prefix;
    void *prefix_ctx;
    struct mg_buf *capture;    /* also receives the content (link text), or NULL */
    size_t nl_pending;         /* newlines owed before the next content */
    size_t hard_spaces;        /* no-break spaces owed before the next content */
    size_t content_count;      /* content characters written so far */
    size_t line_start;         /* offset of the current line's content (after its prefix) */
    uint32_t last_cp;          /* last content code point */
    bool soft_space;           /* collapsible whitespace seen */
    bool soft_nl;              /* ... and it held a line break (CJK rule) */
    bool at_line_start;
    bool cell_sep;             /* " | " owed if the next content is on this line */
};

void mg_html_out_init(struct mg_html_out *o, struct mg_buf *buf, struct mg_html_stats *st,
                      mg_html_prefix_fn prefix, void *prefix_ctx);
/* Owes n line breaks (1: new line, 2: blank line) before the next content. */
void mg_html_out_break(struct mg_html_out *o, size_t n);
/* <br>: one more line break than already owed. */
void mg_html_out_br(struct mg_html_out *o);
/* Collapsible whitespace. */
void mg_html_out_space(struct mg_html_out *o);
/* Text from the document (UTF-8); pre keeps its spaces and line breaks. */
void mg_html_out_text(struct mg_html_out *o, const uint8_t *s, size_t len, bool pre);
/* Text of our own ("[", "<url>", "- "...): written as it is. */
void mg_html_out_literal(struct mg_html_out *o, const char *s, size_t len);
/* Ends the last line. */
void mg_html_out_finish(struct mg_html_out *o);

bool mg_html_is_wide(uint32_t cp);

/* Rewrites b from offset start so that no '<' opens markup ("<!", "<?",
 * "<b>", "</script ..."): such a '<' becomes U+FF1C. Email addresses in
 * angle brackets and "<https://...>" stay. Adds the number to *count. */
bool mg_html_out_neutralize(struct mg_buf *b, size_t start, size_t *count);

#endif
