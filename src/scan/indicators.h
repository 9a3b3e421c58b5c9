/* Active-content indicators: a data file (indicators.txt, one pattern a line
 * with class and severity) compiled into one scanner. "must-not-survive"
 * indicators found in a sanitizer's output block it (verify-failed). */
#ifndef MG_SCAN_INDICATORS_H
#define MG_SCAN_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan/scanner.h"

enum mg_ind_severity { MG_IND_INFO = 0, MG_IND_SUSPICIOUS, MG_IND_MUST_NOT_SURVIVE };

struct mg_indicator {
    char *name;        /* e.g. "pdf-javascript" */
    char *klass;       /* e.g. "pdf", "vba", "rtf", "html", "exe" */
    enum mg_ind_severity severity;
};

struct mg_indicator_set;

struct mg_ind_hits {
    uint32_t count;            /* distinct indicators hit (exact up to 64, then a lower bound) */
    uint32_t ids[64];          /* first 64 distinct ids */
    bool must_not_survive;     /* any hit has that severity (in any class) */
    uint64_t mns_classes;      /* bit per class index of must-not-survive hits, exact */
    uint64_t events;           /* all matches, repeats included */
};

/* Parses the indicator file text (see indicators.txt for the format). */
struct mg_indicator_set *mg_indicators_parse(const char *text, size_t len, char *errbuf, size_t errlen);
/* The set built into the binary. */
struct mg_indicator_set *mg_indicators_default(char *errbuf, size_t errlen);
void mg_indicators_free(struct mg_indicator_set *set);
size_t mg_indicators_count(const struct mg_indicator_set *set);
const struct mg_indicator *mg_indicators_get(const struct mg_indicator_set *set, uint32_t id);
void mg_indicators_scan(const struct mg_indicator_set *set, const uint8_t *data, size_t len,
                        struct mg_ind_hits *hits);

/* ---- Extensions ---- */
void mg_ind_hits_init(struct mg_ind_hits *hits);
/* Does a must-not-survive indicator hit count for an output of type class
 * out_class ("pdf", "text", ... as in type.h; NULL = any class)? That is:
 * its class list names out_class or "any". The engine calls this on the
 * hits of a sanitizer's output and blocks it (verify-failed) when true. */
bool mg_ind_hits_blocks(const struct mg_indicator_set *set, const struct mg_ind_hits *hits,
                        const char *out_class);
/* Is out_class in the indicator's class list (or is the list "any")? */
bool mg_indicator_in_class(const struct mg_indicator *ind, const char *out_class);
const char *mg_ind_severity_name(enum mg_ind_severity sev);   /* "must-not-survive" */

/* Streaming: feed decoded bytes as they come; hits accumulate in *hits
 * (initialised by mg_ind_stream_new). */
struct mg_ind_stream;
struct mg_ind_stream *mg_ind_stream_new(const struct mg_indicator_set *set, struct mg_ind_hits *hits);
void mg_ind_stream_feed(struct mg_ind_stream *st, const uint8_t *data, size_t len);
void mg_ind_stream_free(struct mg_ind_stream *st);

/* The compiled scanner (pattern ids are indicator ids), for benchmarks. */
const struct mg_scanner *mg_indicators_scanner(const struct mg_indicator_set *set);
/* The patterns behind the scanner (after pdfname expansion). */
size_t mg_indicators_patterns(const struct mg_indicator_set *set, const struct mg_pattern **pats);

#endif
