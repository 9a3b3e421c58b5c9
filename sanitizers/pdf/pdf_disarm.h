/* PDF disarm on libqpdf: read (repairing what qpdf can repair, decrypting
 * files whose user password is empty), walk every object and remove active
 * content (pdf_walk.c), write a fresh deterministic PDF, then read that output
 * back and walk it again in count-only mode: anything still found blocks.
 * Knows nothing of the engine: the caller passes hooks for actions, time and
 * extracted files, so unit tests, the fuzzer and tools can drive it alone. */
#ifndef MG_SANITIZERS_PDF_DISARM_H
#define MG_SANITIZERS_PDF_DISARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sink.h"
#include "engine/contract.h"

struct mg_pdf_opts {
    enum mg_urls_mode uri;      /* keep, defang or remove link targets */
    bool extract_files;        /* hand embedded files to hooks->embedded before removing */
    uint64_t max_objects;      /* object numbers walked at most (0 = default) */
    uint64_t max_extract;      /* decoded size cap for an extracted file (0 = none) */
};

struct mg_pdf_hooks {
    void *ctx;
    /* One call per removal (detail: where, e.g. "page 3 annotation /AA /E"). */
    void (*action)(void *ctx, enum mg_action a, const char *detail);
    /* False once the job is out of time; NULL = no limit. */
    bool (*time_ok)(void *ctx);
    /* Extract mode: one call per embedded file (decoded bytes, valid during
     * the call). True when the file was taken over (the report says so). */
    bool (*embedded)(void *ctx, const char *name, const uint8_t *data, size_t len);
};

enum mg_pdf_status {
    MG_PDF_OK = 0,       /* output written (changed or not) */
    MG_PDF_ENCRYPTED,    /* needs a password */
    MG_PDF_MALFORMED,    /* qpdf could not read or write it */
    MG_PDF_TIME,         /* hooks->time_ok said stop */
    MG_PDF_TOO_MANY,     /* more objects than max_objects */
    MG_PDF_VERIFY,       /* the output still had active content */
    MG_PDF_NOMEM,        /* writing the output failed */
};

struct mg_pdf_result {
    enum mg_pdf_status status;
    size_t removed;          /* actions reported */
    size_t warnings;         /* qpdf warnings (repairs) */
    bool decrypted;
    bool unreadable;         /* VERIFY because qpdf could not read its own output */
    char detail[256];        /* why, for a status other than OK; first warning otherwise */
};

#define MG_PDF_DEFAULT_MAX_OBJECTS 1000000u

/* Disarms data[len] into out. Returns res->status. */
enum mg_pdf_status mg_pdf_disarm(const uint8_t *data, size_t len,
                                 const struct mg_pdf_opts *opts,
                                 const struct mg_pdf_hooks *hooks,
                                 struct mg_sink *out, struct mg_pdf_result *res);

/* Count-only walk over a PDF: how many things mg_pdf_disarm would remove
 * (what the verification pass runs on the output). Returns SIZE_MAX when the
 * file cannot be read. */
size_t mg_pdf_count_active(const uint8_t *data, size_t len, const struct mg_pdf_opts *opts);

#endif
