/* The preview fast path: a 204 decided from the first bytes alone, for
 * bodies whose class the policy passes anyway (images by default), when the
 * declared Content-Type, the file name and the magic bytes agree. Pure. */
#ifndef MG_ICAP_FAST_H
#define MG_ICAP_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/policy.h"

/* ctype: the Content-Type value (may be NULL); name: the file name we
 * derived ("" if none); encoded: a Content-Encoding other than identity is
 * present (then the preview bytes are not the content: no fast path). */
bool mg_icap_fast_pass(const struct mg_policy *p, const char *ctype, const char *name, bool encoded,
                       const uint8_t *data, size_t len);

/* The type class a Content-Type names, as far as the fast path and the
 * 206 rule care: IMAGE, TEXT (text/plain), else UNKNOWN. */
enum mg_type_class mg_icap_ctype_class(const char *ctype);

#endif
