/* The rebuilt archive: a zip written by libarchive into a sink, names in
 * UTF-8 with the language-encoding flag (bit 11), members deflated,
 * regular files only (no links, devices, owners or permissions beyond
 * 0644). */
#ifndef MG_SANITIZERS_ARCHIVE_WRITE_H
#define MG_SANITIZERS_ARCHIVE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/sink.h"

struct mg_arw;

/* NULL when libarchive cannot be set up (out of memory). */
struct mg_arw *mg_arw_new(struct mg_sink *out);
/* path: a cleaned relative UTF-8 path. mtime outside 1980..2107 is clamped
 * (zip's DOS time cannot hold it). */
bool mg_arw_add(struct mg_arw *w, const char *path, const uint8_t *data, size_t len, time_t mtime);
/* Writes the central directory; false if anything failed on the way. */
bool mg_arw_finish(struct mg_arw *w);
/* libarchive's message for the first failure ("" when none). */
const char *mg_arw_error(const struct mg_arw *w);
void mg_arw_free(struct mg_arw *w);

#endif
