/* Japanese-aware charset decoding to UTF-8. Labels are families, as in the
 * WHATWG Encoding Standard: ISO-2022-JP is decoded as a superset with the
 * NEC/IBM rows (CP50220/50221 style), Shift_JIS as CP932, EUC-JP as
 * EUC-JP-MS. A byte sequence that does not decode is an error, never a
 * silent replacement (see ../shared/JAPANESE.md). */
#ifndef MG_SCAN_CHARSET_H
#define MG_SCAN_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum mg_charset {
    MG_CS_UNKNOWN = 0,
    MG_CS_ASCII,
    MG_CS_UTF8,
    MG_CS_ISO2022JP,
    MG_CS_CP932,
    MG_CS_EUCJP,
    MG_CS_OTHER,      /* decoded through iconv by label */
};

struct mg_decode_result {
    enum mg_charset charset;   /* what was used */
    size_t errors;             /* undecodable sequences (each written as U+FFFD) */
    size_t first_error;        /* byte offset of the first one */
};

/* Maps a MIME/HTML label to a family; MG_CS_OTHER for anything iconv may know. */
enum mg_charset mg_charset_from_label(const char *label);
const char *mg_charset_name(enum mg_charset cs);
/* Guesses among ASCII/UTF-8/ISO-2022-JP/CP932/EUC-JP from the bytes. */
enum mg_charset mg_charset_detect(const uint8_t *p, size_t len);

/* Decodes to UTF-8 appended to out. label may be NULL (detect). Returns false
 * only on resource failure; decoding errors are counted in res. */
bool mg_charset_to_utf8(const char *label, const uint8_t *p, size_t len,
                        struct mg_buf *out, struct mg_decode_result *res);
/* Encodes UTF-8 as ISO-2022-JP the CP50220 way (half-width kana to
 * full-width, NEC/IBM extensions in JIS rows 13 and 89-92); false if a
 * character has no encoding (written as "?" and counted in *unmappable). */
bool mg_charset_utf8_to_iso2022jp(const uint8_t *p, size_t len, struct mg_buf *out,
                                  size_t *unmappable);

#endif
