/* libxml2 edits for the OOXML sanitizer; see ooxml_xml.h. Tree walks are
 * iterative (next/parent pointers); libxml2 itself caps nesting at 256
 * without XML_PARSE_HUGE. Removed nodes are unlinked into a graveyard and
 * freed at the end, so a node collected earlier is never used after free. */
#include "sanitizers/ooxml/ooxml_xml.h"

#include <glib.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libxml2 reports some errors (encoding conversion) through the generic
 * handler even with XML_PARSE_NOERROR; keep them off stderr. The handler
 * is per thread in libxml2 and is restored after each call. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

struct quiet_save {
    xmlGenericErrorFunc fn;
    void *ctx;
};

static struct quiet_save quiet_on(void)
{
    struct quiet_save s = { xmlGenericError, xmlGenericErrorContext };
    xmlSetGenericErrorFunc(NULL, quiet);
    return s;
}

static void quiet_off(struct quiet_save s)
{
    xmlSetGenericErrorFunc(s.ctx, s.fn);
}

static xmlDoc *parse(const uint8_t *data, size_t len);

xmlDoc *mg_ooxml_xml_parse(const uint8_t *data, size_t len)
{
    struct quiet_save q = quiet_on();
    xmlDoc *doc = parse(data, len);
    quiet_off(q);
    return doc;
}

static xmlDoc *parse(const uint8_t *data, size_t len)
{
    if (len > INT32_MAX)
        return NULL;
    /* Refused before parsing, so no internal subset is ever processed
     * (UTF-16 text is caught by the intSubset check after parsing). */
    if (memmem(data, len, "<!DOCTYPE", 9) || memmem(data, len, "<!ENTITY", 8))
        return NULL;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
#ifdef XML_PARSE_NO_XXE
    opts |= XML_PARSE_NO_XXE;
#endif
    /* Neither XML_PARSE_NOENT nor XML_PARSE_DTDLOAD: no entity substitution,
     * no external subset. A DOCTYPE is refused outright below. */
    xmlParserCtxt *ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return NULL;
    xmlDoc *doc = xmlCtxtReadMemory(ctxt, (const char *)data, (int)len, NULL, NULL, opts);
    /* OOXML allows UTF-8 and UTF-16 only; another declared encoding (UTF-7,
     * EBCDIC ...) would make our reading differ from Office's. */
    const char *enc = doc ? (const char *)doc->encoding : NULL;
    bool enc_ok = !enc || strcasecmp(enc, "UTF-8") == 0 || strcasecmp(enc, "UTF-16") == 0 ||
                  strcasecmp(enc, "UTF-16LE") == 0 || strcasecmp(enc, "UTF-16BE") == 0;
    bool ok = doc && ctxt->wellFormed && enc_ok && !doc->intSubset && !doc->extSubset &&
              xmlDocGetRootElement(doc);
    xmlFreeParserCtxt(ctxt);
    if (!ok) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

bool mg_ooxml_xml_dump(xmlDoc *doc, uint8_t **out, size_t *len)
{
    xmlChar *mem = NULL;
    int size = 0;
    struct quiet_save q = quiet_on();
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    quiet_off(q);
    if (!mem || size <= 0) {
        xmlFree(mem);
        return false;
    }
    *out = malloc((size_t)size + 1);
    if (!*out) {
        xmlFree(mem);
        return false;
    }
    memcpy(*out, mem, (size_t)size);
    (*out)[size] = 0;
    *len = (size_t)size;
    xmlFree(mem);
    return true;
}

const char *mg_ooxml_xml_attr(const xmlNode *n, const char *local)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, local) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    }
    return NULL;
}

static bool is_el(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

/* Preorder successor of n inside the tree, skipping n's subtree if skip. */
static xmlNode *walk_next(xmlNode *n, bool skip)
{
    if (!skip && n->children && n->type == XML_ELEMENT_NODE)
        return n->children;
    while (n) {
        if (n->next)
            return n->next;
        n = n->parent;
        if (n && n->type != XML_ELEMENT_NODE)
            return NULL;
    }
    return NULL;
}

static bool attached(const xmlNode *n)
{
    for (unsigned k = 0; n && k < 10000; k++, n = n->parent) {
        if (n->type == XML_DOCUMENT_NODE)
            return true;
    }
    return false;
}

static bool has_element_child(const xmlNode *n, const char *except)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && !(except && is_el(c, except)))
            return true;
    }
    return false;
}

struct grave {
    GPtrArray *dead;
};

static void bury(struct grave *g, xmlNode *n)
{
    xmlUnlinkNode(n);
    g_ptr_array_add(g->dead, n);
}

static void grave_free(struct grave *g)
{
    for (guint i = 0; i < g->dead->len; i++)
        xmlFreeNode(g_ptr_array_index(g->dead, i));
    g_ptr_array_free(g->dead, TRUE);
}

/* Replaces n by its children (keeps text such as a hyperlink's runs). */
static void unwrap(struct grave *g, xmlNode *n)
{
    xmlNode *c = n->children;
    while (c) {
        xmlNode *next = c->next;
        xmlUnlinkNode(c);
        xmlAddPrevSibling(n, c);
        c = next;
    }
    bury(g, n);
}

/* Containers that mean nothing once empty (and may not be empty by schema). */
static bool empty_container(const xmlNode *n)
{
    static const char *const names[] = {
        "oleObjects", "controls", "externalReferences", "Choice", "Fallback",
        "AlternateContent", "object", "definedNames",
    };
    if (!n || n->type != XML_ELEMENT_NODE || has_element_child(n, NULL))
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (is_el(n, names[i]))
            return true;
    }
    return false;
}

/* After a removal under parent p: drop containers left empty, and turn an
 * mc:AlternateContent that lost all its Choices into its Fallback content. */
static void cleanup_up(struct grave *g, xmlNode *p)
{
    for (unsigned k = 0; p && k < 8; k++) {
        xmlNode *up = p->parent;
        if (empty_container(p)) {
            bury(g, p);
            p = up;
            continue;
        }
        if (is_el(p, "AlternateContent") && !has_element_child(p, "Fallback")) {
            for (xmlNode *c = p->children; c; c = c->next) {
                if (is_el(c, "Fallback")) {
                    xmlUnlinkNode(c);
                    xmlAddPrevSibling(p, c);
                    unwrap(g, c);
                    break;
                }
            }
            bury(g, p);
        }
        break;
    }
}

static xmlNode *find_desc(xmlNode *n, const char *local)
{
    for (xmlNode *c = n->children ? n->children : NULL; c;) {
        if (is_el(c, local))
            return c;
        xmlNode *nx = walk_next(c, false);
        /* stay inside n */
        xmlNode *q = nx;
        while (q && q != n)
            q = q->parent;
        c = q ? nx : NULL;
    }
    return NULL;
}

/* PresentationML OLE frame: keep the preview picture (p:pic inside
 * p:oleObj, 2010+) in place of the whole graphic frame, or drop the frame. */
static void drop_pptx_ole(struct grave *g, xmlNode *ole)
{
    xmlNode *frame = ole->parent;
    for (unsigned k = 0; frame && k < 8 && !is_el(frame, "graphicFrame"); k++)
        frame = frame->parent;
    if (!is_el(frame, "graphicFrame")) {
        xmlNode *p = ole->parent;
        bury(g, ole);
        cleanup_up(g, p);
        return;
    }
    xmlNode *pic = find_desc(ole, "pic");
    xmlNode *p = frame->parent;
    if (pic) {
        /* Give the picture the frame's id and name (ids must be unique). */
        xmlNode *fpr = find_desc(frame, "cNvPr");
        xmlNode *ppr = find_desc(pic, "cNvPr");
        if (fpr && ppr) {
            const char *id = mg_ooxml_xml_attr(fpr, "id");
            const char *name = mg_ooxml_xml_attr(fpr, "name");
            if (id)
                xmlSetProp(ppr, BAD_CAST "id", BAD_CAST id);
            if (name)
                xmlSetProp(ppr, BAD_CAST "name", BAD_CAST name);
        }
        xmlUnlinkNode(pic);
        xmlAddPrevSibling(frame, pic);
        bury(g, frame);
    } else {
        bury(g, frame);
        cleanup_up(g, p);
    }
}

static bool is_r_ns(const xmlNs *ns)
{
    return ns && (strcmp((const char *)ns->href, MG_NS_R) == 0 ||
                  strcmp((const char *)ns->href, MG_NS_R_STRICT) == 0);
}

size_t mg_ooxml_xml_drop_refs(xmlDoc *doc, mg_ooxml_id_fn removed, void *ud)
{
    struct grave g = { g_ptr_array_new() };
    GPtrArray *hits = g_ptr_array_new();
    size_t count = 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    for (xmlNode *n = root; n; n = walk_next(n, false)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        xmlAttr *a = n->properties;
        while (a) {
            xmlAttr *next = a->next;
            if (is_r_ns(a->ns) && a->children && a->children->type == XML_TEXT_NODE &&
                removed(ud, (const char *)a->children->content)) {
                count++;
                if (strcmp((const char *)a->name, "link") == 0)
                    xmlRemoveProp(a);   /* a:blip r:link: keep the picture frame */
                else
                    g_ptr_array_add(hits, n);
            }
            a = next;
        }
    }
    for (guint i = 0; i < hits->len; i++) {
        xmlNode *n = g_ptr_array_index(hits, i);
        if (!attached(n))
            continue;   /* already gone with an ancestor */
        xmlNode *p = n->parent;
        if (is_el(n, "hyperlink") && n->ns &&
            strstr((const char *)n->ns->href, "wordprocessingml")) {
            unwrap(&g, n);
        } else if (is_el(n, "oleObj")) {
            drop_pptx_ole(&g, n);
        } else {
            bury(&g, n);
            cleanup_up(&g, p);
        }
    }
    g_ptr_array_free(hits, TRUE);
    grave_free(&g);
    return count;
}

/* ---- fields ---- */

struct field {
    GPtrArray *nodes;       /* fldChar and instrText elements of this field */
    GString *instr;
    bool in_result;         /* after fldChar separate */
    bool nested_first;      /* a nested field came before any own instruction text */
    bool has_text;
};

static void field_free(struct field *f)
{
    g_ptr_array_free(f->nodes, TRUE);
    g_string_free(f->instr, TRUE);
}

/* 0 keep, else the action. */
static enum mg_action field_verdict(const char *instr, bool nested_first, bool *remove)
{
    while (*instr == ' ' || *instr == '\t' || *instr == '\r' || *instr == '\n')
        instr++;
    size_t n = strcspn(instr, " \t\r\n\\\"");
    *remove = true;
    if (nested_first)
        return MG_A_DDE_REMOVED;
    static const char *const dde[] = { "DDE", "DDEAUTO" };
    static const char *const ext[] = { "INCLUDETEXT", "INCLUDEPICTURE", "IMPORT", "LINK" };
    for (size_t i = 0; i < 2; i++) {
        if (n == strlen(dde[i]) && strncasecmp(instr, dde[i], n) == 0)
            return MG_A_DDE_REMOVED;
    }
    for (size_t i = 0; i < 4; i++) {
        if (n == strlen(ext[i]) && strncasecmp(instr, ext[i], n) == 0)
            return MG_A_EXTERNAL_REMOVED;
    }
    *remove = false;
    return MG_A_DDE_REMOVED;
}

/* Cut to at most max bytes on a UTF-8 boundary. */
static void clip_utf8(GString *s, size_t max)
{
    if (s->len <= max)
        return;
    size_t k = max;
    while (k > 0 && ((unsigned char)s->str[k] & 0xC0) == 0x80)
        k--;
    g_string_truncate(s, k);
    g_string_append(s, "...");
}

static void report_field(mg_ooxml_report_fn report, void *ud, enum mg_action a, const char *instr)
{
    GString *d = g_string_new(instr);
    g_strstrip(d->str);
    d->len = strlen(d->str);
    clip_utf8(d, 80);
    report(ud, a, d->str);
    g_string_free(d, TRUE);
}

/* Removes a field marker or instruction element and a run it leaves empty. */
static void drop_field_node(struct grave *g, xmlNode *n)
{
    if (!attached(n))
        return;
    xmlNode *run = n->parent;
    bury(g, n);
    if (is_el(run, "r") && !has_element_child(run, "rPr"))
        bury(g, run);
}

size_t mg_ooxml_xml_strip_fields(xmlDoc *doc, size_t max_fields, mg_ooxml_report_fn report, void *ud)
{
    struct grave g = { g_ptr_array_new() };
    GPtrArray *simple = g_ptr_array_new();
    struct field stack[32];
    size_t depth = 0, count = 0, seen = 0;
    bool too_many = false;
    xmlNode *root = xmlDocGetRootElement(doc);
    /* Markers are collected first; removal happens when a field closes, and
     * walk_next is taken before, so the walk never visits a buried node. */
    for (xmlNode *n = root; n && !too_many;) {
        xmlNode *next = walk_next(n, false);
        if (is_el(n, "fldSimple")) {
            g_ptr_array_add(simple, n);
        } else if (is_el(n, "fldChar")) {
            const char *t = mg_ooxml_xml_attr(n, "fldCharType");
            if (t && strcmp(t, "begin") == 0) {
                if (++seen > max_fields || depth == sizeof stack / sizeof stack[0]) {
                    too_many = true;
                    break;
                }
                if (depth > 0 && !stack[depth - 1].in_result && !stack[depth - 1].has_text)
                    stack[depth - 1].nested_first = true;
                stack[depth] = (struct field){ g_ptr_array_new(), g_string_new(NULL), false, false, false };
                g_ptr_array_add(stack[depth].nodes, n);
                depth++;
            } else if (t && depth > 0 && strcmp(t, "separate") == 0) {
                stack[depth - 1].in_result = true;
                g_ptr_array_add(stack[depth - 1].nodes, n);
            } else if (t && depth > 0 && strcmp(t, "end") == 0) {
                struct field *f = &stack[depth - 1];
                g_ptr_array_add(f->nodes, n);
                next = walk_next(n, true);
                bool rm;
                enum mg_action a = field_verdict(f->instr->str, f->nested_first, &rm);
                if (rm) {
                    report_field(report, ud, a, f->nested_first ? "(field code built from nested fields)" : f->instr->str);
                    count++;
                    for (guint i = 0; i < f->nodes->len; i++)
                        drop_field_node(&g, g_ptr_array_index(f->nodes, i));
                }
                depth--;
                if (depth > 0 && !stack[depth - 1].in_result) {
                    /* A field inside another's instruction belongs to it. */
                    for (guint i = 0; i < f->nodes->len; i++)
                        g_ptr_array_add(stack[depth - 1].nodes, g_ptr_array_index(f->nodes, i));
                }
                field_free(f);
            }
        } else if ((is_el(n, "instrText") || is_el(n, "delInstrText")) && depth > 0) {
            struct field *f = &stack[depth - 1];
            xmlChar *txt = xmlNodeGetContent(n);
            if (txt) {
                if (!f->in_result) {
                    if (f->instr->len < 4096)
                        g_string_append(f->instr, (const char *)txt);
                    for (const xmlChar *c = txt; *c; c++) {
                        if (*c != ' ' && *c != '\t')
                            f->has_text = true;
                    }
                }
                xmlFree(txt);
            }
            g_ptr_array_add(f->nodes, n);
        }
        n = next;
    }
    /* Fields never closed: judge them on what was seen. */
    while (depth > 0) {
        struct field *f = &stack[--depth];
        bool rm;
        enum mg_action a = field_verdict(f->instr->str, f->nested_first, &rm);
        if (rm && !too_many) {
            report_field(report, ud, a, f->instr->str);
            count++;
            for (guint i = 0; i < f->nodes->len; i++)
                drop_field_node(&g, g_ptr_array_index(f->nodes, i));
        }
        field_free(f);
    }
    for (guint i = 0; i < simple->len && !too_many; i++) {
        xmlNode *n = g_ptr_array_index(simple, i);
        const char *instr = mg_ooxml_xml_attr(n, "instr");
        bool rm;
        enum mg_action a = field_verdict(instr ? instr : "", false, &rm);
        if (rm && attached(n)) {
            report_field(report, ud, a, instr);
            count++;
            unwrap(&g, n);
        }
    }
    g_ptr_array_free(simple, TRUE);
    grave_free(&g);
    return too_many ? (size_t)-1 : count;
}

size_t mg_ooxml_xml_strip_auto_names(xmlDoc *doc, mg_ooxml_report_fn report, void *ud)
{
    static const char *const autos[] = {
        "_xlnm.Auto_Open", "_xlnm.Auto_Close", "_xlnm.Auto_Activate", "_xlnm.Auto_Deactivate",
        "Auto_Open", "Auto_Close", "Auto_Activate", "Auto_Deactivate",
    };
    struct grave g = { g_ptr_array_new() };
    size_t count = 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    for (xmlNode *n = root; n;) {
        xmlNode *next = walk_next(n, false);
        if (is_el(n, "definedName")) {
            next = walk_next(n, true);
            const char *name = mg_ooxml_xml_attr(n, "name");
            for (size_t i = 0; name && i < sizeof autos / sizeof autos[0]; i++) {
                if (strncasecmp(name, autos[i], strlen(autos[i])) == 0) {
                    report(ud, MG_A_XLM_REMOVED, name);
                    xmlNode *p = n->parent;
                    bury(&g, n);
                    count++;
                    if (empty_container(p))
                        bury(&g, p);
                    break;
                }
            }
        }
        n = next;
    }
    grave_free(&g);
    return count;
}

static const char *r_attr(const xmlNode *n, const char *local)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (is_r_ns(a->ns) && strcmp((const char *)a->name, local) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    }
    return NULL;
}

static void set_uint_attr(xmlNode *n, const char *name, unsigned long v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lu", v);
    xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

/* Decimal attribute value, or -1 when absent or not a plain number. */
static long uint_attr(const xmlNode *n, const char *name)
{
    const char *v = mg_ooxml_xml_attr(n, name);
    if (!v || !*v || strlen(v) > 9 || strspn(v, "0123456789") != strlen(v))
        return -1;
    return strtol(v, NULL, 10);
}

size_t mg_ooxml_xml_fix_sheet_indexes(xmlDoc *doc, mg_ooxml_id_fn removed, void *ud)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!is_el(root, "workbook"))
        return 0;
    /* gone[i]: sheet i is removed; newidx[i]: its index afterwards. */
    enum { MAX_SHEETS = 4096 };
    bool gone[MAX_SHEETS];
    long newidx[MAX_SHEETS];
    size_t n = 0, kept = 0, dropped = 0;
    struct grave g = { g_ptr_array_new() };
    for (xmlNode *c = root->children; c; c = c->next) {
        if (!is_el(c, "sheets"))
            continue;
        for (xmlNode *sh = c->children; sh && n < MAX_SHEETS; sh = sh->next) {
            if (!is_el(sh, "sheet"))
                continue;
            const char *id = r_attr(sh, "id");
            gone[n] = id && removed(ud, id);
            newidx[n] = gone[n] ? -1 : (long)kept;
            kept += !gone[n];
            dropped += gone[n];
            n++;
        }
    }
    if (dropped == 0) {
        grave_free(&g);
        return 0;
    }
    for (xmlNode *c = root->children; c; c = c->next) {
        if (is_el(c, "definedNames")) {
            xmlNode *dn = c->children;
            while (dn) {
                xmlNode *next = dn->next;
                long l = is_el(dn, "definedName") ? uint_attr(dn, "localSheetId") : -1;
                if (l >= 0 && (size_t)l < n) {
                    if (gone[l])
                        bury(&g, dn);
                    else
                        set_uint_attr(dn, "localSheetId", (unsigned long)newidx[l]);
                }
                dn = next;
            }
            if (empty_container(c))
                bury(&g, c);
            break;
        }
    }
    for (xmlNode *c = root->children; c; c = c->next) {
        if (!is_el(c, "bookViews"))
            continue;
        for (xmlNode *v = c->children; v; v = v->next) {
            if (!is_el(v, "workbookView"))
                continue;
            const char *attrs[] = { "activeTab", "firstSheet" };
            for (size_t k = 0; k < 2; k++) {
                long t = uint_attr(v, attrs[k]);
                if (t < 0)
                    continue;
                long nt = (size_t)t < n && newidx[t] >= 0 ? newidx[t] : 0;
                set_uint_attr(v, attrs[k], (unsigned long)nt);
            }
        }
    }
    grave_free(&g);
    return dropped;
}
