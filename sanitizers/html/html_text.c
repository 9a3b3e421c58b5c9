/* HTML to text: decode (html_charset.c), clean up (html_prep.c), parse with
 * libxml2's HTML parser in SAX mode, render (html_out.c).
 *
 * SAX, not a tree: nothing is built, so memory does not grow with the
 * number of elements, and the callbacks can stop the parser on the time
 * and output limits. Depth: libxml2 2.9's own 256-level limit ends the
 * parse with the rest of the text silently lost, so XML_PARSE_HUGE lifts
 * it and we refuse more than MG_HTML_MAX_DEPTH levels ourselves (an error,
 * not a truncation). Our context stack is smaller (CTX_MAX): deeper lists
 * and quotes are flattened, their text still written. */
#include "sanitizers/html/html_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "core/utf8.h"
#include "sanitizers/html/html_charset.h"
#include "sanitizers/html/html_elements.h"
#include "sanitizers/html/html_out.h"
#include "sanitizers/html/html_prep.h"
#include "sanitizers/html/html_url.h"

#define CTX_MAX 64
#define PREFIX_MAX 64
#define TICK_EVERY 4096
#define LINK_TEXT_MAX 4096
#define ALT_MAX 1024

enum ctx_kind { C_LIST, C_LI, C_DD, C_QUOTE, C_PRE, C_TABLE, C_RUBY };

struct ctx {
    enum ctx_kind kind;
    size_t depth;              /* element depth that pushed it */
    bool ordered;              /* C_LIST */
    long counter;              /* C_LIST: number of the last item */
    char marker[24];           /* C_LI: "- " or "12. " */
    size_t marker_len;
    bool marker_pending;       /* C_LI: not yet written */
    size_t row_mark;           /* C_TABLE: content count when the row began */
    bool has_rp;               /* C_RUBY */
};

struct conv {
    htmlParserCtxtPtr ctxt;
    const struct mg_html_opts *opts;
    struct mg_html_stats *st;
    struct mg_html_out out;
    size_t depth;
    size_t skip_depth;         /* > 0: inside a dropped element that began at this depth */
    size_t in_pre;
    bool pre_start;            /* next text is the first of a <pre> */
    struct ctx stack[CTX_MAX];
    size_t nctx;
    bool link_open;
    bool link_img;             /* an image inside the open link (visible, clickable) */
    size_t link_depth;
    struct mg_buf link_url;
    struct mg_buf link_text;
    struct mg_buf scratch;
    size_t events;
    bool stopped;
    enum mg_html_error stop_error;
};

static void stop(struct conv *c, enum mg_html_error e)
{
    if (!c->stopped) {
        c->stopped = true;
        c->stop_error = e;
        xmlStopParser(c->ctxt);
    }
}

static bool tick(struct conv *c)
{
    if (c->stopped)
        return false;
    if (mg_buf_failed(c->out.buf)) {
        stop(c, c->out.buf->limit != 0 ? MG_HTML_ERR_LIMIT : MG_HTML_ERR_RESOURCES);
        return false;
    }
    if (++c->events % TICK_EVERY == 0 && c->opts->time_ok != NULL &&
        !c->opts->time_ok(c->opts->time_ctx)) {
        stop(c, MG_HTML_ERR_TIME);
        return false;
    }
    return true;
}

static struct ctx *push(struct conv *c, enum ctx_kind kind)
{
    if (c->nctx >= CTX_MAX)
        return NULL;                              /* flattened from here on */
    struct ctx *x = &c->stack[c->nctx++];
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->depth = c->depth;
    return x;
}

static struct ctx *nearest(struct conv *c, enum ctx_kind kind)
{
    for (size_t i = c->nctx; i > 0; i--) {
        if (c->stack[i - 1].kind == kind)
            return &c->stack[i - 1];
    }
    return NULL;
}

/* The line prefix: "> " per quote, list indentation, the pending marker. */
static void write_prefix(void *ud, struct mg_buf *b, bool blank)
{
    struct conv *c = ud;
    size_t start = b->len;
    for (size_t i = 0; i < c->nctx; i++) {
        struct ctx *x = &c->stack[i];
        const char *s = NULL;
        size_t n = 0;
        char spaces[sizeof(x->marker)];
        if (x->kind == C_QUOTE) {
            s = "> ";
            n = 2;
        } else if (x->kind == C_DD) {
            s = "  ";
            n = 2;
        } else if (x->kind == C_LI) {
            if (x->marker_pending && !blank) {
                s = x->marker;
                x->marker_pending = false;
            } else {
                memset(spaces, ' ', x->marker_len);
                s = spaces;
            }
            n = x->marker_len;
        }
        if (n == 0)
            continue;
        if (b->len - start + n > PREFIX_MAX)
            break;
        mg_buf_append(b, s, n);
    }
}

static const char *attr(const xmlChar **atts, const char *name)
{
    if (atts == NULL)
        return NULL;
    for (size_t i = 0; atts[i] != NULL; i += 2) {
        if (strcmp((const char *)atts[i], name) == 0)
            return atts[i + 1] != NULL ? (const char *)atts[i + 1] : "";
    }
    return NULL;
}

static bool contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s != '\0'; s++) {
        if (strncasecmp(s, word, n) == 0)
            return true;
    }
    return false;
}

static void count_image(struct conv *c, enum mg_html_url_kind k)
{
    if (k == MG_HU_WEB || k == MG_HU_TOO_LONG)
        c->st->images_remote++;
    else if (k == MG_HU_CID)
        c->st->images_cid++;
    else if (k != MG_HU_EMPTY)
        c->st->images_other++;
}

/* Counts what is removed; runs for every element, also inside dropped ones. */
static void count_element(struct conv *c, const struct mg_html_element *el, const xmlChar **atts)
{
    static const char *const url_attrs[] = {"href", "src", "action", "formaction", "data",
                                            "background", "lowsrc", "dynsrc", "poster",
                                            "xlink:href", "codebase", "archive", "ping"};
    for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2) {
        const char *n = (const char *)atts[i];
        const char *v = atts[i + 1] != NULL ? (const char *)atts[i + 1] : "";
        if ((n[0] == 'o' || n[0] == 'O') && (n[1] == 'n' || n[1] == 'N'))
            c->st->handlers++;
        for (size_t j = 0; j < sizeof(url_attrs) / sizeof(url_attrs[0]); j++) {
            if (strcmp(n, url_attrs[j]) != 0)
                continue;
            enum mg_html_url_kind k = mg_html_url_classify(v, &c->scratch);
            if (k == MG_HU_SCRIPT)
                c->st->script_urls++;
            if (strcmp(n, "background") == 0 || (el->role == MG_HR_IMG && strcmp(n, "src") == 0))
                count_image(c, k);
            break;
        }
    }
    switch (el->role) {
    case MG_HR_SCRIPT: c->st->scripts++; break;
    case MG_HR_STYLE: c->st->styles++; break;
    case MG_HR_FRAME: c->st->frames++; break;
    case MG_HR_OBJECT: c->st->objects++; break;
    case MG_HR_FORM: c->st->forms++; break;
    case MG_HR_LINK: {
        const char *rel = attr(atts, "rel");
        if (rel != NULL && contains_ci(rel, "stylesheet"))
            c->st->styles++;
        break;
    }
    case MG_HR_META: {
        const char *he = attr(atts, "http-equiv");
        if (he != NULL && strcasecmp(he, "refresh") == 0)
            c->st->refreshes++;
        break;
    }
    default: break;
    }
}

static bool in_list_item(struct conv *c)
{
    return nearest(c, C_LI) != NULL;
}

static void start_list(struct conv *c, bool ordered, const xmlChar **atts)
{
    struct ctx *x = push(c, C_LIST);
    if (x == NULL)
        return;
    x->ordered = ordered;
    const char *s = attr(atts, "start");
    long v = 1;
    if (ordered && s != NULL) {
        char *end;
        long n = strtol(s, &end, 10);
        if (end != s && n > -1000000000L && n < 1000000000L)
            v = n;
    }
    x->counter = v - 1;
}

static void start_li(struct conv *c, const xmlChar **atts)
{
    struct ctx *list = nearest(c, C_LIST);
    struct ctx *x = push(c, C_LI);
    if (x == NULL)
        return;
    if (list != NULL && list->ordered) {
        const char *s = attr(atts, "value");
        if (s != NULL) {
            char *end;
            long n = strtol(s, &end, 10);
            if (end != s && n > -1000000000L && n < 1000000000L)
                list->counter = n - 1;
        }
        if (list->counter < 1000000000L)
            list->counter++;
        int k = snprintf(x->marker, sizeof(x->marker), "%ld. ", list->counter);
        x->marker_len = k > 0 && (size_t)k < sizeof(x->marker) ? (size_t)k : 0;
    } else {
        memcpy(x->marker, "- ", 3);
        x->marker_len = 2;
    }
    x->marker_pending = true;
}

static void start_link(struct conv *c, const xmlChar **atts)
{
    const char *href = attr(atts, "href");
    if (href == NULL || c->link_open)
        return;
    enum mg_html_url_kind k = mg_html_url_classify(href, &c->link_url);
    if (k == MG_HU_WEB || k == MG_HU_MAIL || k == MG_HU_TEL) {
        if (mg_buf_failed(&c->link_url)) {
            c->st->links_dropped++;
            return;
        }
        c->link_open = true;
        c->link_img = false;
        c->link_depth = c->depth;
        mg_buf_reset(&c->link_text);
        c->out.capture = &c->link_text;
    } else if (k != MG_HU_EMPTY && k != MG_HU_FRAGMENT && k != MG_HU_RELATIVE) {
        c->st->links_dropped++;
    }
}

static void end_link(struct conv *c)
{
    c->link_open = false;
    c->out.capture = NULL;
    const char *url = mg_buf_cstr(&c->link_url);
    size_t ulen = c->link_url.len;
    bool has_text = false;
    for (size_t i = 0; i < c->link_text.len; i++) {
        if (c->link_text.data[i] != ' ')
            has_text = true;
    }
    if (has_text && !mg_buf_failed(&c->link_text) &&
        mg_html_url_matches_text(url, ulen, (const char *)c->link_text.data, c->link_text.len)) {
        c->st->links++;
        return;
    }
    if (!has_text && !c->link_img)
        return;                                   /* nothing to click on */
    if (has_text)
        mg_html_out_space(&c->out);
    mg_buf_reset(&c->scratch);
    mg_buf_putc(&c->scratch, '<');
    mg_buf_append(&c->scratch, url, ulen);
    mg_buf_putc(&c->scratch, '>');
    if (!mg_buf_failed(&c->scratch))
        mg_html_out_literal(&c->out, (const char *)c->scratch.data, c->scratch.len);
    c->st->links++;
}

static void image(struct conv *c, const xmlChar **atts)
{
    if (c->link_open)
        c->link_img = true;
    const char *alt = attr(atts, "alt");
    if (alt == NULL)
        return;
    while (*alt == ' ' || *alt == '\t' || *alt == '\n' || *alt == '\r' || *alt == '\f')
        alt++;
    size_t n = strnlen(alt, ALT_MAX);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)alt[i] > ' ')
            any = true;
    }
    if (!any)
        return;
    /* A cut alt text ends at a character boundary. */
    while (n > 0 && alt[n] != '\0' && ((unsigned char)alt[n] & 0xC0) == 0x80)
        n--;
    mg_html_out_literal(&c->out, "[", 1);
    mg_html_out_text(&c->out, (const uint8_t *)alt, n, false);
    c->out.soft_space = false;
    mg_html_out_literal(&c->out, "]", 1);
}

static void on_start(void *ud, const xmlChar *name, const xmlChar **atts)
{
    struct conv *c = ud;
    if (!tick(c))
        return;
    if (c->depth >= MG_HTML_MAX_DEPTH) {
        stop(c, MG_HTML_ERR_DEPTH);
        return;
    }
    c->depth++;
    const struct mg_html_element *el = mg_html_element((const char *)name);
    count_element(c, el, atts);
    if (c->skip_depth > 0)
        return;
    if (el->layout == MG_HL_DROP) {
        c->skip_depth = c->depth;
        return;
    }
    if (el->layout == MG_HL_VOID)
        return;
    c->pre_start = false;
    bool nested_list = (el->role == MG_HR_UL || el->role == MG_HR_OL) && in_list_item(c);
    if (el->layout == MG_HL_BLOCK || nested_list)
        mg_html_out_break(&c->out, 1);
    else if (el->layout == MG_HL_PARA)
        mg_html_out_break(&c->out, 2);

    struct ctx *x;
    switch (el->role) {
    case MG_HR_BR: mg_html_out_br(&c->out); break;
    case MG_HR_HR:
        mg_html_out_literal(&c->out, "----------", 10);
        mg_html_out_break(&c->out, 2);
        break;
    case MG_HR_UL: start_list(c, false, atts); break;
    case MG_HR_OL: start_list(c, true, atts); break;
    case MG_HR_LI: start_li(c, atts); break;
    case MG_HR_DD: (void)push(c, C_DD); break;
    case MG_HR_QUOTE: (void)push(c, C_QUOTE); break;
    case MG_HR_PRE:
        if (push(c, C_PRE) != NULL) {
            c->in_pre++;
            c->pre_start = true;
        }
        break;
    case MG_HR_A: start_link(c, atts); break;
    case MG_HR_IMG: image(c, atts); break;
    case MG_HR_TABLE:
        x = push(c, C_TABLE);
        if (x != NULL)
            x->row_mark = c->out.content_count;
        break;
    case MG_HR_TR:
        x = nearest(c, C_TABLE);
        if (x != NULL)
            x->row_mark = c->out.content_count;
        break;
    case MG_HR_CELL:
        x = nearest(c, C_TABLE);
        if (x != NULL && c->out.content_count != x->row_mark)
            c->out.cell_sep = true;
        mg_html_out_space(&c->out);
        break;
    case MG_HR_RUBY: (void)push(c, C_RUBY); break;
    case MG_HR_RP:
        x = nearest(c, C_RUBY);
        if (x != NULL)
            x->has_rp = true;
        break;
    case MG_HR_RT:
        x = nearest(c, C_RUBY);
        if (x != NULL && !x->has_rp)
            mg_html_out_literal(&c->out, "(", 1);
        break;
    default: break;
    }
}

static void pop_ctx(struct conv *c)
{
    struct ctx *x = &c->stack[--c->nctx];
    if (x->kind == C_PRE && c->in_pre > 0)
        c->in_pre--;
}

static void on_end(void *ud, const xmlChar *name)
{
    struct conv *c = ud;
    if (!tick(c) || c->depth == 0)
        return;
    if (c->skip_depth > 0) {
        if (c->depth == c->skip_depth)
            c->skip_depth = 0;
        c->depth--;
        return;
    }
    const struct mg_html_element *el = mg_html_element((const char *)name);
    if (el->role == MG_HR_RT) {
        struct ctx *x = nearest(c, C_RUBY);
        if (x != NULL && !x->has_rp)
            mg_html_out_literal(&c->out, ")", 1);
    }
    if (c->link_open && c->link_depth >= c->depth)
        end_link(c);
    while (c->nctx > 0 && c->stack[c->nctx - 1].depth >= c->depth)
        pop_ctx(c);
    bool nested_list = (el->role == MG_HR_UL || el->role == MG_HR_OL) && in_list_item(c);
    if (el->layout == MG_HL_BLOCK || nested_list)
        mg_html_out_break(&c->out, 1);
    else if (el->layout == MG_HL_PARA)
        mg_html_out_break(&c->out, 2);
    else if (el->role == MG_HR_CELL)
        mg_html_out_space(&c->out);
    c->depth--;
}

static void on_raw(void *ud, const xmlChar *ch, int len)
{
    (void)ud;                                     /* <script>/<style> content: never shown */
    (void)ch;
    (void)len;
}

static void on_text(void *ud, const xmlChar *ch, int len)
{
    struct conv *c = ud;
    if (!tick(c) || c->skip_depth > 0 || len <= 0)
        return;
    const uint8_t *p = ch;
    size_t n = (size_t)len;
    if (c->pre_start) {
        c->pre_start = false;
        if (n > 0 && p[0] == '\r') {
            p++;
            n--;
        }
        if (n > 0 && p[0] == '\n') {
            p++;
            n--;
        }
    }
    mg_html_out_text(&c->out, p, n, c->in_pre > 0);
}

const char *mg_html_error_name(enum mg_html_error e)
{
    switch (e) {
    case MG_HTML_OK: return "ok";
    case MG_HTML_ERR_DECODE: return "undecodable text";
    case MG_HTML_ERR_PARSE: return "HTML parser failure";
    case MG_HTML_ERR_LIMIT: return "size limit";
    case MG_HTML_ERR_DEPTH: return "nesting too deep";
    case MG_HTML_ERR_ATTRS: return "too many attributes in one tag";
    case MG_HTML_ERR_TIME: return "time limit";
    case MG_HTML_ERR_RESOURCES: return "out of memory";
    }
    return "?";
}

/* Parses the UTF-8 text with libxml2's push parser, rendering into c->out.
 * Push, fed in chunks, so that the time limit is also polled where libxml2
 * works without calling us back (stray end tags, long tags). */
static bool parse(struct conv *c, const uint8_t *utf8, size_t len)
{
    if (len == 0)
        return true;
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof(sax));
    sax.startElement = on_start;
    sax.endElement = on_end;
    sax.characters = on_text;
    sax.ignorableWhitespace = on_text;
    sax.cdataBlock = on_raw;
    sax.initialized = 1;                          /* SAX1-style: startElement, not ...Ns */
    /* libxml2 copies the handler and calls back with c. */
    htmlParserCtxtPtr ctxt = htmlCreatePushParserCtxt(&sax, c, NULL, 0, NULL,
                                                      XML_CHAR_ENCODING_UTF8);
    if (ctxt == NULL) {
        c->st->error = MG_HTML_ERR_RESOURCES;
        return false;
    }
    c->ctxt = ctxt;
    /* UTF-8, fixed: no <meta> may switch it. */
    if (ctxt->input != NULL && ctxt->input->encoding == NULL)
        ctxt->input->encoding = xmlStrdup(BAD_CAST "UTF-8");
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                 HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE);

    const size_t chunk = 16384;
    for (size_t off = 0; off < len && !c->stopped && !ctxt->disableSAX; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        htmlParseChunk(ctxt, (const char *)utf8 + off, (int)n, 0);
        if (c->opts->time_ok != NULL && !c->opts->time_ok(c->opts->time_ctx))
            stop(c, MG_HTML_ERR_TIME);
    }
    if (!c->stopped && !ctxt->disableSAX)
        htmlParseChunk(ctxt, NULL, 0, 1);

    bool ok = true;
    if (c->stopped) {
        c->st->error = c->stop_error;
        ok = false;
    } else if (ctxt->disableSAX || ctxt->errNo == XML_ERR_NO_MEMORY) {
        /* libxml2 gave up part-way: what follows would be lost silently. */
        c->st->error = ctxt->errNo == XML_ERR_NO_MEMORY ? MG_HTML_ERR_RESOURCES
                                                        : MG_HTML_ERR_PARSE;
        ok = false;
    }
    if (ctxt->myDoc != NULL) {
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
    }
    htmlFreeParserCtxt(ctxt);
    return ok;
}

bool mg_html_to_text(const uint8_t *html, size_t len, const char *charset_label,
                     const struct mg_html_opts *opts, struct mg_buf *out,
                     struct mg_html_stats *stats)
{
    static const struct mg_html_opts defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    memset(stats, 0, sizeof(*stats));
    size_t max_in = opts->max_input ? opts->max_input : MG_HTML_DEFAULT_MAX_INPUT;
    size_t max_out = opts->max_output ? opts->max_output : MG_HTML_DEFAULT_MAX_OUTPUT;

    struct mg_buf utf8, prepped;
    mg_buf_init(&utf8);
    mg_buf_init(&prepped);
    mg_buf_set_limit(&utf8, max_in);
    mg_buf_set_limit(&prepped, max_in);
    bool ok = mg_html_decode(html, len, charset_label, &utf8, stats);
    if (ok) {
        enum mg_html_error e = mg_html_prep(utf8.data, utf8.len, &prepped);
        if (e != MG_HTML_OK) {
            stats->error = e;
            ok = false;
        }
    }
    mg_buf_free(&utf8);

    struct conv c;
    memset(&c, 0, sizeof(c));
    c.opts = opts;
    c.st = stats;
    mg_buf_init(&c.link_url);
    mg_buf_init(&c.link_text);
    mg_buf_init(&c.scratch);
    mg_buf_set_limit(&c.link_text, LINK_TEXT_MAX);

    size_t start = out->len;
    size_t saved_limit = out->limit;
    size_t room = SIZE_MAX - start > max_out ? start + max_out : SIZE_MAX;
    if (saved_limit == 0 || saved_limit > room)
        mg_buf_set_limit(out, room);
    mg_html_out_init(&c.out, out, stats, write_prefix, &c);

    if (ok) {
        /* A leading U+FEFF left by the decoder is not text. */
        const uint8_t *p = prepped.data;
        size_t n = prepped.len;
        if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            p += 3;
            n -= 3;
        }
        ok = parse(&c, p, n);
    }
    if (ok) {
        mg_html_out_finish(&c.out);
        if (!mg_buf_failed(out) &&
            !mg_html_out_neutralize(out, start, &stats->tags_neutralized))
            ok = false;
        if (!ok || mg_buf_failed(out)) {
            stats->error = MG_HTML_ERR_LIMIT;
            ok = false;
        } else if (out->len > start && !mg_utf8_valid(out->data + start, out->len - start)) {
            stats->error = MG_HTML_ERR_PARSE;     /* cannot happen; never pass it on */
            ok = false;
        }
    }
    mg_buf_set_limit(out, saved_limit);
    mg_buf_free(&prepped);
    mg_buf_free(&c.link_url);
    mg_buf_free(&c.link_text);
    mg_buf_free(&c.scratch);
    return ok;
}
