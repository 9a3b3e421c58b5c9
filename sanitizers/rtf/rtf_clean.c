/* See rtf.h. The output is the input with byte ranges cut out: each group
 * remembers where its '{' went in the output, and removing it is a
 * truncation back to there. A group's fate is decided by the control words
 * inside it, wherever they appear (Word switches destination mid-group). */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "sanitizers/rtf/rtf.h"

enum kind { K_NORMAL, K_FIELD, K_BADFIELD, K_FLDINST, K_OBJECT, K_DROPPED, K_PENDING };

struct grp {
    size_t out_start;    /* out->len before this group's '{' */
    enum kind kind;
    bool emit;           /* this group's bytes go to the output */
    bool opened;         /* its '{' is in the output */
    size_t inst_mark;    /* instruction length when it opened (rolled back if it is cut) */
};

struct ctx {
    struct mg_buf *out;
    struct mg_rtf_stats *st;
    struct grp *g;       /* g[0] is a virtual outer level */
    size_t depth;
    /* the field instruction being collected */
    size_t inst_depth;   /* 0 = none */
    char inst[256];
    size_t inst_len;
    bool inst_nested;
    /* Bytes were cut out just now: what comes next must not merge with what
     * came before ("\\o{\\obj}bj" must not become "\\obj"). */
    bool cut;
};

static bool is_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static void inst_add(struct ctx *x, uint8_t c)
{
    /* only what stays in the output counts: a removed group's text must not
     * make a keyword the output no longer has */
    if (x->inst_depth == 0 || c == '\r' || c == '\n' || !x->g[x->depth].emit)
        return;
    if (x->inst_len + 1 < sizeof x->inst)
        x->inst[x->inst_len++] = (char)c;
}

/* Fields that only compute or format what is already in the document. */
static const char *const allowed_fields[] = {
    "PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION", "DATE", "TIME", "CREATEDATE", "SAVEDATE",
    "PRINTDATE", "EDITTIME", "HYPERLINK", "REF", "PAGEREF", "NOTEREF", "SEQ", "TOC", "TC",
    "INDEX", "XE", "TA", "TOA", "STYLEREF", "FILENAME", "FILESIZE", "TITLE", "AUTHOR",
    "SUBJECT", "KEYWORDS", "COMMENTS", "LASTSAVEDBY", "NUMWORDS", "NUMCHARS", "LISTNUM",
    "EQ", "SYMBOL", "FORMTEXT", "FORMCHECKBOX", "FORMDROPDOWN", "MERGEFIELD", "MERGEREC",
    "MERGESEQ", "ADVANCE", "BIDIOUTLINE", "USERNAME", "USERINITIALS", "USERADDRESS", "INFO",
    "DOCPROPERTY", "TEMPLATE", "REVNUM", "AUTONUM", "AUTONUMLGL", "AUTONUMOUT", "BARCODE",
    "SET", "IF", "COMPARE", "NEXT", "NEXTIF", "SKIPIF", "FILLIN", "ASK", "QUOTE", "GREETINGLINE",
    "ADDRESSBLOCK", "PRIVATE", "RD", "GOTOBUTTON", "SHAPE",
};
static const char *const dde_fields[] = { "DDE", "DDEAUTO" };
static const char *const external_fields[] = {
    "INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "IMPORT", "LINK", "EMBED", "DATABASE",
};

static bool in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w, list[i]) == 0)
            return true;
    }
    return false;
}
#define IN(w, l) in_list(w, l, sizeof l / sizeof l[0])

/* Judges the collected instruction; true when the field must go. */
static bool inst_is_bad(struct ctx *x)
{
    char w[24] = "";
    size_t i = 0, n = 0;
    const char *kw;
    if (x->inst_nested) {
        kw = "(nested field)";
        goto bad;
    }
    while (i < x->inst_len && (x->inst[i] == ' ' || x->inst[i] == '\t'))
        i++;
    while (i < x->inst_len && is_alpha((uint8_t)x->inst[i]) && n + 1 < sizeof w)
        w[n++] = (char)(x->inst[i++] & ~0x20);
    w[n] = '\0';
    if (n == 0 && i >= x->inst_len)
        return false;  /* empty instruction */
    if (n > 0 && IN(w, allowed_fields))
        return false;
    kw = n > 0 ? w : "(no keyword)";
bad:
    if (IN(w, dde_fields) && !x->inst_nested)
        x->st->fields_dde++;
    else if (!x->inst_nested && IN(w, external_fields))
        x->st->fields_external++;
    else {
        x->st->fields_other++;
        if (x->st->first_field[0] == '\0')
            snprintf(x->st->first_field, sizeof x->st->first_field, "%s", kw);
    }
    return true;
}

static void cut_to(struct ctx *x, size_t len);
static void put_brace(struct ctx *x, uint8_t c);

/* Closes the top group (at '}' or at the end of input). */
static void close_group(struct ctx *x)
{
    struct grp *g = &x->g[x->depth];
    struct grp *p = &x->g[x->depth - 1];
    bool keep_close = g->opened;
    if (x->inst_depth == x->depth) {
        bool badi = inst_is_bad(x);
        x->inst_depth = 0;
        if (badi && g->emit) {
            keep_close = false;
            if (p->kind == K_FIELD && p->emit) {
                /* drop the whole field so far, reopen it bare, keep \fldrslt */
                cut_to(x, p->out_start);
                put_brace(x, '{');
                p->kind = K_BADFIELD;
                p->emit = false;
                p->opened = true;
            } else {
                cut_to(x, g->out_start);
            }
        }
    }
    if (keep_close)
        put_brace(x, '}');
    x->depth--;
}

/* A control word that makes its group dangerous, with the counter to bump. */
static size_t *danger(struct ctx *x, const char *w, enum kind *k)
{
    *k = K_DROPPED;
    if (strncmp(w, "obj", 3) == 0) {
        if (strcmp(w, "object") == 0)
            *k = K_OBJECT;
        return &x->st->objects;
    }
    if (strcmp(w, "datastore") == 0 || strcmp(w, "oleclsid") == 0)
        return &x->st->datastores;
    if (strcmp(w, "template") == 0)
        return &x->st->templates;
    return NULL;
}

static void cut_to(struct ctx *x, size_t len)
{
    x->out->len = len;
    x->cut = true;
}

/* Would `next` extend what the output ends with: a control word (letters,
 * optional sign and digits) or a one-digit \'h escape? Errs on yes (an
 * escaped backslash before it is not told apart). */
static bool tail_open(const struct mg_buf *o, uint8_t next)
{
    const uint8_t *b = o->data;
    size_t n = o->len, i = n;
    if (n >= 3 && b[n - 3] == '\\' && b[n - 2] == '\'' && g_ascii_xdigit_value((char)b[n - 1]) >= 0)
        return g_ascii_xdigit_value((char)next) >= 0;
    while (i > 0 && is_digit(b[i - 1]))
        i--;
    if (i > 0 && b[i - 1] == '-')
        i--;
    size_t end = i;
    while (i > 0 && is_alpha(b[i - 1]))
        i--;
    if (i == end || i == 0 || b[i - 1] != '\\')
        return false;
    if (end < n)   /* a parameter (or its sign) is open: digits extend it */
        return is_digit(next) || next == ' ';
    return is_alpha(next) || is_digit(next) || next == ' ' || next == '-';
}

/* After a cut, what follows must not extend what came before it
 * ("\\o{\\obj}bj" must not become "\\obj"): an empty group keeps them
 * apart and means nothing. */
static void put(struct ctx *x, const uint8_t *p, size_t n)
{
    if (!x->g[x->depth].emit || n == 0)
        return;
    if (x->cut && tail_open(x->out, p[0]))
        mg_buf_append(x->out, "{}", 2);
    x->cut = false;
    mg_buf_append(x->out, p, n);
}

static void put_brace(struct ctx *x, uint8_t c)
{
    x->cut = false;
    mg_buf_putc(x->out, c);
}

enum mg_rtf_status mg_rtf_clean(const uint8_t *in, size_t len, struct mg_buf *out,
                                struct mg_rtf_stats *st, char *err, size_t errlen)
{
    struct grp stack[MG_RTF_MAX_DEPTH + 1];
    struct ctx x = { .out = out, .st = st, .g = stack };
    memset(st, 0, sizeof *st);
    if (errlen > 0)
        err[0] = '\0';
    if (len < 4 || memcmp(in, "{\\rt", 4) != 0) {
        snprintf(err, errlen, "does not start with {\\rt");
        return MG_RTF_MALFORMED;
    }
    stack[0] = (struct grp){ .kind = K_NORMAL, .emit = true, .opened = false };
    size_t i = 0;
    while (i < len) {
        uint8_t c = in[i];
        if (c == '{') {
            if (x.depth >= MG_RTF_MAX_DEPTH) {
                snprintf(err, errlen, "groups nested deeper than %d at byte %zu", MG_RTF_MAX_DEPTH, i);
                return MG_RTF_MALFORMED;
            }
            struct grp *p = &stack[x.depth];
            struct grp *g = &stack[++x.depth];
            *g = (struct grp){ .out_start = out->len, .kind = K_NORMAL, .inst_mark = x.inst_len };
            if (p->emit) {
                g->emit = g->opened = true;
                put_brace(&x, '{');
            } else {
                g->kind = (p->kind == K_OBJECT || p->kind == K_BADFIELD) ? K_PENDING : K_DROPPED;
            }
            i++;
            continue;
        }
        if (c == '}') {
            if (x.depth == 0)
                break;
            close_group(&x);
            i++;
            if (x.depth == 0)
                break;   /* Word stops at the end of the outermost group */
            continue;
        }
        if (x.depth == 0) {
            /* only at the start, which is checked above */
            i++;
            continue;
        }
        struct grp *g = &stack[x.depth];
        if (c != '\\') {
            size_t j = i;
            while (j < len && in[j] != '{' && in[j] != '}' && in[j] != '\\') {
                inst_add(&x, in[j]);
                j++;
            }
            put(&x, in + i, j - i);
            i = j;
            continue;
        }
        /* a control word or symbol */
        if (i + 1 >= len) {
            /* a lone backslash at the end means nothing; kept, it would
             * escape the closing brace we add */
            i++;
            continue;
        }
        uint8_t d = in[i + 1];
        if (!is_alpha(d)) {
            size_t j = i + 2;
            if (d == '\'') {
                int v = 0, k = 0;
                while (k < 2 && j < len && g_ascii_xdigit_value((char)in[j]) >= 0) {
                    v = v * 16 + g_ascii_xdigit_value((char)in[j]);
                    j++;
                    k++;
                }
                if (k > 0)
                    inst_add(&x, (uint8_t)v);
            } else if (d == '\\' || d == '{' || d == '}') {
                inst_add(&x, d);
            } else if (d == '~' || d == '_' || d == '-') {
                inst_add(&x, ' ');
            }
            put(&x, in + i, j - i);
            i = j;
            continue;
        }
        char w[33];
        size_t j = i + 1, n = 0;
        while (j < len && is_alpha(in[j])) {
            if (n < 32)
                w[n++] = (char)(in[j] | 0x20);
            j++;
        }
        w[n] = '\0';
        bool has_param = false, neg = false;
        uint64_t param = 0;
        if (j < len && in[j] == '-' && j + 1 < len && is_digit(in[j + 1])) {
            neg = true;
            j++;
        }
        for (size_t k = 0; k < 10 && j < len && is_digit(in[j]); k++, j++) {
            param = param * 10 + (uint64_t)(in[j] - '0');
            has_param = true;
        }
        if (j < len && in[j] == ' ')
            j++;
        if (strcmp(w, "bin") == 0 && has_param && !neg && param > 0) {
            /* raw bytes: never tokens, whatever they contain */
            if (param > len - j) {
                snprintf(err, errlen, "\\bin%llu at byte %zu runs past the end of the file",
                         (unsigned long long)param, i);
                return MG_RTF_MALFORMED;
            }
            j += (size_t)param;
        }
        size_t tok_start = i;
        i = j;
        if (x.inst_depth > 0 && g->emit && strcmp(w, "u") == 0 && has_param && !neg && param < 128)
            inst_add(&x, (uint8_t)param);
        if (x.inst_depth > 0 && g->emit && strcmp(w, "field") == 0)
            x.inst_nested = true;

        if (g->kind == K_PENDING) {
            struct grp *p = &stack[x.depth - 1];
            if ((p->kind == K_OBJECT && strcmp(w, "result") == 0) ||
                (p->kind == K_BADFIELD && strcmp(w, "fldrslt") == 0)) {
                /* keep what the object or field showed, as a plain group */
                g->kind = K_NORMAL;
                g->emit = g->opened = true;
                g->out_start = out->len;
                put_brace(&x, '{');
                continue;
            }
            g->kind = K_DROPPED;
        }
        enum kind dk;
        size_t *counter = danger(&x, w, &dk);
        if (counter != NULL) {
            if (g->emit) {
                if (x.depth == 1) {
                    snprintf(err, errlen, "\\%s in the outermost group at byte %zu", w, tok_start);
                    return MG_RTF_MALFORMED;
                }
                (*counter)++;
                cut_to(&x, g->out_start);
                g->emit = g->opened = false;
                g->kind = dk;
                if (x.inst_depth >= x.depth)
                    x.inst_depth = 0;   /* the instruction went with its group */
                else if (x.inst_depth > 0)
                    x.inst_len = g->inst_mark;
            } else if (g->kind != K_OBJECT) {
                g->kind = K_DROPPED;
            }
            continue;
        }
        /* not the outermost group: cutting a bad field back to its start
         * would cut the document */
        if (g->emit && g->kind == K_NORMAL && x.depth >= 2 && strcmp(w, "field") == 0)
            g->kind = K_FIELD;
        if (x.depth == 1 && strcmp(w, "fldinst") == 0) {
            /* the whole document would be the instruction */
            snprintf(err, errlen, "\\fldinst in the outermost group at byte %zu", tok_start);
            return MG_RTF_MALFORMED;
        }
        if (g->emit && strcmp(w, "fldinst") == 0 && g->kind == K_NORMAL) {
            if (x.inst_depth == 0) {
                g->kind = K_FLDINST;
                x.inst_depth = x.depth;
                x.inst_len = 0;
                x.inst_nested = false;
            } else {
                x.inst_nested = true;
            }
        }
        put(&x, in + tok_start, j - tok_start);
    }
    if (x.depth == 0 && i < len) {
        st->trailing = len - i;
    }
    while (x.depth > 0) {
        st->unclosed++;
        close_group(&x);
    }
    if (mg_buf_failed(out))
        return MG_RTF_NOMEM;
    return MG_RTF_OK;
}
