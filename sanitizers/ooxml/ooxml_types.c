/* Tables behind ooxml_types.h. Matching is ASCII case-insensitive because
 * OPC content types and our name checks are. */
#include "sanitizers/ooxml/ooxml_types.h"

#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static bool ends_with_ci(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static bool starts_with_ci(const char *s, const char *pre)
{
    return strncasecmp(s, pre, strlen(pre)) == 0;
}

static bool contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++) {
        if (strncasecmp(s, needle, n) == 0)
            return true;
    }
    return false;
}

/* Content types of active parts (exact, case-insensitive). */
static const struct { const char *ct; enum mg_ooxml_kind k; } ctype_kinds[] = {
    { "application/vnd.ms-office.vbaProject", MG_OK_VBA },
    { "application/vnd.ms-office.vbaProjectSignature", MG_OK_VBA },
    { "application/vnd.ms-office.vbaProjectSignatureAgile", MG_OK_VBA },
    { "application/vnd.ms-office.vbaProjectSignatureV3", MG_OK_VBA },
    { "application/vnd.ms-word.vbaData+xml", MG_OK_VBA },
    { "application/vnd.ms-word.keyMapCustomizations+xml", MG_OK_VBA },
    { "application/vnd.ms-word.attachedToolbars", MG_OK_VBA },
    { "application/vnd.ms-excel.attachedToolbars", MG_OK_VBA },
    { "application/vnd.ms-office.activeX+xml", MG_OK_ACTIVEX },
    { "application/vnd.ms-office.activeX", MG_OK_ACTIVEX },
    { "application/vnd.openxmlformats-officedocument.oleObject", MG_OK_OLE },
    { "application/vnd.ms-office.oleObject", MG_OK_OLE },
    { "application/vnd.ms-excel.macrosheet+xml", MG_OK_XLM },
    { "application/vnd.ms-excel.intlmacrosheet+xml", MG_OK_XLM },
    { "application/vnd.ms-excel.macrosheet", MG_OK_XLM },
    { "application/vnd.ms-excel.intlmacrosheet", MG_OK_XLM },
    { "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml", MG_OK_EXTLINK },
    { "application/vnd.ms-office.webextension+xml", MG_OK_WEBEXT },
    { "application/vnd.ms-office.webextensiontaskpanes+xml", MG_OK_WEBEXT },
    { "application/vnd.openxmlformats-package.digital-signature-origin", MG_OK_SIGNATURE },
    { "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml", MG_OK_SIGNATURE },
    { "application/vnd.openxmlformats-package.digital-signature-certificate", MG_OK_SIGNATURE },
};

/* Families of content types that hold document content. Everything else
 * (application/octet-stream, whole embedded documents ...) is dropped. */
static const char *const allowed_prefixes[] = {
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.openxmlformats-package.core-properties+xml",
    "application/vnd.openxmlformats-package.relationships+xml",
    "application/vnd.ms-office.",
    "application/vnd.ms-excel.",
    "application/vnd.ms-word.",
    "application/vnd.ms-powerpoint.",
    "application/vnd.ms-package.obfuscated-opentype",
    "application/vnd.ms-fontobject",
    "application/x-fontdata",
    "application/x-font",
    "application/xml",
    "text/xml",
    "image/",
    "audio/",
    "video/",
    "font/",
};

/* Content types of whole documents: a package inside the package is an
 * embedded object, whatever folder it sits in. */
static const char *const embedded_doc_suffixes[] = {
    "wordprocessingml.document", "wordprocessingml.template",
    "spreadsheetml.sheet", "spreadsheetml.template",
    "presentationml.presentation", "presentationml.slideshow", "presentationml.template",
    "presentationml.slide", "macroEnabled.12", "binary.macroEnabled.12",
};

enum mg_ooxml_kind mg_ooxml_kind_of_part(const char *name, const char *ctype)
{
    for (size_t i = 0; i < sizeof ctype_kinds / sizeof ctype_kinds[0]; i++) {
        if (strcasecmp(ctype, ctype_kinds[i].ct) == 0)
            return ctype_kinds[i].k;
    }
    /* Name-based, for packages that label active parts with a neutral type. */
    if (contains_ci(name, "vbaProject") || ends_with_ci(name, "vbaData.xml"))
        return MG_OK_VBA;
    if (contains_ci(name, "/activeX/") || starts_with_ci(name, "activeX/"))
        return MG_OK_ACTIVEX;
    if (contains_ci(name, "/embeddings/") || starts_with_ci(name, "embeddings/"))
        return MG_OK_OLE;
    if (contains_ci(name, "/macrosheets/") || contains_ci(name, "/intl-macrosheets/"))
        return MG_OK_XLM;
    if (contains_ci(name, "/externalLinks/"))
        return MG_OK_EXTLINK;
    if (starts_with_ci(name, "customUI/") || contains_ci(name, "/customUI/"))
        return MG_OK_CUSTOMUI;
    if (starts_with_ci(name, "_xmlsignatures/"))
        return MG_OK_SIGNATURE;
    if (contains_ci(name, "webextensions/"))
        return MG_OK_WEBEXT;
    if (contains_ci(ctype, "macrosheet"))
        return MG_OK_XLM;
    if (contains_ci(ctype, "activex"))
        return MG_OK_ACTIVEX;
    if (contains_ci(ctype, "oleobject"))
        return MG_OK_OLE;
    if (contains_ci(ctype, "vba"))
        return MG_OK_VBA;
    for (size_t i = 0; i < sizeof embedded_doc_suffixes / sizeof embedded_doc_suffixes[0]; i++) {
        if (ends_with_ci(ctype, embedded_doc_suffixes[i]))
            return MG_OK_OLE;
    }
    for (size_t i = 0; i < sizeof allowed_prefixes / sizeof allowed_prefixes[0]; i++) {
        if (starts_with_ci(ctype, allowed_prefixes[i]))
            return MG_OK_NORMAL;
    }
    return MG_OK_UNKNOWN;
}

/* Relationship types by their last path segment(s); the namespaces vary
 * between transitional, strict and Microsoft extensions, the tails don't. */
static const struct { const char *tail; enum mg_ooxml_kind k; } rel_kinds[] = {
    { "/vbaProject", MG_OK_VBA },
    { "/vbaProjectSignature", MG_OK_VBA },
    { "/wordVbaData", MG_OK_VBA },
    { "/keyMapCustomizations", MG_OK_VBA },
    { "/attachedToolbars", MG_OK_VBA },
    { "/control", MG_OK_ACTIVEX },
    { "/activeXControlBinary", MG_OK_ACTIVEX },
    { "/oleObject", MG_OK_OLE },
    { "/package", MG_OK_OLE },
    { "/xlMacrosheet", MG_OK_XLM },
    { "/xlIntlMacrosheet", MG_OK_XLM },
    { "/macrosheet", MG_OK_XLM },
    { "/externalLink", MG_OK_EXTLINK },
    { "/externalLinkPath", MG_OK_EXTLINK },
    { "/xlExternalLinkPath/xlPathMissing", MG_OK_EXTLINK },
    { "/xlStartup", MG_OK_EXTLINK },
    { "/xlAlternateStartup", MG_OK_EXTLINK },
    { "/xlLibrary", MG_OK_EXTLINK },
    { "/ui/extensibility", MG_OK_CUSTOMUI },
    { "/ui/userCustomization", MG_OK_CUSTOMUI },
    { "/digital-signature/origin", MG_OK_SIGNATURE },
    { "/digital-signature/signature", MG_OK_SIGNATURE },
    { "/digital-signature/certificate", MG_OK_SIGNATURE },
    { "/webextensiontaskpanes", MG_OK_WEBEXT },
    { "/webextension", MG_OK_WEBEXT },
    { "/attachedTemplate", MG_OK_TEMPLATE },
    { "/subDocument", MG_OK_SUBDOC },
    { "/frame", MG_OK_SUBDOC },
};

enum mg_ooxml_kind mg_ooxml_kind_of_rel(const char *rtype)
{
    for (size_t i = 0; i < sizeof rel_kinds / sizeof rel_kinds[0]; i++) {
        if (ends_with_ci(rtype, rel_kinds[i].tail))
            return rel_kinds[i].k;
    }
    return MG_OK_NORMAL;
}

bool mg_ooxml_rel_is_hyperlink(const char *rtype)
{
    return ends_with_ci(rtype, "/hyperlink");
}

enum mg_action mg_ooxml_kind_action(enum mg_ooxml_kind k)
{
    switch (k) {
    case MG_OK_VBA: return MG_A_VBA_REMOVED;
    case MG_OK_ACTIVEX: return MG_A_ACTIVEX_REMOVED;
    case MG_OK_OLE: return MG_A_OLE_REMOVED;
    case MG_OK_XLM: return MG_A_XLM_REMOVED;
    case MG_OK_EXTLINK: return MG_A_EXTERNAL_REMOVED;
    case MG_OK_CUSTOMUI: return MG_A_CUSTOMUI_REMOVED;
    case MG_OK_SIGNATURE: return MG_A_SIGNATURE_REMOVED;
    case MG_OK_TEMPLATE: return MG_A_TEMPLATE_REMOVED;
    case MG_OK_SUBDOC: return MG_A_EXTERNAL_REMOVED;
    case MG_OK_WEBEXT: return MG_A_EXTERNAL_REMOVED;
    case MG_OK_NORMAL:
    case MG_OK_UNKNOWN: break;
    }
    return MG_A_ITEM_REMOVED;
}

static const struct { const char *from, *to; } twins[] = {
    { "application/vnd.ms-word.document.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml" },
    { "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml" },
    { "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml" },
    { "application/vnd.ms-excel.template.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml" },
    { "application/vnd.ms-excel.addin.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml" },
    { "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml" },
    { "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml" },
    { "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml" },
    { "application/vnd.ms-powerpoint.addin.macroEnabled.main+xml",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml" },
};

const char *mg_ooxml_macro_free_ctype(const char *ctype)
{
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++) {
        if (strcasecmp(ctype, twins[i].from) == 0)
            return twins[i].to;
    }
    return NULL;
}

static const char *const ext_twins[][2] = {
    { "docm", "docx" }, { "dotm", "dotx" }, { "xlsm", "xlsx" }, { "xltm", "xltx" },
    { "xlam", "xlsx" }, { "pptm", "pptx" }, { "potm", "potx" }, { "ppsm", "ppsx" },
    { "ppam", "pptx" },
};

const char *mg_ooxml_macro_free_ext(const char *ext)
{
    for (size_t i = 0; i < sizeof ext_twins / sizeof ext_twins[0]; i++) {
        if (strcasecmp(ext, ext_twins[i][0]) == 0)
            return ext_twins[i][1];
    }
    return NULL;
}

char *mg_ooxml_macro_free_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    const char *twin = mg_ooxml_macro_free_ext(dot + 1);
    if (!twin)
        return NULL;
    return g_strdup_printf("%.*s.%s", (int)(dot - name), name, twin);
}

bool mg_ooxml_ctype_is_wordml_story(const char *ctype)
{
    static const char *const tails[] = {
        "document.main+xml", "template.main+xml", "macroEnabled.main+xml",
        "macroEnabledTemplate.main+xml", "wordprocessingml.header+xml",
        "wordprocessingml.footer+xml", "wordprocessingml.footnotes+xml",
        "wordprocessingml.endnotes+xml", "wordprocessingml.comments+xml",
        "wordprocessingml.document.glossary+xml",
    };
    if (!contains_ci(ctype, "word"))
        return false;
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        if (ends_with_ci(ctype, tails[i]))
            return true;
    }
    return false;
}

bool mg_ooxml_ctype_is_xml(const char *ctype, const char *name)
{
    return ends_with_ci(ctype, "+xml") || ends_with_ci(ctype, "/xml") ||
           ends_with_ci(name, ".xml") || ends_with_ci(name, ".rels") || ends_with_ci(name, ".vml");
}
