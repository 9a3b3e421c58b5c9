/* What each HTML element means for the text rendering. Elements not in the
 * table are inline (their text is kept). */
#ifndef MG_SANITIZERS_HTML_ELEMENTS_H
#define MG_SANITIZERS_HTML_ELEMENTS_H

#include <stdint.h>

enum mg_html_layout {
    MG_HL_INLINE = 0,
    MG_HL_BLOCK,       /* starts and ends a line */
    MG_HL_PARA,        /* separated by a blank line */
    MG_HL_DROP,        /* element and everything inside it dropped */
    MG_HL_VOID,        /* void in HTML5, not shown: nothing written, nothing
                        * dropped after it (libxml2's HTML 4 tables think
                        * some, e.g. <embed>, <source>, have content) */
};

enum mg_html_role {
    MG_HR_NONE = 0,
    MG_HR_A, MG_HR_IMG, MG_HR_BR, MG_HR_HR, MG_HR_UL, MG_HR_OL, MG_HR_LI, MG_HR_DD,
    MG_HR_PRE, MG_HR_QUOTE, MG_HR_TABLE, MG_HR_TR, MG_HR_CELL, MG_HR_RUBY, MG_HR_RT,
    MG_HR_RP, MG_HR_FORM,
    /* counted when removed */
    MG_HR_SCRIPT, MG_HR_STYLE, MG_HR_FRAME, MG_HR_OBJECT, MG_HR_META, MG_HR_LINK,
    MG_HR_INPUT,
};

struct mg_html_element {
    const char *name;
    uint8_t layout;    /* enum mg_html_layout */
    uint8_t role;      /* enum mg_html_role */
};

/* name is lower case (libxml2 lower-cases HTML names). Never NULL: unknown
 * names get an inline entry. */
const struct mg_html_element *mg_html_element(const char *name);

#endif
