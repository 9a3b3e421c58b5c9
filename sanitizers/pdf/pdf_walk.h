/* The object walk: visits every object of an open qpdf document (pages
 * first so reports can say "page 3", then the catalog, the trailer and every
 * object number up to /Size, which reaches objects in object streams and
 * objects nothing refers to) and removes active content in place. With dry
 * set nothing changes and the walk only counts what it would remove: that
 * is how the written output is verified. */
#ifndef MG_SANITIZERS_PDF_WALK_H
#define MG_SANITIZERS_PDF_WALK_H

#include <qpdf/qpdf-c.h>
#include <stdbool.h>
#include <stddef.h>

#include "sanitizers/pdf/pdf_disarm.h"

/* Runs the walk. *found gets the number of removals (or findings when dry).
 * Returns MG_PDF_OK, MG_PDF_TIME, MG_PDF_TOO_MANY or MG_PDF_MALFORMED (with
 * detail filled). */
enum mg_pdf_status mg_pdf_walk(qpdf_data q, const struct mg_pdf_opts *opts,
                               const struct mg_pdf_hooks *hooks, bool dry,
                               size_t *found, char *detail, size_t detail_len);

#endif
