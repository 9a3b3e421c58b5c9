/* RTF disarm by copying: a tokenizer that reads like Word (control words of
 * up to 32 letters, optional signed parameter, \'hh, \bin N raw bytes,
 * CR/LF ignored, missing closing braces tolerated) and copies every byte
 * except the groups that carry objects, data stores, attached templates,
 * and the instructions of fields not on an allow-list (DDE, INCLUDETEXT ...;
 * their result stays). Groups live on an explicit stack with a depth cap. */
#ifndef MG_SANITIZERS_RTF_H
#define MG_SANITIZERS_RTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MG_RTF_MAX_DEPTH 1024

struct mg_rtf_stats {
    size_t objects;          /* \object, \objdata and other \obj* groups */
    size_t datastores;       /* \*\datastore, \*\oleclsid */
    size_t templates;        /* \*\template */
    size_t fields_dde;       /* DDE, DDEAUTO */
    size_t fields_external;  /* INCLUDETEXT, INCLUDEPICTURE, IMPORT, LINK ... */
    size_t fields_other;     /* anything else not on the allow-list */
    char first_field[24];    /* first removed "other" keyword ("MACROBUTTON", "(nested field)") */
    size_t trailing;         /* bytes after the end of the document dropped */
    size_t unclosed;         /* groups still open at the end (closed in the output) */
};

enum mg_rtf_status { MG_RTF_OK = 0, MG_RTF_MALFORMED, MG_RTF_NOMEM };

/* Cleans in[len] into out. err gets the reason for MALFORMED. */
enum mg_rtf_status mg_rtf_clean(const uint8_t *in, size_t len, struct mg_buf *out,
                                struct mg_rtf_stats *st, char *err, size_t errlen);

#endif
