/* The OOXML package rebuild, independent of the engine so that unit tests,
 * the fuzzer and the test driver can call it directly: zip in, zip out,
 * actions and limits through callbacks. ooxml.c adapts it to the contract. */
#ifndef MG_OOXML_PKG_H
#define MG_OOXML_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sink.h"
#include "engine/contract.h"
#include "engine/policy.h"
#include "sanitizers/common/zip_read.h"

struct mg_ooxml_opts {
    struct mg_zip_limits lim;
    enum mg_urls_mode hyperlinks;    /* external hyperlinks: keep, defang, remove */
    size_t max_fields;              /* field codes per part (0 = 100000) */
    void (*action)(void *ud, enum mg_action a, const char *detail);
    bool (*charge)(void *ud, uint64_t n);   /* NULL: no job budget */
    bool (*time_ok)(void *ud);              /* NULL: no deadline */
    void *ud;
};

struct mg_ooxml_result {
    enum mg_verdict verdict;        /* CLEAN, SANITIZED, BLOCKED or TEMPFAIL */
    enum mg_reason reason;          /* when BLOCKED/TEMPFAIL */
    char detail[200];
    bool macro_free_converted;      /* a macro-enabled main type was converted */
    size_t n_actions;
};

/* Rebuilds the package into out (always written when the verdict is
 * SANITIZED or CLEAN; CLEAN means nothing had to be removed). */
enum mg_verdict mg_ooxml_rebuild(const uint8_t *data, size_t len, const struct mg_ooxml_opts *o,
                                 struct mg_sink *out, struct mg_ooxml_result *res);

#endif
