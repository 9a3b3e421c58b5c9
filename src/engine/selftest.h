/* `mugai selftest`: a built-in corpus of dangerous samples, generated in
 * memory at run time (nothing dangerous is stored in the tree or on disk),
 * run through the engine with the installed configuration, each compared
 * with the outcome the policy promises. For auditors: one table that says
 * the gateway does what it claims, class by class. */
#ifndef MG_ENGINE_SELFTEST_H
#define MG_ENGINE_SELFTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "engine/engine.h"

enum mg_selftest_status {
    MG_ST_OK = 0,       /* outcome as expected */
    MG_ST_NG,           /* outcome differs: something crossed that should not, or was lost */
    MG_ST_UNAVAILABLE,  /* the sanitizer this class needs is not in this build */
};

struct mg_selftest_result {
    const char *id;            /* "docm-macro" */
    const char *class_msgid;   /* English msgid, N_() */
    const char *expect_msgid;  /* English msgid, N_() */
    char actual[256];          /* verdict, reason and the actions that matter */
    enum mg_selftest_status status;
};

size_t mg_selftest_count(void);
/* Runs sample i through e; fills out. False only when the sample could not
 * be built or the job not started (then status is NG). */
bool mg_selftest_run(struct mg_engine *e, size_t i, struct mg_selftest_result *out);

/* For tests: the bytes and name of sample i (g_free the data). */
bool mg_selftest_sample(size_t i, const char **name, uint8_t **data, size_t *len);

#endif
