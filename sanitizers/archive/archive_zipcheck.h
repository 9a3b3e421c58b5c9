/* A structural pre-check of zip files from the central directory, before
 * libarchive decompresses anything: entry count, encryption flags, declared
 * sizes against the ratio limit, and entries whose data overlap (the
 * "better zip bomb" construction, where many entries share one deflate
 * stream). Small and bounded: it reads only fixed-size records whose
 * offsets it checks against the buffer. */
#ifndef MG_SANITIZERS_ARCHIVE_ZIPCHECK_H
#define MG_SANITIZERS_ARCHIVE_ZIPCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "sanitizers/archive/archive_read.h"

/* True when data looks like a zip (local header or end record at 0). */
bool mg_zipcheck_is_zip(const uint8_t *data, size_t len);

/* Checks the central directory. Returns MG_AR_OK, or MALFORMED (no end
 * record, offsets out of bounds, overlapping entries), ENCRYPTED (any entry
 * with the encryption bit), LIMIT_COUNT, LIMIT_SIZE (declared member size)
 * or LIMIT_RATIO (declared sizes), with a detail in detail[detlen]. */
enum mg_ar_status mg_zipcheck(const uint8_t *data, size_t len, const struct mg_ar_limits *lim,
                              char *detail, size_t detlen);

#endif
