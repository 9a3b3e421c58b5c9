/* Active-content indicators: a data file (indicators.txt, one pattern a line
 * with class and severity) compiled into one scanner. "must-not-survive"
 * indicators found in a sanitizer's output block it (verify-failed). */
#ifndef MG_SCAN_INDICATORS_H
#define MG_SCAN_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_ind_severity { MG_IND_INFO = 0, MG_IND_SUSPICIOUS, MG_IND_MUST_NOT_SURVIVE };

struct mg_indicator {
    char *name;        /* e.g. "pdf-javascript" */
    char *klass;       /* e.g. "pdf", "vba", "rtf", "html", "exe" */
    enum mg_ind_severity severity;
};

struct mg_indicator_set;

struct mg_ind_hits {
    uint32_t count;            /* distinct indicators hit */
    uint32_t ids[64];          /* first 64 distinct ids */
    bool must_not_survive;     /* any hit has that severity */
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

#endif
