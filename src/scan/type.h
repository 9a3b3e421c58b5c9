/* Type detection: what the bytes are (libmagic plus a few structural checks
 * of our own), mapped to mugai's type classes, and what the file name claims.
 * A disagreement between the two is reported, and policy decides. */
#ifndef MG_SCAN_TYPE_H
#define MG_SCAN_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_type_class {
    MG_TC_UNKNOWN = 0,
    MG_TC_EMPTY,
    MG_TC_TEXT,
    MG_TC_HTML,
    MG_TC_MAIL,
    MG_TC_OOXML,
    MG_TC_OLE2,
    MG_TC_RTF,
    MG_TC_PDF,
    MG_TC_ARCHIVE,
    MG_TC_IMAGE,
    MG_TC_EXECUTABLE,
    MG_TC_SCRIPT,
    MG_TC_ENCRYPTED,   /* encrypted container we recognise as such (OOXML EncryptedPackage ...) */
    MG_TC__COUNT
};

struct mg_type {
    enum mg_type_class cls;        /* from the bytes */
    enum mg_type_class name_cls;   /* from the file name's extension; UNKNOWN if none */
    bool mismatch;                 /* name claims a different, known class */
    char mime[96];                 /* libmagic MIME type */
    char desc[160];                /* libmagic description, truncated */
    char ext[16];                  /* lower-case extension without the dot, "" if none */
};

struct mg_typer;

/* Loads the magic database once; one typer per thread (libmagic is not
 * thread-safe per handle). */
struct mg_typer *mg_typer_new(char *errbuf, size_t errlen);
void mg_typer_free(struct mg_typer *t);
/* Fills out from the bytes and the name. desc (libmagic's description) is
 * only filled when describe is true: it costs a second libmagic pass. */
void mg_type_detect(struct mg_typer *t, const uint8_t *data, size_t len,
                    const char *name, bool describe, struct mg_type *out);
/* For an item whose container already says what it is (a message/rfc822
 * part, the relay's DATA): no libmagic, the name only for its extension. */
void mg_type_forced(const char *name, enum mg_type_class cls, struct mg_type *out);

const char *mg_type_class_name(enum mg_type_class c);           /* "pdf" */
bool mg_type_class_parse(const char *s, enum mg_type_class *out);
enum mg_type_class mg_type_class_of_ext(const char *ext);
/* Lower-case extension of name into ext[extlen] ("" when none). */
void mg_type_ext(const char *name, char *ext, size_t extlen);
const char *mg_typer_magic_version(void);

#endif
