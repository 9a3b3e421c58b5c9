/* What the PDF walk removes, as data: action types, annotation subtypes and
 * dictionary keys, matched on decoded names (qpdf has already turned
 * /J#61vaScript into /JavaScript). Pure functions, no qpdf. */
#ifndef MG_SANITIZERS_PDF_RULES_H
#define MG_SANITIZERS_PDF_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/contract.h"

enum mg_pdf_act {
    MG_PDF_ACT_GOTO = 0,   /* in-document jump: the only thing allowed to run by itself */
    MG_PDF_ACT_SAFE,       /* harmless on a click: Named, Hide, SetOCGState, Thread, Trans */
    MG_PDF_ACT_URI,        /* a link: policy decides */
    MG_PDF_ACT_BAD,        /* everything else, known or not */
};

/* s: the action's /S name with its slash, NULL when there is none. *kind:
 * the action to record when BAD. */
enum mg_pdf_act mg_pdf_action_class(const char *s, enum mg_action *kind);
/* True for action types that are dangerous wherever they appear (used on
 * dictionaries met outside an action slot, where /S may mean other things). */
bool mg_pdf_action_dangerous(const char *s);
/* Annotation subtypes removed whole (file attachment, multimedia, 3D). */
bool mg_pdf_annot_forbidden(const char *subtype, enum mg_action *kind);
/* Keys removed wherever they appear (/JS, /EmbeddedFiles, /XFA ...). */
bool mg_pdf_key_forbidden(const char *key, enum mg_action *kind);

/* Link targets: web and mail links (also already defanged ones) are "web";
 * javascript:, file:, data: and anything else are not. */
bool mg_pdf_uri_is_web(const char *uri, size_t len);
bool mg_pdf_uri_is_script(const char *uri, size_t len);
/* hxxp://example[.]com/... into out[outlen]; returns the length written, or
 * 0 when out is too small (outlen >= 3 * len + 16 is always enough). */
size_t mg_pdf_uri_defang(const char *uri, size_t len, char *out, size_t outlen);

#endif
