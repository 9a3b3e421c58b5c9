#include "sanitizers/html/html_elements.h"

#include <stdlib.h>
#include <string.h>

/* Sorted by name (bsearch). DROP is an allow-list failure in reverse: the
 * content of these elements is not shown by a mail client, or is code,
 * or is a fallback for an active object. */
static const struct mg_html_element elements[] = {
    {"a", MG_HL_INLINE, MG_HR_A},
    {"address", MG_HL_BLOCK, MG_HR_NONE},
    {"applet", MG_HL_DROP, MG_HR_OBJECT},
    {"area", MG_HL_VOID, MG_HR_NONE},
    {"article", MG_HL_BLOCK, MG_HR_NONE},
    {"aside", MG_HL_BLOCK, MG_HR_NONE},
    {"audio", MG_HL_DROP, MG_HR_OBJECT},
    {"base", MG_HL_VOID, MG_HR_NONE},
    {"blockquote", MG_HL_PARA, MG_HR_QUOTE},
    {"body", MG_HL_BLOCK, MG_HR_NONE},
    {"br", MG_HL_INLINE, MG_HR_BR},
    {"canvas", MG_HL_DROP, MG_HR_OBJECT},
    {"caption", MG_HL_BLOCK, MG_HR_NONE},
    {"center", MG_HL_BLOCK, MG_HR_NONE},
    {"datalist", MG_HL_DROP, MG_HR_INPUT},
    {"dd", MG_HL_BLOCK, MG_HR_DD},
    {"details", MG_HL_BLOCK, MG_HR_NONE},
    {"dialog", MG_HL_BLOCK, MG_HR_NONE},
    {"dir", MG_HL_PARA, MG_HR_UL},
    {"div", MG_HL_BLOCK, MG_HR_NONE},
    {"dl", MG_HL_PARA, MG_HR_NONE},
    {"dt", MG_HL_BLOCK, MG_HR_NONE},
    {"embed", MG_HL_VOID, MG_HR_OBJECT},
    {"fieldset", MG_HL_BLOCK, MG_HR_NONE},
    {"figcaption", MG_HL_BLOCK, MG_HR_NONE},
    {"figure", MG_HL_PARA, MG_HR_NONE},
    {"footer", MG_HL_BLOCK, MG_HR_NONE},
    {"form", MG_HL_BLOCK, MG_HR_FORM},
    {"frame", MG_HL_DROP, MG_HR_FRAME},
    {"frameset", MG_HL_BLOCK, MG_HR_NONE},
    {"h1", MG_HL_PARA, MG_HR_NONE},
    {"h2", MG_HL_PARA, MG_HR_NONE},
    {"h3", MG_HL_PARA, MG_HR_NONE},
    {"h4", MG_HL_PARA, MG_HR_NONE},
    {"h5", MG_HL_PARA, MG_HR_NONE},
    {"h6", MG_HL_PARA, MG_HR_NONE},
    {"head", MG_HL_DROP, MG_HR_NONE},
    {"header", MG_HL_BLOCK, MG_HR_NONE},
    {"hgroup", MG_HL_BLOCK, MG_HR_NONE},
    {"hr", MG_HL_PARA, MG_HR_HR},
    {"html", MG_HL_BLOCK, MG_HR_NONE},
    {"iframe", MG_HL_DROP, MG_HR_FRAME},
    {"img", MG_HL_INLINE, MG_HR_IMG},
    {"input", MG_HL_VOID, MG_HR_INPUT},
    {"keygen", MG_HL_VOID, MG_HR_INPUT},
    {"legend", MG_HL_BLOCK, MG_HR_NONE},
    {"li", MG_HL_BLOCK, MG_HR_LI},
    {"link", MG_HL_VOID, MG_HR_LINK},
    {"listing", MG_HL_PARA, MG_HR_PRE},
    {"main", MG_HL_BLOCK, MG_HR_NONE},
    {"map", MG_HL_DROP, MG_HR_NONE},
    {"math", MG_HL_DROP, MG_HR_OBJECT},
    {"menu", MG_HL_PARA, MG_HR_UL},
    {"meta", MG_HL_VOID, MG_HR_META},
    {"nav", MG_HL_BLOCK, MG_HR_NONE},
    {"noembed", MG_HL_DROP, MG_HR_NONE},
    {"noscript", MG_HL_DROP, MG_HR_NONE},
    {"object", MG_HL_DROP, MG_HR_OBJECT},
    {"ol", MG_HL_PARA, MG_HR_OL},
    {"optgroup", MG_HL_DROP, MG_HR_INPUT},
    {"option", MG_HL_DROP, MG_HR_INPUT},
    {"p", MG_HL_PARA, MG_HR_NONE},
    {"param", MG_HL_VOID, MG_HR_NONE},
    {"plaintext", MG_HL_PARA, MG_HR_PRE},
    {"pre", MG_HL_PARA, MG_HR_PRE},
    {"rp", MG_HL_INLINE, MG_HR_RP},
    {"rt", MG_HL_INLINE, MG_HR_RT},
    {"ruby", MG_HL_INLINE, MG_HR_RUBY},
    {"script", MG_HL_DROP, MG_HR_SCRIPT},
    {"section", MG_HL_BLOCK, MG_HR_NONE},
    {"select", MG_HL_DROP, MG_HR_INPUT},
    {"source", MG_HL_VOID, MG_HR_NONE},
    {"style", MG_HL_DROP, MG_HR_STYLE},
    {"summary", MG_HL_BLOCK, MG_HR_NONE},
    {"svg", MG_HL_DROP, MG_HR_OBJECT},
    {"table", MG_HL_PARA, MG_HR_TABLE},
    {"td", MG_HL_INLINE, MG_HR_CELL},
    {"template", MG_HL_DROP, MG_HR_NONE},
    {"textarea", MG_HL_DROP, MG_HR_INPUT},
    {"th", MG_HL_INLINE, MG_HR_CELL},
    {"title", MG_HL_DROP, MG_HR_NONE},
    {"tr", MG_HL_BLOCK, MG_HR_TR},
    {"track", MG_HL_VOID, MG_HR_NONE},
    {"ul", MG_HL_PARA, MG_HR_UL},
    {"video", MG_HL_DROP, MG_HR_OBJECT},
    {"xml", MG_HL_DROP, MG_HR_NONE},             /* Outlook's data islands */
    {"xmp", MG_HL_PARA, MG_HR_PRE},
};

static const struct mg_html_element inline_element = {"", MG_HL_INLINE, MG_HR_NONE};

static int cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct mg_html_element *)elem)->name);
}

const struct mg_html_element *mg_html_element(const char *name)
{
    const struct mg_html_element *e =
        bsearch(name, elements, sizeof(elements) / sizeof(elements[0]), sizeof(elements[0]), cmp);
    return e != NULL ? e : &inline_element;
}
