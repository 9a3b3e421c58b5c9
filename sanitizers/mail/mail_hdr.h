/* Header codecs for the mail sanitizer: RFC 2047 encoded words and RFC 2231
 * parameters, decoded on top of gmime's raw header values with the
 * Japanese-aware scan/charset.h (gmime would convert through iconv, which
 * damages real ISO-2022-JP mail), and the encoders for the rebuilt message.
 * Pure functions on bounded strings; no gmime, no engine. */
#ifndef MG_SANITIZERS_MAIL_HDR_H
#define MG_SANITIZERS_MAIL_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Removes folding (CRLF or bare LF followed by space or tab) and turns any
 * other CR, LF or NUL into a space. */
bool mg_mail_unfold(const char *raw, size_t len, struct mg_buf *out);

/* Decodes an unstructured header value to UTF-8: RFC 2047 B and Q words
 * (adjacent words of one charset are joined before charset conversion, so a
 * character split across words survives), and 8-bit or raw ISO-2022-JP text
 * outside words through charset detection. *errors counts malformed words and
 * undecodable sequences. False only on resource failure. */
bool mg_mail_hdr_decode(const char *raw, size_t len, struct mg_buf *out, size_t *errors);

/* Finds parameter name (case-insensitive) in a raw Content-Type or
 * Content-Disposition value and decodes it to UTF-8: RFC 2231 extended and
 * continued values first, else the plain value (with RFC 2047 words inside
 * quotes, as Japanese mailers write them). Returns false when absent or on
 * resource failure (then out->failed). */
bool mg_mail_param_get(const char *raw, size_t len, const char *name, struct mg_buf *out,
                       size_t *errors);

/* Writes "Name: value\r\n" with value encoded as RFC 2047 B words in UTF-8
 * or ISO-2022-JP (CP50220 way), folded to lines of at most 76 characters. A
 * printable ASCII value that cannot be mistaken for an encoded word is
 * written as it is. *unmappable counts characters ISO-2022-JP cannot carry. */
bool mg_mail_hdr_encode(const char *hname, const uint8_t *utf8, size_t len, bool iso2022jp,
                        struct mg_buf *out, size_t *unmappable);

/* The encoded words alone, starting at column col (with a space before
 * the first word when lead_space), joined by "\r\n ". */
bool mg_mail_words_encode(size_t col, bool lead_space, const uint8_t *utf8, size_t len,
                          bool iso2022jp, struct mg_buf *out, size_t *unmappable);

/* Appends ";\r\n pname*=UTF-8''..." (RFC 2231, with continuations when
 * long) for a UTF-8 value. */
bool mg_mail_param_encode(const char *pname, const uint8_t *utf8, size_t len,
                          struct mg_buf *out);

/* Writes "Name: value\r\n" for a printable ASCII value, folded at spaces
 * before 78 columns where the value allows. */
bool mg_mail_hdr_fold(const char *hname, const char *value, size_t len, struct mg_buf *out);

/* Replaces C0 controls (but TAB, and LF when multiline), DEL and C1
 * controls by a space and drops the bidirectional overrides (U+202A..E,
 * U+2066..9), in place; returns how many were replaced. Invalid UTF-8
 * becomes U+FFFD (counted). */
size_t mg_mail_clean_text(struct mg_buf *b, bool multiline);

#endif
