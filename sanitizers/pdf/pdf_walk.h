/* The object walk: visits every object of an open qpdf document (pages
 * first so reports can say "page 3", then the catalog and the trailer, then
 * every "N G obj" header found in data[len] and the objects of every object
 * stream, which reaches objects nothing refers to) and removes active
 * content in place. With dry
 * set nothing changes and the walk only counts what it would remove: that
 * is how the written output is verified. */
#ifndef MG_SANITIZERS_PDF_WALK_H
#define MG_SANITIZERS_PDF_WALK_H

#include <qpdf/qpdf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sanitizers/pdf/pdf_disarm.h"

/* Runs the walk. *found gets the number of removals (or findings when dry).
 * Returns MG_PDF_OK, MG_PDF_TIME, MG_PDF_TOO_MANY or MG_PDF_MALFORMED (with
 * detail filled). */
enum mg_pdf_status mg_pdf_walk(qpdf_data q, const uint8_t *data, size_t len,
                               const struct mg_pdf_opts *opts,
                               const struct mg_pdf_hooks *hooks, bool dry,
                               size_t *found, char *detail, size_t detail_len);

#endif
