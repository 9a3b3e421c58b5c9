/* Finding objects without qpdf's help, for the sweep over objects nothing
 * refers to: "N G obj" headers in the raw bytes, the number/offset header
 * of an object stream, and a bounded inflate. Pure functions on bytes. */
#ifndef MG_SANITIZERS_PDF_OBJECTS_H
#define MG_SANITIZERS_PDF_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Next "N G obj" header at or after *pos: fills id and gen, moves *pos past
 * it. False when there is none left. */
bool mg_pdf_next_obj_header(const uint8_t *d, size_t len, size_t *pos, int *id, int *gen);

/* Object numbers from an object stream's header ("id off id off ..."), at
 * most n of them and at most cap; returns how many were stored in ids. */
size_t mg_pdf_objstm_ids(const uint8_t *hdr, size_t len, size_t n, int *ids, size_t cap);

/* Inflates a zlib stream into at most cap bytes. With partial, returns the
 * first cap bytes (or what a truncated stream gave) instead of failing.
 * NULL on error or, without partial, when the result would exceed cap.
 * g_free the result. */
uint8_t *mg_pdf_inflate(const uint8_t *in, size_t inlen, size_t cap, bool partial,
                        size_t *outlen);

#endif
