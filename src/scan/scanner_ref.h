/* The naive reference matcher the tests and fuzzers compare against: every
 * pattern compared at every end offset. Slow on purpose; obviously right. */
#ifndef MG_SCAN_SCANNER_REF_H
#define MG_SCAN_SCANNER_REF_H

#include "scan/scanner.h"

int mg_scanner_ref_block(const struct mg_pattern *pats, size_t n, const uint8_t *buf, size_t len,
                         mg_match_fn cb, void *ud);

#endif
