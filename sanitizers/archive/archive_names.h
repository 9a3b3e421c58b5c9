/* Member names of an archive: decoding (UTF-8 when the bytes are valid
 * UTF-8, else the legacy charset, CP932 by default, through mugai's own
 * decoder) and the rules that make a name safe to extract on Windows and
 * Unix: relative, no "..", no control or bidi characters, no reserved
 * device names, no case-only collisions. Pure functions plus one set; no
 * engine, no libarchive, so unit tests and the fuzzer drive them directly. */
#ifndef MG_SANITIZERS_ARCHIVE_NAMES_H
#define MG_SANITIZERS_ARCHIVE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* What was changed in a name, one bit per rule (for the report). */
enum {
    MG_ARN_LEGACY = 1u << 0,      /* decoded from the legacy charset (not dangerous) */
    MG_ARN_UNDECODABLE = 1u << 1, /* neither UTF-8 nor the legacy charset: replaced */
    MG_ARN_ABSOLUTE = 1u << 2,    /* leading "/", "\\", "C:" removed */
    MG_ARN_DOTDOT = 1u << 3,      /* ".." components removed */
    MG_ARN_CONTROL = 1u << 4,     /* control or invisible characters removed */
    MG_ARN_BIDI = 1u << 5,        /* bidi override/embedding characters removed */
    MG_ARN_RESERVED = 1u << 6,    /* CON, PRN, AUX, NUL, COM1-9, LPT1-9 prefixed with "_" */
    MG_ARN_BADCHAR = 1u << 7,     /* < > : " | ? * replaced by "_" */
    MG_ARN_TRAILING = 1u << 8,    /* trailing dots or spaces removed */
    MG_ARN_LONG = 1u << 9,        /* component or path shortened */
    MG_ARN_DOUBLE_EXT = 1u << 10, /* "x.pdf.exe": the decoy dot replaced by "_" */
    MG_ARN_COLLISION = 1u << 11,  /* same name as another member (ignoring case): suffixed */
    MG_ARN_EMPTY = 1u << 12,      /* nothing usable left: replaced by member-N */
};
/* Every bit except LEGACY means the name was changed for safety. */
#define MG_ARN_DANGEROUS (~(unsigned)MG_ARN_LEGACY)

#define MG_ARN_MAX_COMPONENT 200  /* bytes of one path component */
#define MG_ARN_MAX_DEPTH 32       /* path components */

/* Decodes raw name bytes and returns a safe relative UTF-8 path (NFC, "/"
 * separated, never empty) in malloc'd memory, or NULL when out of memory.
 * legacy: charset label for names that are not valid UTF-8 ("CP932").
 * index: member number, used for the replacement name "member-N". */
char *mg_arname_clean(const uint8_t *raw, size_t len, const char *legacy, size_t index,
                      unsigned *flags);

/* A printable rendering of the raw name for notices and logs: decoded like
 * mg_arname_clean, but with control and bidi characters shown as U+FFFD
 * and at most 200 bytes. Appended to out. */
void mg_arname_display(const uint8_t *raw, size_t len, const char *legacy, struct mg_buf *out);

/* Comma-separated English words for the bits in flags ("absolute path, ..
 * component"), into out (NUL-terminated, truncated to outlen). */
void mg_arname_flags_text(unsigned flags, char *out, size_t outlen);

/* True when the last extension is an executable one and the one before it
 * a document or image one ("請求書.pdf.exe"). */
bool mg_arname_double_ext(const char *path);

/* Names already used in one rebuilt archive, compared after NFC and case
 * folding; a file name may not also be a directory prefix. */
struct mg_arname_set;
struct mg_arname_set *mg_arname_set_new(void);
void mg_arname_set_free(struct mg_arname_set *s);
/* Reserves path (a cleaned one) and returns it, or a variant suffixed
 * " (2)", " (3)" ... with MG_ARN_COLLISION set in *flags, in malloc'd
 * memory. NULL when out of memory or after too many collisions. */
char *mg_arname_unique(struct mg_arname_set *s, const char *path, unsigned *flags);

#endif
