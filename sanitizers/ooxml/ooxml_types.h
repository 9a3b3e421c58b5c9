/* What the OOXML sanitizer knows about content types and relationship types:
 * which part kinds are active content, which content types are allowed at
 * all, and the macro-free twin of each macro-enabled main part. Data only. */
#ifndef MG_OOXML_TYPES_H
#define MG_OOXML_TYPES_H

#include <stdbool.h>

#include "engine/contract.h"

enum mg_ooxml_kind {
    MG_OK_NORMAL = 0,
    MG_OK_VBA,          /* vbaProject.bin, vbaData.xml, toolbars, key maps */
    MG_OK_ACTIVEX,
    MG_OK_OLE,          /* oleObject, embedded package, anything in embeddings/ */
    MG_OK_XLM,          /* Excel 4.0 macro sheets */
    MG_OK_EXTLINK,      /* Excel external link parts (and their DDE links) */
    MG_OK_CUSTOMUI,     /* ribbon XML with callbacks into macros */
    MG_OK_SIGNATURE,    /* XML digital signatures: invalid once we edit */
    MG_OK_TEMPLATE,     /* attachedTemplate */
    MG_OK_SUBDOC,       /* subDocument, frame */
    MG_OK_WEBEXT,       /* Office add-ins (web extensions, task panes): code from a URL */
    MG_OK_UNKNOWN,      /* content type outside the allow-list */
};

/* Kind of a part from its content type and name. */
enum mg_ooxml_kind mg_ooxml_kind_of_part(const char *name, const char *ctype);
/* Kind implied by a relationship type; NORMAL when the type is harmless. */
enum mg_ooxml_kind mg_ooxml_kind_of_rel(const char *rtype);
bool mg_ooxml_rel_is_hyperlink(const char *rtype);
/* The action recorded when something of this kind is removed. */
enum mg_action mg_ooxml_kind_action(enum mg_ooxml_kind k);
/* Macro-free twin of a macro-enabled main content type, or NULL. */
const char *mg_ooxml_macro_free_ctype(const char *ctype);
/* Macro-free extension for a macro-enabled one ("docm" -> "docx"), or NULL. */
const char *mg_ooxml_macro_free_ext(const char *ext);
/* "report.docm" -> "report.docx" (g_free); NULL when the name needs no change. */
char *mg_ooxml_macro_free_name(const char *name);
/* Content types whose parts are WordprocessingML story XML (fields live there). */
bool mg_ooxml_ctype_is_wordml_story(const char *ctype);
bool mg_ooxml_ctype_is_xml(const char *ctype, const char *name);

#endif
