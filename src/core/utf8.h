/* UTF-8 helpers: validation by the RFC 3629 grammar (no overlongs, no
 * surrogates, nothing past U+10FFFF) and encoding of one code point. */
#ifndef MG_CORE_UTF8_H
#define MG_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence starting at p (1..4), or 0 if invalid
 * or truncated. */
size_t mg_utf8_valid_prefix(const uint8_t *p, size_t len);
bool mg_utf8_valid(const uint8_t *p, size_t len);
/* Decodes one sequence; returns its length, 0 when invalid. */
size_t mg_utf8_decode(const uint8_t *p, size_t len, uint32_t *cp);
/* Writes cp (must be a scalar value) into out[4]; returns bytes written, 0 if invalid. */
size_t mg_utf8_encode(uint32_t cp, uint8_t out[4]);

#endif
