/* Indicator set: parses indicators.txt (format documented at its top) into
 * one compiled scanner whose pattern ids are indicator ids. */
#include "scan/indicators.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

extern const char mg_indicators_text[];
extern const size_t mg_indicators_text_len;

#define MAX_CLASSES 64

struct mg_indicator_set {
    struct mg_indicator *inds;
    uint64_t *class_bits;          /* per indicator: its classes as bits */
    size_t n, cap;
    char *classes[MAX_CLASSES];    /* class index -> name */
    size_t nclasses;
    struct mg_pattern *pats;
    uint8_t *store;                /* pattern bytes, MG_PATTERN_MAX_LEN each */
    size_t npats, patcap;
    struct mg_scanner *scanner;
};

struct mg_ind_stream {
    const struct mg_indicator_set *set;
    struct mg_ind_hits *hits;
    struct mg_scan_stream *st;
};

static const char *const sev_names[] = { "info", "suspicious", "must-not-survive" };

const char *mg_ind_severity_name(enum mg_ind_severity sev)
{
    return (unsigned)sev < 3 ? sev_names[sev] : "?";
}

static void fail(char *errbuf, size_t errlen, size_t line, const char *msg)
{
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "indicators line %zu: %s", line, msg);
}

static int class_index(struct mg_indicator_set *set, const char *name, size_t len)
{
    for (size_t i = 0; i < set->nclasses; i++)
        if (strlen(set->classes[i]) == len && memcmp(set->classes[i], name, len) == 0)
            return (int)i;
    if (set->nclasses == MAX_CLASSES)
        return -1;
    set->classes[set->nclasses] = strndup(name, len);
    if (!set->classes[set->nclasses])
        return -1;
    return (int)set->nclasses++;
}

/* Reads the next blank-separated token; false at end of line. */
static bool token(const char **p, const char *end, const char **tok, size_t *tlen)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *t = s;
    while (s < end && *s != ' ' && *s != '\t')
        s++;
    *tok = t;
    *tlen = (size_t)(s - t);
    *p = s;
    return *tlen > 0;
}

static bool all_of(const char *s, size_t n, const char *allowed)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(allowed, s[i]) || s[i] == 0)
            return false;
    return n > 0;
}

/* Parses "..." with \\ \" \xNN into out; returns length or -1. */
static int parse_quoted(const char *p, const char *end, uint8_t *out, size_t cap)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p != '"')
        return -1;
    p++;
    size_t n = 0;
    while (p < end && *p != '"') {
        uint8_t c = (uint8_t)*p++;
        if (c == '\\') {
            if (p >= end)
                return -1;
            char e = *p++;
            if (e == '\\' || e == '"') {
                c = (uint8_t)e;
            } else if (e == 'x' && end - p >= 2 && g_ascii_xdigit_value(p[0]) >= 0 && g_ascii_xdigit_value(p[1]) >= 0) {
                c = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
                p += 2;
            } else {
                return -1;
            }
        }
        if (n == cap)
            return -1;
        out[n++] = c;
    }
    if (p >= end)
        return -1;
    p++;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p == end && n > 0 ? (int)n : -1;
}

static bool add_pattern(struct mg_indicator_set *set, const uint8_t *b, size_t len, bool nocase, uint32_t id)
{
    if (set->npats == set->patcap) {
        size_t cap = set->patcap ? set->patcap * 2 : 256;
        struct mg_pattern *np = realloc(set->pats, cap * sizeof *np);
        if (!np)
            return false;
        set->pats = np;
        uint8_t *ns = realloc(set->store, cap * MG_PATTERN_MAX_LEN);
        if (!ns)
            return false;
        set->store = ns;
        set->patcap = cap;
    }
    memcpy(set->store + set->npats * MG_PATTERN_MAX_LEN, b, len);
    /* bytes pointers are fixed up after the last realloc (build_scanner) */
    set->pats[set->npats++] = (struct mg_pattern){ NULL, len, nocase, id };
    return true;
}

/* The name itself plus each spelling with one character (after the slash)
 * written as #xx, lower- and upper-case hex. */
static bool add_pdfname(struct mg_indicator_set *set, const uint8_t *b, size_t len, uint32_t id)
{
    if (!add_pattern(set, b, len, false, id))
        return false;
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    for (size_t i = 1; i < len; i++) {
        for (int hc = 0; hc < 2; hc++) {
            const char *hx = hc ? up : lo;
            if (hc && hx[b[i] >> 4] == lo[b[i] >> 4] && hx[b[i] & 15] == lo[b[i] & 15])
                continue;   /* digits only: same spelling twice */
            uint8_t v[MG_PATTERN_MAX_LEN];
            if (len + 2 > MG_PATTERN_MAX_LEN)
                return false;
            memcpy(v, b, i);
            v[i] = '#';
            v[i + 1] = (uint8_t)hx[b[i] >> 4];
            v[i + 2] = (uint8_t)hx[b[i] & 15];
            memcpy(v + i + 3, b + i + 1, len - i - 1);
            if (!add_pattern(set, v, len + 2, false, id))
                return false;
        }
    }
    return true;
}

static int find_or_add_indicator(struct mg_indicator_set *set, const char *name, size_t nlen,
                                 const char *cls, size_t clen, enum mg_ind_severity sev,
                                 size_t line, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < set->n; i++) {
        struct mg_indicator *in = &set->inds[i];
        if (strlen(in->name) == nlen && memcmp(in->name, name, nlen) == 0) {
            if (strlen(in->klass) != clen || memcmp(in->klass, cls, clen) != 0 || in->severity != sev) {
                fail(errbuf, errlen, line, "same name with another class or severity");
                return -1;
            }
            return (int)i;
        }
    }
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        struct mg_indicator *ni = realloc(set->inds, cap * sizeof *ni);
        if (!ni)
            goto oom;
        set->inds = ni;
        uint64_t *nb = realloc(set->class_bits, cap * sizeof *nb);
        if (!nb)
            goto oom;
        set->class_bits = nb;
        set->cap = cap;
    }
    uint64_t bits = 0;
    for (const char *c = cls, *end = cls + clen; c < end;) {
        const char *comma = memchr(c, ',', (size_t)(end - c));
        size_t l = (size_t)((comma ? comma : end) - c);
        int ci = l ? class_index(set, c, l) : -1;
        if (ci < 0) {
            fail(errbuf, errlen, line, "bad class list (or more than 64 classes)");
            return -1;
        }
        bits |= 1ull << ci;
        c += l + 1;
    }
    struct mg_indicator *in = &set->inds[set->n];
    in->name = strndup(name, nlen);
    in->klass = strndup(cls, clen);
    in->severity = sev;
    if (!in->name || !in->klass) {
        free(in->name);
        free(in->klass);
        goto oom;
    }
    set->class_bits[set->n] = bits;
    return (int)set->n++;
oom:
    fail(errbuf, errlen, line, "out of memory");
    return -1;
}

static bool parse_line(struct mg_indicator_set *set, const char *p, const char *end, size_t line,
                       char *errbuf, size_t errlen)
{
    const char *name, *cls, *sev, *flag;
    size_t nl, cl, sl, fl;
    if (!token(&p, end, &name, &nl) || !token(&p, end, &cls, &cl) || !token(&p, end, &sev, &sl)
        || !token(&p, end, &flag, &fl)) {
        fail(errbuf, errlen, line, "expected: name class severity flag \"pattern\"");
        return false;
    }
    if (!all_of(name, nl, "abcdefghijklmnopqrstuvwxyz0123456789-")) {
        fail(errbuf, errlen, line, "bad name");
        return false;
    }
    if (!all_of(cls, cl, "abcdefghijklmnopqrstuvwxyz0123456789,")) {
        fail(errbuf, errlen, line, "bad class");
        return false;
    }
    int s = -1;
    for (int i = 0; i < 3; i++)
        if (strlen(sev_names[i]) == sl && memcmp(sev_names[i], sev, sl) == 0)
            s = i;
    if (s < 0) {
        fail(errbuf, errlen, line, "severity must be info, suspicious or must-not-survive");
        return false;
    }
    int f = fl == 6 && memcmp(flag, "nocase", 6) == 0 ? 0
          : fl == 5 && memcmp(flag, "exact", 5) == 0 ? 1
          : fl == 7 && memcmp(flag, "pdfname", 7) == 0 ? 2 : -1;
    if (f < 0) {
        fail(errbuf, errlen, line, "flag must be nocase, exact or pdfname");
        return false;
    }
    uint8_t pat[MG_PATTERN_MAX_LEN];
    int plen = parse_quoted(p, end, pat, sizeof pat);
    if (plen < 0 || (f == 2 && plen + 2 > MG_PATTERN_MAX_LEN)) {
        fail(errbuf, errlen, line, "pattern must be one quoted string of 1..64 bytes");
        return false;
    }
    int id = find_or_add_indicator(set, name, nl, cls, cl, (enum mg_ind_severity)s, line, errbuf, errlen);
    if (id < 0)
        return false;
    bool ok = f == 2 ? add_pdfname(set, pat, (size_t)plen, (uint32_t)id)
                     : add_pattern(set, pat, (size_t)plen, f == 0, (uint32_t)id);
    if (!ok)
        fail(errbuf, errlen, line, "out of memory");
    return ok;
}

struct mg_indicator_set *mg_indicators_parse(const char *text, size_t len, char *errbuf, size_t errlen)
{
    struct mg_indicator_set *set = calloc(1, sizeof *set);
    if (!set) {
        fail(errbuf, errlen, 0, "out of memory");
        return NULL;
    }
    size_t line = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < le && *q != '#' && !parse_line(set, q, le, line, errbuf, errlen)) {
            mg_indicators_free(set);
            return NULL;
        }
        p = nl ? nl + 1 : end;
    }
    if (set->npats == 0) {
        fail(errbuf, errlen, line, "no indicators");
        mg_indicators_free(set);
        return NULL;
    }
    for (size_t i = 0; i < set->npats; i++)
        set->pats[i].bytes = set->store + i * MG_PATTERN_MAX_LEN;
    set->scanner = mg_scanner_compile(set->pats, set->npats, errbuf, errlen);
    if (!set->scanner) {
        mg_indicators_free(set);
        return NULL;
    }
    return set;
}

struct mg_indicator_set *mg_indicators_default(char *errbuf, size_t errlen)
{
    return mg_indicators_parse(mg_indicators_text, mg_indicators_text_len, errbuf, errlen);
}

void mg_indicators_free(struct mg_indicator_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        free(set->inds[i].name);
        free(set->inds[i].klass);
    }
    for (size_t i = 0; i < set->nclasses; i++)
        free(set->classes[i]);
    free(set->inds);
    free(set->class_bits);
    free(set->pats);
    free(set->store);
    mg_scanner_free(set->scanner);
    free(set);
}

size_t mg_indicators_count(const struct mg_indicator_set *set)
{
    return set->n;
}

const struct mg_indicator *mg_indicators_get(const struct mg_indicator_set *set, uint32_t id)
{
    return id < set->n ? &set->inds[id] : NULL;
}

const struct mg_scanner *mg_indicators_scanner(const struct mg_indicator_set *set)
{
    return set->scanner;
}

size_t mg_indicators_patterns(const struct mg_indicator_set *set, const struct mg_pattern **pats)
{
    *pats = set->pats;
    return set->npats;
}

void mg_ind_hits_init(struct mg_ind_hits *hits)
{
    memset(hits, 0, sizeof *hits);
}

struct hit_ctx {
    const struct mg_indicator_set *set;
    struct mg_ind_hits *hits;
};

static int on_hit(uint32_t id, uint64_t end, void *ud)
{
    (void)end;
    struct hit_ctx *c = ud;
    struct mg_ind_hits *h = c->hits;
    h->events++;
    if (id >= c->set->n)
        return 0;
    if (c->set->inds[id].severity == MG_IND_MUST_NOT_SURVIVE) {
        h->must_not_survive = true;
        h->mns_classes |= c->set->class_bits[id];
    }
    uint32_t shown = h->count < 64 ? h->count : 64;
    for (uint32_t i = 0; i < shown; i++)
        if (h->ids[i] == id)
            return 0;
    if (h->count < 64)
        h->ids[h->count++] = id;
    return 0;
}

void mg_indicators_scan(const struct mg_indicator_set *set, const uint8_t *data, size_t len,
                        struct mg_ind_hits *hits)
{
    struct hit_ctx c = { set, hits };
    mg_ind_hits_init(hits);
    mg_scanner_block(set->scanner, data, len, on_hit, &c);
}


struct mg_ind_stream *mg_ind_stream_new(const struct mg_indicator_set *set, struct mg_ind_hits *hits)
{
    struct mg_ind_stream *st = calloc(1, sizeof *st + sizeof(struct hit_ctx));
    if (!st)
        return NULL;
    struct hit_ctx *c = (struct hit_ctx *)(st + 1);
    c->set = set;
    c->hits = hits;
    st->set = set;
    st->hits = hits;
    mg_ind_hits_init(hits);
    st->st = mg_scan_stream_new(set->scanner, on_hit, c);
    if (!st->st) {
        free(st);
        return NULL;
    }
    return st;
}

void mg_ind_stream_feed(struct mg_ind_stream *st, const uint8_t *data, size_t len)
{
    mg_scan_feed(st->st, data, len);
}

void mg_ind_stream_free(struct mg_ind_stream *st)
{
    if (!st)
        return;
    mg_scan_stream_free(st->st);
    free(st);
}

static int find_class(const struct mg_indicator_set *set, const char *name)
{
    for (size_t i = 0; i < set->nclasses; i++)
        if (strcmp(set->classes[i], name) == 0)
            return (int)i;
    return -1;
}

bool mg_ind_hits_blocks(const struct mg_indicator_set *set, const struct mg_ind_hits *hits,
                        const char *out_class)
{
    if (!out_class)
        return hits->must_not_survive;
    uint64_t want = 0;
    int c = find_class(set, out_class), a = find_class(set, "any");
    if (c >= 0)
        want |= 1ull << c;
    if (a >= 0)
        want |= 1ull << a;
    return (hits->mns_classes & want) != 0;
}

bool mg_indicator_in_class(const struct mg_indicator *ind, const char *out_class)
{
    size_t ol = strlen(out_class);
    for (const char *c = ind->klass; *c;) {
        const char *comma = strchr(c, ',');
        size_t l = comma ? (size_t)(comma - c) : strlen(c);
        if ((l == ol && memcmp(c, out_class, l) == 0) || (l == 3 && memcmp(c, "any", 3) == 0))
            return true;
        c += l + (comma ? 1 : 0);
    }
    return false;
}
