/* OOXML package rebuild; see ooxml_pkg.h. The steps, in order:
 * 1. read the zip (zip_read.c does the structural checks and limits),
 * 2. classify each part by its content type and name (ooxml_types.c),
 * 3. decide every relationship: external ones go except safe hyperlinks,
 *    internal ones go when their type or target is active content,
 * 4. keep only parts reachable from _rels/.rels through kept relationships,
 * 5. edit the XML that pointed at removed relationships, strip fields,
 * 6. write a fresh [Content_Types].xml and a fresh zip. */
#include "sanitizers/ooxml/ooxml_pkg.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitizers/common/zip_write.h"
#include "sanitizers/ooxml/ooxml_types.h"
#include "sanitizers/ooxml/ooxml_xml.h"

#define NS_CT "http://schemas.openxmlformats.org/package/2006/content-types"
#define CT_NAME "[Content_Types].xml"
#define MAX_RELS_PER_PART 100000u

struct rel {
    char *id, *type, *target;
    bool external;
    long tpart;          /* target part index, -1 when none */
    bool removed;
    char *new_target;    /* defanged hyperlink target */
    xmlNode *node;
};

struct relset {
    long rels_part;      /* index of the .rels part */
    long source;         /* source part, -1 for the package root */
    struct rel *r;
    size_t n;
    xmlDoc *doc;
};

struct part {
    const char *name;    /* zip entry name (owned by the zip) */
    uint8_t *data;
    size_t len;
    uint8_t *newdata;    /* serialized after editing, else NULL */
    size_t newlen;
    char *ct;            /* content type, NULL if none */
    enum mg_ooxml_kind kind;
    bool is_rels, keep, reached, reported;
    long relset;         /* relationships of this part, -1 */
    GHashTable *dead_ids;
};

struct ctx {
    const struct mg_ooxml_opts *o;
    struct mg_ooxml_result *res;
    struct mg_zip zip;
    struct part *p;
    size_t np;
    struct relset *rs;
    size_t nrs;
    GHashTable *by_name;         /* lower-case name -> index+1 */
    GPtrArray *def_ext, *def_ct, *ovr_name, *ovr_ct;
    size_t urls_defanged, urls_removed;
};

__attribute__((format(printf, 3, 4)))
static enum mg_verdict block(struct ctx *c, enum mg_reason r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->res->detail, sizeof c->res->detail, fmt, ap);
    va_end(ap);
    c->res->reason = r;
    c->res->verdict = r == MG_R_RESOURCES || r == MG_R_INTERNAL ? MG_TEMPFAIL : MG_BLOCKED;
    return c->res->verdict;
}

static void act(struct ctx *c, enum mg_action a, const char *detail)
{
    c->res->n_actions++;
    if (c->o->action)
        c->o->action(c->o->ud, a, detail ? detail : "");
}

static void act_cb(void *ud, enum mg_action a, const char *detail)
{
    act(ud, a, detail);
}

static bool time_ok(struct ctx *c)
{
    return !c->o->time_ok || c->o->time_ok(c->o->ud);
}

/* Text fit for a report line: at most 120 bytes, cut on a UTF-8 boundary. */
static char *clip(const char *s)
{
    size_t n = strlen(s);
    if (n <= 120)
        return g_strdup(s);
    size_t k = 120;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return g_strdup_printf("%.*s...", (int)k, s);
}

/* Zip names as OPC part names: UTF-8, relative, '/'-separated, no empty,
 * "." or ".." segments, no control characters or backslashes. */
static bool valid_part_name(const char *s)
{
    /* The writer marks names as UTF-8; a legacy-encoded name would lie. */
    if (*s == '/' || *s == '\0' || !g_utf8_validate(s, -1, NULL))
        return false;
    const char *seg = s;
    for (const char *q = s;; q++) {
        if (*q == '/' || *q == '\0') {
            size_t L = (size_t)(q - seg);
            if (L == 0 || (L == 1 && seg[0] == '.') || (L == 2 && seg[0] == '.' && seg[1] == '.'))
                return false;
            if (*q == '\0')
                return true;
            seg = q + 1;
        } else if ((unsigned char)*q < 0x20 || *q == '\\' || *q == 0x7f) {
            return false;
        }
    }
}

static long find_part(struct ctx *c, const char *name)
{
    char *low = g_ascii_strdown(name, -1);
    gpointer v = g_hash_table_lookup(c->by_name, low);
    g_free(low);
    return v ? (long)GPOINTER_TO_SIZE(v) - 1 : -1;
}

static char *pct_decode(const char *s)
{
    GString *o = g_string_new(NULL);
    for (; *s; s++) {
        if (s[0] == '%' && g_ascii_isxdigit(s[1]) && g_ascii_isxdigit(s[2])) {
            g_string_append_c(o, (char)(g_ascii_xdigit_value(s[1]) * 16 + g_ascii_xdigit_value(s[2])));
            s += 2;
        } else {
            g_string_append_c(o, *s);
        }
    }
    return g_string_free(o, FALSE);
}

/* Target of an internal relationship as a zip name, or NULL when it has a
 * scheme or climbs above the package root. */
static char *resolve(const char *source, const char *target)
{
    size_t tl = strcspn(target, "#");
    if (tl == 0)
        return NULL;
    size_t colon = strcspn(target, ":/");
    if (colon < tl && target[colon] == ':')
        return NULL;
    GPtrArray *segs = g_ptr_array_new_with_free_func(g_free);
    if (target[0] != '/') {
        const char *slash = strrchr(source, '/');
        if (slash) {
            char *dir = g_strndup(source, (size_t)(slash - source));
            char **d = g_strsplit(dir, "/", 0);
            for (char **q = d; *q; q++)
                g_ptr_array_add(segs, g_strdup(*q));
            g_strfreev(d);
            g_free(dir);
        }
    }
    char *t = g_strndup(target, tl);
    char **ts = g_strsplit(t, "/", 0);
    bool ok = true;
    for (char **q = ts; *q && ok; q++) {
        if (**q == '\0' || strcmp(*q, ".") == 0)
            continue;
        if (strcmp(*q, "..") == 0) {
            if (segs->len == 0)
                ok = false;
            else
                g_ptr_array_remove_index(segs, segs->len - 1);
        } else {
            g_ptr_array_add(segs, g_strdup(*q));
        }
    }
    g_strfreev(ts);
    g_free(t);
    char *out = NULL;
    if (ok && segs->len > 0) {
        g_ptr_array_add(segs, NULL);
        out = g_strjoinv("/", (char **)segs->pdata);
        g_ptr_array_remove_index(segs, segs->len - 1);
    }
    g_ptr_array_free(segs, TRUE);
    return out;
}

static long resolve_part(struct ctx *c, const char *source, const char *target)
{
    char *n = resolve(source, target);
    if (!n)
        return -2;
    long i = find_part(c, n);
    if (i < 0) {
        char *d = pct_decode(n);
        i = find_part(c, d);
        g_free(d);
    }
    g_free(n);
    return i;
}

static bool memcasemem(const uint8_t *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0 || hl < nl)
        return false;
    for (size_t i = 0; i + nl <= hl; i++) {
        if (g_ascii_tolower(h[i]) == g_ascii_tolower(needle[0]) &&
            g_ascii_strncasecmp((const char *)h + i, needle, nl) == 0)
            return true;
    }
    return false;
}

static bool ends_ci(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && g_ascii_strcasecmp(s + a - b, suf) == 0;
}

/* ---- step 1: read ---- */

static enum mg_verdict read_parts(struct ctx *c, const uint8_t *data, size_t len)
{
    enum mg_zip_status st = mg_zip_open(&c->zip, data, len, &c->o->lim);
    switch (st) {
    case MG_ZIP_OK: break;
    case MG_ZIP_ENCRYPTED: return block(c, MG_R_ENCRYPTED, "zip: %s", c->zip.err);
    case MG_ZIP_LIMIT_SIZE: return block(c, MG_R_LIMIT_SIZE, "zip: %s", c->zip.err);
    case MG_ZIP_LIMIT_RATIO: return block(c, MG_R_LIMIT_RATIO, "zip: %s", c->zip.err);
    case MG_ZIP_LIMIT_COUNT: return block(c, MG_R_LIMIT_COUNT, "zip: %s", c->zip.err);
    case MG_ZIP_NOMEM: return block(c, MG_R_RESOURCES, "zip: %s", c->zip.err);
    case MG_ZIP_MALFORMED: return block(c, MG_R_MALFORMED, "zip: %s", c->zip.err);
    }
    c->p = calloc(c->zip.n, sizeof *c->p);
    if (!c->p)
        return block(c, MG_R_RESOURCES, "out of memory");
    for (size_t i = 0; i < c->zip.n; i++) {
        const struct mg_zip_entry *e = &c->zip.e[i];
        if (!time_ok(c))
            return block(c, MG_R_LIMIT_TIME, NULL);
        if (e->is_dir) {
            if (e->usize != 0)
                return block(c, MG_R_MALFORMED, "directory entry %s has data", e->name);
            continue;   /* folders are implied by part names */
        }
        if (!valid_part_name(e->name))
            return block(c, MG_R_MALFORMED, "invalid part name");
        if (c->o->charge && !c->o->charge(c->o->ud, e->usize))
            return block(c, MG_R_LIMIT_SIZE, "total size of the job");
        struct part *p = &c->p[c->np];
        p->name = e->name;
        p->relset = -1;
        st = mg_zip_extract(&c->zip, i, &p->data, &p->len);
        if (st == MG_ZIP_NOMEM)
            return block(c, MG_R_RESOURCES, "out of memory");
        if (st != MG_ZIP_OK)
            return block(c, MG_R_MALFORMED, "zip: %s", c->zip.err);
        char *low = g_ascii_strdown(e->name, -1);
        g_hash_table_insert(c->by_name, low, GSIZE_TO_POINTER(c->np + 1));
        c->np++;
    }
    return MG_CLEAN;
}

/* ---- step 2: content types ---- */

static char *prop(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    if (!v)
        return NULL;
    char *s = g_strdup((const char *)v);
    xmlFree(v);
    return s;
}

static bool is_el(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static enum mg_verdict read_content_types(struct ctx *c, long ct_idx)
{
    struct part *ctp = &c->p[ct_idx];
    xmlDoc *doc = mg_ooxml_xml_parse(ctp->data, ctp->len);
    if (!doc)
        return block(c, MG_R_MALFORMED, "[Content_Types].xml is not well-formed or has a DOCTYPE");
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!is_el(root, "Types")) {
        xmlFreeDoc(doc);
        return block(c, MG_R_MALFORMED, "[Content_Types].xml has no Types root");
    }
    for (xmlNode *n = root->children; n; n = n->next) {
        if (is_el(n, "Default")) {
            char *e = prop(n, "Extension"), *t = prop(n, "ContentType");
            if (!e || !t) {
                g_free(e);
                g_free(t);
                xmlFreeDoc(doc);
                return block(c, MG_R_MALFORMED, "Default without Extension or ContentType");
            }
            g_ptr_array_add(c->def_ext, e);
            g_ptr_array_add(c->def_ct, t);
        } else if (is_el(n, "Override")) {
            char *pn = prop(n, "PartName"), *t = prop(n, "ContentType");
            if (!pn || !t || pn[0] != '/') {
                g_free(pn);
                g_free(t);
                xmlFreeDoc(doc);
                return block(c, MG_R_MALFORMED, "Override without PartName or ContentType");
            }
            char *dec = pct_decode(pn + 1);
            g_free(pn);
            g_ptr_array_add(c->ovr_name, dec);
            g_ptr_array_add(c->ovr_ct, t);
        }
    }
    xmlFreeDoc(doc);
    return MG_CLEAN;
}

static long override_of(struct ctx *c, const char *name)
{
    for (guint i = 0; i < c->ovr_name->len; i++) {
        if (g_ascii_strcasecmp(g_ptr_array_index(c->ovr_name, i), name) == 0)
            return (long)i;
    }
    return -1;
}

static const char *ext_of(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    return dot ? dot + 1 : "";
}

static long default_of(struct ctx *c, const char *name)
{
    const char *ext = ext_of(name);
    for (guint i = 0; i < c->def_ext->len; i++) {
        if (g_ascii_strcasecmp(g_ptr_array_index(c->def_ext, i), ext) == 0)
            return (long)i;
    }
    return -1;
}

/* Source part of a .rels part: "a/b/_rels/c.xml.rels" -> "a/b/c.xml";
 * "_rels/.rels" -> "" (the package). NULL when the name is no rels name. */
static char *rels_source(const char *name)
{
    if (!ends_ci(name, ".rels"))
        return NULL;
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    size_t dirlen = slash ? (size_t)(slash - name) : 0;
    if (dirlen < 5 || g_ascii_strncasecmp(name + dirlen - 5, "_rels", 5) != 0 ||
        (dirlen > 5 && name[dirlen - 6] != '/'))
        return NULL;
    size_t prefix = dirlen - 5;   /* includes the trailing '/' if any */
    size_t blen = strlen(base) - 5;
    return g_strdup_printf("%.*s%.*s", (int)prefix, name, (int)blen, base);
}

static enum mg_verdict classify(struct ctx *c, long ct_idx)
{
    for (size_t i = 0; i < c->np; i++) {
        struct part *p = &c->p[i];
        if ((long)i == ct_idx)
            continue;
        /* Parts we copy without parsing still may not carry a DTD: Office
         * would not load one, but nothing legitimate needs one either. */
        if (mg_ooxml_ctype_is_xml("", p->name) &&
            (memcasemem(p->data, p->len, "<!DOCTYPE") || memcasemem(p->data, p->len, "<!ENTITY")))
            return block(c, MG_R_MALFORMED, "%s has a DOCTYPE", p->name);
        char *src = rels_source(p->name);
        if (src) {
            p->is_rels = true;
            g_free(src);
            continue;
        }
        long o = override_of(c, p->name);
        long d = o < 0 ? default_of(c, p->name) : -1;
        if (o >= 0)
            p->ct = g_strdup(g_ptr_array_index(c->ovr_ct, (guint)o));
        else if (d >= 0)
            p->ct = g_strdup(g_ptr_array_index(c->def_ct, (guint)d));
        p->kind = p->ct ? mg_ooxml_kind_of_part(p->name, p->ct) : MG_OK_UNKNOWN;
        if (p->kind == MG_OK_NORMAL && p->ct && mg_ooxml_ctype_is_xml(p->ct, "") &&
            (memcasemem(p->data, p->len, "<!DOCTYPE") || memcasemem(p->data, p->len, "<!ENTITY")))
            return block(c, MG_R_MALFORMED, "%s has a DOCTYPE", p->name);
        p->keep = p->kind == MG_OK_NORMAL;
    }
    return MG_CLEAN;
}

/* ---- step 3: relationships ---- */

static bool safe_hyperlink(const char *t)
{
    return g_ascii_strncasecmp(t, "http://", 7) == 0 || g_ascii_strncasecmp(t, "https://", 8) == 0 ||
           g_ascii_strncasecmp(t, "mailto:", 7) == 0;
}

/* hxxp://example[.]com/path, the same convention as the text sanitizer. */
static char *defang(const char *t)
{
    GString *o = g_string_new(NULL);
    const char *rest = t;
    if (g_ascii_strncasecmp(t, "http", 4) == 0) {
        g_string_append(o, "hxxp");
        rest = t + 4;
    }
    const char *auth = strstr(rest, "://");
    size_t head = auth ? (size_t)(auth - rest) + 3 : 0;
    g_string_append_len(o, rest, (gssize)head);
    const char *h = rest + head;
    size_t hl = strcspn(h, "/?#");
    for (size_t i = 0; i < hl; i++) {
        if (h[i] == '.')
            g_string_append(o, "[.]");
        else
            g_string_append_c(o, h[i]);
    }
    g_string_append(o, h + hl);
    return g_string_free(o, FALSE);
}

static void report_part(struct ctx *c, long pi, enum mg_action a)
{
    if (pi < 0 || c->p[pi].reported)
        return;
    c->p[pi].reported = true;
    /* An Excel external link that is a DDE link deserves its own name. */
    if (c->p[pi].kind == MG_OK_EXTLINK && memcasemem(c->p[pi].data, c->p[pi].len, "<ddeLink"))
        a = MG_A_DDE_REMOVED;
    act(c, a, c->p[pi].name);
}

static void decide_rel(struct ctx *c, struct relset *s, struct rel *r)
{
    const char *src = s->source >= 0 ? c->p[s->source].name : "";
    enum mg_ooxml_kind rk = mg_ooxml_kind_of_rel(r->type);
    if (r->external) {
        if (mg_ooxml_rel_is_hyperlink(r->type) && safe_hyperlink(r->target)) {
            if (c->o->hyperlinks == MG_URLS_REMOVE) {
                r->removed = true;
                c->urls_removed++;
            } else if (c->o->hyperlinks == MG_URLS_DEFANG) {
                r->new_target = defang(r->target);
                c->urls_defanged++;
            }
            return;
        }
        r->removed = true;
        char *d = clip(r->target);
        act(c, rk == MG_OK_NORMAL ? MG_A_EXTERNAL_REMOVED : mg_ooxml_kind_action(rk), d);
        g_free(d);
        return;
    }
    r->tpart = resolve_part(c, src, r->target);
    if (r->tpart == -2) {
        /* "Internal" yet not inside the package: treat it as external. */
        r->removed = true;
        r->tpart = -1;
        char *d = clip(r->target);
        act(c, MG_A_EXTERNAL_REMOVED, d);
        g_free(d);
        return;
    }
    if (rk != MG_OK_NORMAL) {
        r->removed = true;
        if (r->tpart >= 0)
            report_part(c, r->tpart, mg_ooxml_kind_action(rk));
        else
            act(c, mg_ooxml_kind_action(rk), r->target);
        return;
    }
    if (r->tpart >= 0 && !c->p[r->tpart].keep) {
        r->removed = true;
        report_part(c, r->tpart, mg_ooxml_kind_action(c->p[r->tpart].kind));
    }
}

static enum mg_verdict read_rels(struct ctx *c)
{
    c->rs = calloc(c->np, sizeof *c->rs);
    if (!c->rs)
        return block(c, MG_R_RESOURCES, "out of memory");
    for (size_t i = 0; i < c->np; i++) {
        struct part *p = &c->p[i];
        if (!p->is_rels)
            continue;
        char *src = rels_source(p->name);
        long si = src[0] ? find_part(c, src) : -1;
        bool orphan = src[0] && si < 0;
        g_free(src);
        if (orphan)
            continue;   /* relationships of nothing: dropped with the part */
        if (si >= 0 && c->p[si].is_rels)
            return block(c, MG_R_MALFORMED, "relationships of a relationships part");
        struct relset *s = &c->rs[c->nrs];
        s->rels_part = (long)i;
        s->source = si;
        s->doc = mg_ooxml_xml_parse(p->data, p->len);
        if (!s->doc)
            return block(c, MG_R_MALFORMED, "%s is not well-formed or has a DOCTYPE", p->name);
        c->nrs++;
        if (si >= 0)
            c->p[si].relset = (long)(c->nrs - 1);
        xmlNode *root = xmlDocGetRootElement(s->doc);
        if (!is_el(root, "Relationships"))
            return block(c, MG_R_MALFORMED, "%s has no Relationships root", p->name);
        size_t cnt = 0;
        for (xmlNode *n = root->children; n; n = n->next)
            cnt += is_el(n, "Relationship");
        if (cnt > MAX_RELS_PER_PART)
            return block(c, MG_R_LIMIT_COUNT, "%s: %zu relationships", p->name, cnt);
        s->r = calloc(cnt ? cnt : 1, sizeof *s->r);
        if (!s->r)
            return block(c, MG_R_RESOURCES, "out of memory");
        for (xmlNode *n = root->children; n; n = n->next) {
            if (!is_el(n, "Relationship"))
                continue;
            struct rel *r = &s->r[s->n++];
            r->node = n;
            r->tpart = -1;
            r->id = prop(n, "Id");
            r->type = prop(n, "Type");
            r->target = prop(n, "Target");
            char *mode = prop(n, "TargetMode");
            if (!r->id || !r->type || !r->target) {
                g_free(mode);
                return block(c, MG_R_MALFORMED, "%s: relationship without Id, Type or Target", p->name);
            }
            if (mode && strcmp(mode, "External") != 0 && strcmp(mode, "Internal") != 0) {
                g_free(mode);
                return block(c, MG_R_MALFORMED, "%s: bad TargetMode", p->name);
            }
            r->external = mode && strcmp(mode, "External") == 0;
            g_free(mode);
        }
    }
    return MG_CLEAN;
}

/* ---- step 4: reachability ---- */

static void reach(struct ctx *c)
{
    GQueue q = G_QUEUE_INIT;
    struct relset *root = NULL;
    for (size_t i = 0; i < c->nrs; i++) {
        if (c->rs[i].source < 0)
            root = &c->rs[i];
    }
    if (!root)
        return;
    g_queue_push_tail(&q, root);
    while (!g_queue_is_empty(&q)) {
        struct relset *s = g_queue_pop_head(&q);
        for (size_t k = 0; k < s->n; k++) {
            struct rel *r = &s->r[k];
            if (r->removed || r->external || r->tpart < 0)
                continue;
            struct part *t = &c->p[r->tpart];
            if (!t->keep || t->reached || t->is_rels)
                continue;
            t->reached = true;
            if (t->relset >= 0)
                g_queue_push_tail(&q, &c->rs[t->relset]);
        }
    }
}

/* ---- step 5: XML edits ---- */

static bool dead_id(void *ud, const char *id)
{
    return g_hash_table_contains(ud, id);
}

static enum mg_verdict edit_part(struct ctx *c, struct part *p)
{
    bool refs = p->relset >= 0 && p->dead_ids && g_hash_table_size(p->dead_ids) > 0;
    /* Story and workbook parts are always parsed: a byte search for "fld"
     * would miss the same XML saved as UTF-16. */
    bool story = p->ct && mg_ooxml_ctype_is_wordml_story(p->ct);
    bool book = p->ct && ends_ci(p->ct, ".main+xml") && strstr(p->ct, "sheet");
    if (!(refs || story || book) || !p->ct || !mg_ooxml_ctype_is_xml(p->ct, p->name))
        return MG_CLEAN;
    xmlDoc *doc = mg_ooxml_xml_parse(p->data, p->len);
    if (!doc)
        return block(c, MG_R_MALFORMED, "%s is not well-formed or has a DOCTYPE", p->name);
    size_t changed = 0;
    if (refs && book)
        changed += mg_ooxml_xml_fix_sheet_indexes(doc, dead_id, p->dead_ids);
    if (refs)
        changed += mg_ooxml_xml_drop_refs(doc, dead_id, p->dead_ids);
    if (story) {
        size_t n = mg_ooxml_xml_strip_fields(doc, c->o->max_fields ? c->o->max_fields : 100000, act_cb, c);
        if (n == (size_t)-1) {
            xmlFreeDoc(doc);
            return block(c, MG_R_LIMIT_COUNT, "%s: too many fields", p->name);
        }
        changed += n;
    }
    if (book)
        changed += mg_ooxml_xml_strip_auto_names(doc, act_cb, c);
    if (changed && !mg_ooxml_xml_dump(doc, &p->newdata, &p->newlen)) {
        xmlFreeDoc(doc);
        return block(c, MG_R_RESOURCES, "cannot serialize %s", p->name);
    }
    xmlFreeDoc(doc);
    return MG_CLEAN;
}

static enum mg_verdict edit_rels(struct ctx *c, struct relset *s)
{
    bool changed = false;
    for (size_t k = 0; k < s->n; k++) {
        struct rel *r = &s->r[k];
        if (r->removed) {
            xmlUnlinkNode(r->node);
            xmlFreeNode(r->node);
            r->node = NULL;
            changed = true;
        } else if (r->new_target) {
            xmlSetProp(r->node, BAD_CAST "Target", BAD_CAST r->new_target);
            changed = true;
        }
    }
    struct part *p = &c->p[s->rels_part];
    if (changed && !mg_ooxml_xml_dump(s->doc, &p->newdata, &p->newlen))
        return block(c, MG_R_RESOURCES, "cannot serialize %s", p->name);
    return MG_CLEAN;
}

/* ---- step 6: content types and zip ---- */

static bool build_content_types(struct ctx *c, struct mg_buf *out)
{
    xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "Types");
    xmlNs *ns = xmlNewNs(root, BAD_CAST NS_CT, NULL);
    xmlSetNs(root, ns);
    xmlDocSetRootElement(doc, root);
    doc->standalone = 1;
    for (guint d = 0; d < c->def_ext->len; d++) {
        const char *ext = g_ptr_array_index(c->def_ext, d);
        bool used = false;
        for (size_t i = 0; i < c->np && !used; i++) {
            const struct part *p = &c->p[i];
            if (p->keep && g_ascii_strcasecmp(ext_of(p->name), ext) == 0)
                used = true;
        }
        if (!used)
            continue;
        const char *ct = g_ptr_array_index(c->def_ct, d);
        const char *twin = mg_ooxml_macro_free_ctype(ct);
        xmlNode *n = xmlNewChild(root, ns, BAD_CAST "Default", NULL);
        xmlNewProp(n, BAD_CAST "Extension", BAD_CAST ext);
        xmlNewProp(n, BAD_CAST "ContentType", BAD_CAST(twin ? twin : ct));
    }
    for (size_t i = 0; i < c->np; i++) {
        const struct part *p = &c->p[i];
        long o = override_of(c, p->name);
        if (!p->keep || p->is_rels || o < 0)
            continue;
        const char *ct = g_ptr_array_index(c->ovr_ct, (guint)o);
        const char *twin = mg_ooxml_macro_free_ctype(ct);
        if (twin)
            c->res->macro_free_converted = true;
        char *pn = g_strconcat("/", p->name, NULL);
        xmlNode *n = xmlNewChild(root, ns, BAD_CAST "Override", NULL);
        xmlNewProp(n, BAD_CAST "PartName", BAD_CAST pn);
        xmlNewProp(n, BAD_CAST "ContentType", BAD_CAST(twin ? twin : ct));
        g_free(pn);
    }
    uint8_t *mem = NULL;
    size_t len = 0;
    bool ok = mg_ooxml_xml_dump(doc, &mem, &len);
    xmlFreeDoc(doc);
    if (ok)
        mg_buf_append(out, mem, len);
    free(mem);
    return ok && !mg_buf_failed(out);
}

static bool write_part(struct mg_zipw *w, const struct part *p)
{
    return mg_zipw_add(w, p->name, p->newdata ? p->newdata : p->data,
                       p->newdata ? p->newlen : p->len, true);
}

static enum mg_verdict write_zip(struct ctx *c, struct mg_sink *out)
{
    struct mg_buf ct;
    mg_buf_init(&ct);
    if (!build_content_types(c, &ct)) {
        mg_buf_free(&ct);
        return block(c, MG_R_RESOURCES, "cannot build [Content_Types].xml");
    }
    struct mg_zipw w;
    mg_zipw_init(&w, out);
    bool ok = mg_zipw_add(&w, CT_NAME, ct.data, ct.len, true);
    mg_buf_free(&ct);
    long root_rels = find_part(c, "_rels/.rels");
    if (ok && root_rels >= 0)
        ok = write_part(&w, &c->p[root_rels]);
    for (size_t i = 0; ok && i < c->np; i++) {
        const struct part *p = &c->p[i];
        if ((long)i == root_rels || !p->keep)
            continue;
        ok = write_part(&w, p);
    }
    ok = ok && mg_zipw_finish(&w);
    mg_zipw_free(&w);
    if (!ok)
        return block(c, MG_R_RESOURCES, "cannot write the rebuilt package");
    return MG_CLEAN;
}

/* ---- driver ---- */

static void ctx_free(struct ctx *c)
{
    for (size_t i = 0; i < c->nrs; i++) {
        struct relset *s = &c->rs[i];
        for (size_t k = 0; k < s->n; k++) {
            g_free(s->r[k].id);
            g_free(s->r[k].type);
            g_free(s->r[k].target);
            g_free(s->r[k].new_target);
        }
        free(s->r);
        xmlFreeDoc(s->doc);
    }
    free(c->rs);
    for (size_t i = 0; i < c->np; i++) {
        free(c->p[i].data);
        free(c->p[i].newdata);
        g_free(c->p[i].ct);
        if (c->p[i].dead_ids)
            g_hash_table_destroy(c->p[i].dead_ids);
    }
    free(c->p);
    mg_zip_close(&c->zip);
    g_hash_table_destroy(c->by_name);
    g_ptr_array_free(c->def_ext, TRUE);
    g_ptr_array_free(c->def_ct, TRUE);
    g_ptr_array_free(c->ovr_name, TRUE);
    g_ptr_array_free(c->ovr_ct, TRUE);
}

static enum mg_verdict run(struct ctx *c, const uint8_t *data, size_t len, struct mg_sink *out)
{
    if (read_parts(c, data, len) != MG_CLEAN)
        return c->res->verdict;
    long ct_idx = find_part(c, CT_NAME);
    if (ct_idx < 0 || find_part(c, "_rels/.rels") < 0)
        return block(c, MG_R_MALFORMED, "not an OOXML package (no [Content_Types].xml or _rels/.rels)");
    if (strcmp(c->p[ct_idx].name, CT_NAME) != 0)
        return block(c, MG_R_MALFORMED, "[Content_Types].xml has a wrong case");
    if (read_content_types(c, ct_idx) != MG_CLEAN || classify(c, ct_idx) != MG_CLEAN ||
        read_rels(c) != MG_CLEAN)
        return c->res->verdict;
    c->p[ct_idx].keep = false;   /* written afresh */

    for (size_t i = 0; i < c->nrs; i++) {
        struct relset *s = &c->rs[i];
        for (size_t k = 0; k < s->n; k++) {
            decide_rel(c, s, &s->r[k]);
            if (s->r[k].removed && s->source >= 0) {
                struct part *src = &c->p[s->source];
                if (!src->dead_ids)
                    src->dead_ids = g_hash_table_new(g_str_hash, g_str_equal);
                g_hash_table_add(src->dead_ids, s->r[k].id);
            }
        }
        if (!time_ok(c))
            return block(c, MG_R_LIMIT_TIME, NULL);
    }
    reach(c);
    for (size_t i = 0; i < c->np; i++) {
        struct part *p = &c->p[i];
        if ((long)i == ct_idx || p->is_rels)
            continue;
        if (p->keep && !p->reached) {
            p->keep = false;
            if (!p->reported) {
                p->reported = true;
                char *d = g_strdup_printf("%s (not referenced)", p->name);
                act(c, MG_A_ITEM_REMOVED, d);
                g_free(d);
            }
        } else if (!p->keep && !p->reported) {
            report_part(c, (long)i, mg_ooxml_kind_action(p->kind));
        }
    }
    /* A .rels part survives with its source (the root's always). */
    for (size_t i = 0; i < c->nrs; i++) {
        struct relset *s = &c->rs[i];
        bool keep = s->source < 0 || c->p[s->source].keep;
        c->p[s->rels_part].keep = keep;
        if (keep && edit_rels(c, s) != MG_CLEAN)
            return c->res->verdict;
    }
    for (size_t i = 0; i < c->np; i++) {
        if (!time_ok(c))
            return block(c, MG_R_LIMIT_TIME, NULL);
        if (c->p[i].keep && !c->p[i].is_rels && edit_part(c, &c->p[i]) != MG_CLEAN)
            return c->res->verdict;
    }
    if (c->zip.hidden) {
        /* Reported so that the verdict is SANITIZED and the rebuilt zip,
         * not the original with its hidden bytes, is what leaves. */
        char d[96];
        snprintf(d, sizeof d, "%llu bytes outside the zip entries (gaps, comments)",
                 (unsigned long long)c->zip.hidden);
        act(c, MG_A_METADATA_REMOVED, d);
    }
    if (c->urls_defanged) {
        char d[32];
        snprintf(d, sizeof d, "%zu", c->urls_defanged);
        act(c, MG_A_URL_DEFANGED, d);
    }
    if (c->urls_removed) {
        char d[32];
        snprintf(d, sizeof d, "%zu", c->urls_removed);
        act(c, MG_A_URL_REMOVED, d);
    }
    if (write_zip(c, out) != MG_CLEAN)
        return c->res->verdict;
    c->res->verdict = c->res->n_actions || c->res->macro_free_converted ? MG_SANITIZED : MG_CLEAN;
    c->res->reason = c->res->verdict == MG_SANITIZED ? MG_R_SANITIZED : MG_R_NONE;
    return c->res->verdict;
}

enum mg_verdict mg_ooxml_rebuild(const uint8_t *data, size_t len, const struct mg_ooxml_opts *o,
                                 struct mg_sink *out, struct mg_ooxml_result *res)
{
    memset(res, 0, sizeof *res);
    struct ctx c = {
        .o = o,
        .res = res,
        .by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .def_ext = g_ptr_array_new_with_free_func(g_free),
        .def_ct = g_ptr_array_new_with_free_func(g_free),
        .ovr_name = g_ptr_array_new_with_free_func(g_free),
        .ovr_ct = g_ptr_array_new_with_free_func(g_free),
    };
    enum mg_verdict v = run(&c, data, len, out);
    ctx_free(&c);
    return v;
}
