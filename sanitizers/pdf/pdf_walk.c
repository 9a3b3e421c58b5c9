#include "sanitizers/pdf/pdf_walk.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "sanitizers/pdf/pdf_objects.h"
#include "sanitizers/pdf/pdf_rules.h"

/* Direct nesting inside one object; qpdf's own parser stops at 500. */
#define WALK_MAX_DEPTH 64
#define WALK_TIME_EVERY 64
#define LABEL_LEN 64
#define NAME_LEN 128

struct work {
    int id, gen;
    char label[LABEL_LEN];
};

struct walk {
    qpdf_data q;
    const struct mg_pdf_opts *opts;
    const struct mg_pdf_hooks *hooks;
    bool dry;
    size_t found;
    size_t urls;                 /* links defanged or removed (one record at the end) */
    uint64_t max_objects;
    GHashTable *seen;            /* (id << 32 | gen) of objects walked */
    struct work *stack;          /* objects to walk, depth first */
    size_t n, cap;
    struct work *later;          /* back links (/Parent, /P), walked after the stack */
    size_t nl, capl;
    size_t steps;
    bool sweeping;               /* walking objects nothing reachable refers to */
    size_t orphan_hits;          /* findings in those (reported once, summed) */
    enum mg_pdf_status stop;
    char *detail;
    size_t detail_len;
};

static void walk_value(struct walk *w, qpdf_oh oh, const char *label, unsigned depth);

static void fail(struct walk *w, enum mg_pdf_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct walk *w, enum mg_pdf_status st, const char *fmt, ...)
{
    if (w->stop != MG_PDF_OK)
        return;
    w->stop = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->detail, w->detail_len, fmt, ap);
    va_end(ap);
}

static void note(struct walk *w, enum mg_action a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct walk *w, enum mg_action a, const char *fmt, ...)
{
    w->found++;
    /* Objects met only by the sweep are not written out at all; one summary
     * record for them says more than one line per dropped object. */
    if (w->sweeping)
        w->orphan_hits++;
    if (w->sweeping || w->dry || w->hooks == NULL || w->hooks->action == NULL)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    w->hooks->action(w->hooks->ctx, a, buf);
}

/* qpdf records errors from calls that cannot return one; any such error
 * means we do not understand the file and it is blocked. */
static bool check_error(struct walk *w)
{
    if (!qpdf_has_error(w->q))
        return true;
    qpdf_error e = qpdf_get_error(w->q);
    const char *msg = e != NULL ? qpdf_get_error_full_text(w->q, e) : NULL;
    fail(w, MG_PDF_MALFORMED, "%s", msg != NULL ? msg : "qpdf error");
    return false;
}

/* Copies the name value of dict[key] (with its slash) into buf; "" if absent. */
static bool dict_name(struct walk *w, qpdf_oh d, const char *key, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!qpdf_oh_has_key(w->q, d, key))
        return false;
    qpdf_oh v = qpdf_oh_get_key(w->q, d, key);
    bool ok = false;
    if (qpdf_oh_is_name(w->q, v)) {
        const char *s = qpdf_oh_get_name(w->q, v);
        if (s != NULL && strlen(s) < len) {
            memcpy(buf, s, strlen(s) + 1);
            ok = true;
        }
    }
    qpdf_oh_release(w->q, v);
    return ok;
}

/* The keys of a dictionary, copied: qpdf allows one key iteration at a time
 * and the walk recurses. */
static GPtrArray *dict_keys(struct walk *w, qpdf_oh d)
{
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    qpdf_oh_begin_dict_key_iter(w->q, d);
    while (qpdf_oh_dict_more_keys(w->q)) {
        const char *k = qpdf_oh_dict_next_key(w->q);
        if (k != NULL)
            g_ptr_array_add(keys, g_strdup(k));
    }
    return keys;
}

/* Dictionary of a stream, or the dictionary itself; 0 for anything else.
 * The caller releases the returned handle. */
static qpdf_oh as_dict(struct walk *w, qpdf_oh oh, bool *is_stream)
{
    *is_stream = false;
    if (qpdf_oh_is_stream(w->q, oh)) {
        *is_stream = true;
        return qpdf_oh_get_dict(w->q, oh);
    }
    if (qpdf_oh_is_dictionary(w->q, oh))
        return qpdf_oh_new_object(w->q, oh);
    return 0;
}

/* Empties a dictionary (and a stream's data) that must not survive where it
 * is still referenced; unreferenced ones are also dropped on write. */
static void neutralize(struct walk *w, qpdf_oh oh)
{
    if (w->dry)
        return;
    bool is_stream;
    qpdf_oh d = as_dict(w, oh, &is_stream);
    if (d == 0)
        return;
    GPtrArray *keys = dict_keys(w, d);
    for (guint i = 0; i < keys->len; i++)
        qpdf_oh_remove_key(w->q, d, g_ptr_array_index(keys, i));
    g_ptr_array_free(keys, TRUE);
    if (is_stream) {
        qpdf_oh null = qpdf_oh_new_null(w->q);
        qpdf_oh_replace_stream_data(w->q, oh, (const unsigned char *)"", 0, null, null);
        qpdf_oh_release(w->q, null);
    }
    qpdf_oh_release(w->q, d);
}

static void remove_key(struct walk *w, qpdf_oh d, const char *key)
{
    if (!w->dry)
        qpdf_oh_remove_key(w->q, d, key);
}

static void push_to(struct walk *w, bool later, int id, int gen, const char *label)
{
    if (id <= 0 || gen < 0 || w->stop != MG_PDF_OK)
        return;
    gint64 key = ((gint64)id << 32) | (guint32)gen;
    if (g_hash_table_contains(w->seen, &key))
        return;
    struct work **list = later ? &w->later : &w->stack;
    size_t *n = later ? &w->nl : &w->n;
    size_t *capp = later ? &w->capl : &w->cap;
    if (*n == *capp) {
        if (*capp >= w->max_objects) {
            fail(w, MG_PDF_TOO_MANY, "more than %llu pending objects",
                 (unsigned long long)w->max_objects);
            return;
        }
        size_t cap = *capp ? *capp * 2 : 256;
        *list = g_renew(struct work, *list, cap);
        *capp = cap;
    }
    struct work *t = &(*list)[(*n)++];
    t->id = id;
    t->gen = gen;
    g_strlcpy(t->label, label, sizeof(t->label));
}

static void push(struct walk *w, int id, int gen, const char *label)
{
    push_to(w, false, id, gen, label);
}

static void push_oh(struct walk *w, qpdf_oh oh, const char *label)
{
    push(w, qpdf_oh_get_object_id(w->q, oh), qpdf_oh_get_generation(w->q, oh), label);
}

/* The action in an action slot, classified; *s gets its /S. Anything that is
 * not a dictionary in an action slot is not understood, hence BAD. */
static enum mg_pdf_act classify(struct walk *w, qpdf_oh a, char *s, size_t slen,
                                enum mg_action *kind)
{
    s[0] = '\0';
    *kind = MG_A_ACTION_REMOVED;
    if (!qpdf_oh_is_dictionary(w->q, a))
        return MG_PDF_ACT_BAD;
    dict_name(w, a, "/S", s, slen);
    enum mg_pdf_act c = mg_pdf_action_class(s[0] ? s : NULL, kind);
    if (c == MG_PDF_ACT_URI && qpdf_oh_has_key(w->q, a, "/URI")) {
        qpdf_oh u = qpdf_oh_get_key(w->q, a, "/URI");
        size_t len = 0;
        const char *str = qpdf_oh_is_string(w->q, u)
            ? qpdf_oh_get_binary_string_value(w->q, u, &len) : NULL;
        if (str == NULL) {
            c = MG_PDF_ACT_BAD;
        } else if (mg_pdf_uri_is_script(str, len)) {
            c = MG_PDF_ACT_BAD;
            *kind = MG_A_JAVASCRIPT_REMOVED;
        } else if (!mg_pdf_uri_is_web(str, len)) {
            c = MG_PDF_ACT_BAD;
            *kind = MG_A_EXTERNAL_REMOVED;
        }
        qpdf_oh_release(w->q, u);
    }
    /* A Thread action pointing into another file (/F) is an external jump. */
    if (c == MG_PDF_ACT_SAFE && strcmp(s, "/Thread") == 0 && qpdf_oh_has_key(w->q, a, "/F")) {
        c = MG_PDF_ACT_BAD;
        *kind = MG_A_EXTERNAL_REMOVED;
    }
    return c;
}

static bool is_empty_dict(struct walk *w, qpdf_oh a)
{
    if (!qpdf_oh_is_dictionary(w->q, a))
        return false;
    qpdf_oh_begin_dict_key_iter(w->q, a);
    return !qpdf_oh_dict_more_keys(w->q);
}

/* Is this value in an /A or /Next slot an action? /A also names structure
 * attributes and /Next outline siblings, so only dictionaries with /S (or
 * typed /Action) are; arrays of them in /Next. */
static bool looks_like_action(struct walk *w, qpdf_oh v)
{
    if (!qpdf_oh_is_dictionary(w->q, v))
        return false;
    char type[NAME_LEN];
    dict_name(w, v, "/Type", type, sizeof(type));
    return qpdf_oh_has_key(w->q, v, "/S") || strcmp(type, "/Action") == 0;
}

/* Raw (still encoded) data of a stream whose only filter, if any, is
 * /FlateDecode; NULL for other filters. free() the result. */
static unsigned char *flate_raw(struct walk *w, qpdf_oh stream, qpdf_oh d, bool *flate,
                                size_t *len)
{
    char filter[NAME_LEN];
    *flate = dict_name(w, d, "/Filter", filter, sizeof(filter)) &&
             strcmp(filter, "/FlateDecode") == 0;
    bool plain = !qpdf_oh_has_key(w->q, d, "/Filter");
    if ((!*flate && !plain) || qpdf_oh_has_key(w->q, d, "/DecodeParms"))
        return NULL;
    unsigned char *raw = NULL;
    QPDF_BOOL filtered = QPDF_FALSE;
    if (qpdf_oh_get_stream_data(w->q, stream, qpdf_dl_none, &filtered, &raw, len) != QPDF_SUCCESS) {
        free(raw);
        (void)qpdf_get_error(w->q);         /* a bad stream is not our verdict here */
        return NULL;
    }
    return raw;
}

/* An object stream: queue the objects it holds, so the sweep also reaches
 * the ones nothing refers to. Only the header is inflated (at most /First
 * bytes), so a compression bomb costs nothing. */
static void queue_objstm(struct walk *w, qpdf_oh stream, qpdf_oh d)
{
    qpdf_oh n_oh = qpdf_oh_get_key(w->q, d, "/N");
    qpdf_oh f_oh = qpdf_oh_get_key(w->q, d, "/First");
    long long n = qpdf_oh_is_integer(w->q, n_oh) ? qpdf_oh_get_int_value(w->q, n_oh) : 0;
    long long first = qpdf_oh_is_integer(w->q, f_oh) ? qpdf_oh_get_int_value(w->q, f_oh) : 0;
    qpdf_oh_release(w->q, n_oh);
    qpdf_oh_release(w->q, f_oh);
    if (n <= 0 || first <= 0 || first > (16 << 20) || (uint64_t)n > w->max_objects)
        return;
    bool flate = false;
    size_t rawlen = 0;
    unsigned char *raw = flate_raw(w, stream, d, &flate, &rawlen);
    if (raw == NULL)
        return;
    const uint8_t *hdr = raw;
    size_t hlen = rawlen < (size_t)first ? rawlen : (size_t)first;
    uint8_t *dec = NULL;
    if (flate) {
        dec = mg_pdf_inflate(raw, rawlen, (size_t)first, true, &hlen);
        hdr = dec;
    }
    if (hdr != NULL) {
        int *ids = g_new(int, (size_t)n);
        size_t got = mg_pdf_objstm_ids(hdr, hlen, (size_t)n, ids, (size_t)n);
        for (size_t i = 0; i < got; i++) {
            char label[LABEL_LEN];
            snprintf(label, sizeof(label), "object %d", ids[i]);
            push_to(w, true, ids[i], 0, label);
        }
        g_free(ids);
    }
    g_free(dec);
    free(raw);
}

static const char *bare(const char *name)
{
    return name[0] == '/' ? name + 1 : (name[0] ? name : "?");
}

/* Rewrites or removes a URI action in place per policy. */
static void uri_policy(struct walk *w, qpdf_oh a)
{
    if (w->dry || w->opts->uri == MG_URLS_KEEP)
        return;
    if (w->opts->uri == MG_URLS_REMOVE) {
        neutralize(w, a);
        w->urls++;
        return;
    }
    qpdf_oh u = qpdf_oh_get_key(w->q, a, "/URI");
    size_t len = 0;
    const char *str = qpdf_oh_is_string(w->q, u)
        ? qpdf_oh_get_binary_string_value(w->q, u, &len) : NULL;
    if (str != NULL && len < 65536) {
        size_t cap = 3 * len + 16;
        char *in = g_memdup2(str, len);
        char *out = g_malloc(cap);
        size_t n = mg_pdf_uri_defang(in, len, out, cap);
        if (n > 0 && (n != len || memcmp(in, out, n) != 0)) {
            qpdf_oh s = qpdf_oh_new_binary_string(w->q, out, n);
            qpdf_oh_replace_key(w->q, a, "/URI", s);
            qpdf_oh_release(w->q, s);
            w->urls++;
        }
        g_free(out);
        g_free(in);
    }
    qpdf_oh_release(w->q, u);
}

/* Extract mode: the first embedded stream of a file specification, decoded
 * within the size cap, goes to hooks->embedded. */
static void extract_file(struct walk *w, qpdf_oh fs, qpdf_oh ef, const char *label)
{
    char name[256] = "";
    const char *keys[] = { "/UF", "/F" };
    for (size_t i = 0; i < 2 && name[0] == '\0'; i++) {
        qpdf_oh v = qpdf_oh_get_key(w->q, fs, keys[i]);
        if (qpdf_oh_is_string(w->q, v)) {
            const char *s = qpdf_oh_get_utf8_value(w->q, v);
            if (s != NULL)
                g_strlcpy(name, s, sizeof(name));
        }
        qpdf_oh_release(w->q, v);
    }
    if (name[0] == '\0')
        g_strlcpy(name, "attachment", sizeof(name));
    qpdf_oh s = qpdf_oh_get_key(w->q, ef, "/F");
    if (!qpdf_oh_is_stream(w->q, s)) {
        qpdf_oh_release(w->q, s);
        s = qpdf_oh_get_key(w->q, ef, "/UF");
    }
    bool done = false;
    if (qpdf_oh_is_stream(w->q, s)) {
        qpdf_oh d = qpdf_oh_get_dict(w->q, s);
        bool flate = false;
        size_t rawlen = 0;
        unsigned char *raw = flate_raw(w, s, d, &flate, &rawlen);
        uint64_t cap = w->opts->max_extract ? w->opts->max_extract : SIZE_MAX - 1;
        if (cap > SIZE_MAX - 1)
            cap = SIZE_MAX - 1;
        if (raw != NULL && !flate && rawlen <= cap) {
            done = w->hooks->embedded(w->hooks->ctx, name, raw, rawlen);
        } else if (raw != NULL && flate) {
            size_t outlen = 0;
            uint8_t *dec = mg_pdf_inflate(raw, rawlen, (size_t)cap, false, &outlen);
            if (dec != NULL) {
                done = w->hooks->embedded(w->hooks->ctx, name, dec, outlen);
                g_free(dec);
            }
        }
        free(raw);
        qpdf_oh_release(w->q, d);
    }
    qpdf_oh_release(w->q, s);
    note(w, MG_A_ATTACHMENT_REMOVED, "%s: %s%s", label, name,
         done ? " (extracted)" : "");
}

/* Removes /EF (embedded streams) from a file specification. */
static void drop_embedded(struct walk *w, qpdf_oh d, const char *label)
{
    qpdf_oh ef = qpdf_oh_get_key(w->q, d, "/EF");
    if (!w->dry && !w->sweeping && w->opts->extract_files && w->hooks != NULL && w->hooks->embedded != NULL &&
        qpdf_oh_is_dictionary(w->q, ef)) {
        extract_file(w, d, ef, label);
    } else {
        char name[256] = "";
        qpdf_oh v = qpdf_oh_get_key(w->q, d, "/UF");
        if (!qpdf_oh_is_string(w->q, v)) {
            qpdf_oh_release(w->q, v);
            v = qpdf_oh_get_key(w->q, d, "/F");
        }
        if (qpdf_oh_is_string(w->q, v)) {
            const char *s = qpdf_oh_get_utf8_value(w->q, v);
            if (s != NULL)
                g_strlcpy(name, s, sizeof(name));
        }
        qpdf_oh_release(w->q, v);
        note(w, MG_A_ATTACHMENT_REMOVED, "%s: %s", label, name[0] ? name : "/EF");
    }
    /* Empty the streams too, so that the sweep does not count them twice and
     * nothing that still points at them keeps the bytes. */
    if (qpdf_oh_is_dictionary(w->q, ef)) {
        GPtrArray *keys = dict_keys(w, ef);
        for (guint i = 0; i < keys->len; i++) {
            qpdf_oh s = qpdf_oh_get_key(w->q, ef, g_ptr_array_index(keys, i));
            if (qpdf_oh_is_stream(w->q, s))
                neutralize(w, s);
            qpdf_oh_release(w->q, s);
        }
        g_ptr_array_free(keys, TRUE);
    }
    qpdf_oh_release(w->q, ef);
    remove_key(w, d, "/EF");
}

/* An action slot allowing only in-document jumps (/OpenAction, /AA entries,
 * /Next). Returns true when the action stays. */
static bool auto_action_ok(struct walk *w, qpdf_oh a, const char *where)
{
    char s[NAME_LEN];
    enum mg_action kind;
    enum mg_pdf_act c = classify(w, a, s, sizeof(s), &kind);
    if (c == MG_PDF_ACT_GOTO)
        return true;
    /* An empty dictionary: an action we already emptied through another
     * referrer (reported there), or one that does nothing. */
    if (is_empty_dict(w, a))
        return false;
    if (c == MG_PDF_ACT_URI || c == MG_PDF_ACT_SAFE)
        kind = MG_A_ACTION_REMOVED;
    note(w, kind, "%s (%s)", where, bare(s));
    neutralize(w, a);
    return false;
}

static bool annot_forbidden(struct walk *w, qpdf_oh a, char *sub, size_t sublen,
                            enum mg_action *kind)
{
    if (!qpdf_oh_is_dictionary(w->q, a))
        return false;
    dict_name(w, a, "/Subtype", sub, sublen);
    return sub[0] != '\0' && mg_pdf_annot_forbidden(sub, kind);
}

/* Multimedia and 3D annotations keep their appearance (the poster or
 * caption the reader shows) as a plain stamp; everything that plays goes. */
static void flatten_annot(struct walk *w, qpdf_oh a)
{
    static const char *const keep[] = {
        "/Type", "/Rect", "/AP", "/AS", "/F", "/Border", "/C", "/NM", "/M", "/Contents", NULL,
    };
    if (w->dry)
        return;
    GPtrArray *keys = dict_keys(w, a);
    for (guint i = 0; i < keys->len; i++) {
        const char *k = g_ptr_array_index(keys, i);
        bool kept = false;
        for (size_t j = 0; keep[j] != NULL && !kept; j++)
            kept = strcmp(keep[j], k) == 0;
        if (!kept)
            qpdf_oh_remove_key(w->q, a, k);
    }
    g_ptr_array_free(keys, TRUE);
    qpdf_oh stamp = qpdf_oh_new_name(w->q, "/Stamp");
    qpdf_oh_replace_key(w->q, a, "/Subtype", stamp);
    qpdf_oh_release(w->q, stamp);
}

static void walk_annots(struct walk *w, qpdf_oh arr, const char *label, unsigned depth)
{
    char child[LABEL_LEN];
    snprintf(child, sizeof(child), "%s annotation", label);
    if (!qpdf_oh_is_array(w->q, arr)) {
        walk_value(w, arr, child, depth);
        return;
    }
    int n = qpdf_oh_get_array_n_items(w->q, arr);
    for (int i = 0; i < n && w->stop == MG_PDF_OK; i++) {
        qpdf_oh a = qpdf_oh_get_array_item(w->q, arr, i);
        char sub[NAME_LEN];
        enum mg_action kind;
        if (annot_forbidden(w, a, sub, sizeof(sub), &kind)) {
            if (qpdf_oh_is_dictionary(w->q, a) && qpdf_oh_has_key(w->q, a, "/FS")) {
                qpdf_oh fs = qpdf_oh_get_key(w->q, a, "/FS");
                if (qpdf_oh_is_dictionary(w->q, fs) && qpdf_oh_has_key(w->q, fs, "/EF"))
                    drop_embedded(w, fs, child);
                qpdf_oh_release(w->q, fs);
            }
            if (strcmp(sub, "/FileAttachment") != 0 && qpdf_oh_has_key(w->q, a, "/AP")) {
                note(w, kind, "%s /%s (its picture kept)", child, bare(sub));
                flatten_annot(w, a);
                walk_value(w, a, child, depth + 1);
            } else {
                note(w, kind, "%s /%s", child, bare(sub));
                neutralize(w, a);
                if (!w->dry) {
                    qpdf_oh_erase_item(w->q, arr, i);
                    i--;
                    n--;
                }
            }
        } else {
            walk_value(w, a, child, depth + 1);
        }
        qpdf_oh_release(w->q, a);
    }
}

static const char *child_label(const char *label, const char *key, char *buf, size_t len)
{
    /* Only the catalog's keys rename; deeper down the label is kept (name
     * tree nodes have /Names too). */
    if (strcmp(label, "document") != 0 &&
        !(strcmp(label, "form") == 0 && strcmp(key, "/Fields") == 0)) {
        g_strlcpy(buf, label, len);
        return buf;
    }
    static const struct { const char *key, *label; } map[] = {
        { "/AcroForm", "form" }, { "/Fields", "form field" }, { "/Names", "Names" },
        { "/Outlines", "outline" }, { "/Dests", "Dests" },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(key, map[i].key) == 0)
            return map[i].label;
    }
    g_strlcpy(buf, label, len);
    return buf;
}

static void walk_key(struct walk *w, qpdf_oh d, const char *key, const char *label,
                     unsigned depth)
{
    enum mg_action kind;
    char where[LABEL_LEN + NAME_LEN];
    if (strcmp(label, "Names") == 0)
        snprintf(where, sizeof(where), "Names/%s", bare(key));
    else
        snprintf(where, sizeof(where), "%s %s", label, key);

    if (strcmp(key, "/EF") == 0) {
        drop_embedded(w, d, label);
        return;
    }
    if (mg_pdf_key_forbidden(key, &kind)) {
        if (strcmp(key, "/EmbeddedFiles") == 0 || strcmp(key, "/AF") == 0) {
            /* Walk the tree first so each file is reported (and extracted). */
            qpdf_oh v = qpdf_oh_get_key(w->q, d, key);
            char buf[LABEL_LEN];
            g_strlcpy(buf, where, sizeof(buf));
            walk_value(w, v, buf, depth + 1);
            qpdf_oh_release(w->q, v);
        }
        note(w, kind, "%s", where);
        remove_key(w, d, key);
        return;
    }

    /* Rebuilding breaks every signature; a reader would show it as invalid
     * (or worse, as a certification the file no longer matches), so the
     * signature values go and the report says so. */
    if (strcmp(key, "/Perms") == 0 && strcmp(label, "document") == 0) {
        note(w, MG_A_SIGNATURE_REMOVED, "document /Perms");
        remove_key(w, d, key);
        return;
    }
    if (strcmp(key, "/V") == 0) {
        char ft[NAME_LEN];
        if (dict_name(w, d, "/FT", ft, sizeof(ft)) && strcmp(ft, "/Sig") == 0) {
            note(w, MG_A_SIGNATURE_REMOVED, "%s /V", label);
            remove_key(w, d, key);
            return;
        }
    }
    if (strcmp(key, "/SigFlags") == 0) {
        remove_key(w, d, key);              /* reported with the signature itself */
        return;
    }

    qpdf_oh v = qpdf_oh_get_key(w->q, d, key);
    if (strcmp(key, "/OpenAction") == 0) {
        if (qpdf_oh_is_array(w->q, v) || auto_action_ok(w, v, where))
            walk_value(w, v, label, depth + 1);
        else
            remove_key(w, d, key);
    } else if (strcmp(key, "/AA") == 0) {
        if (!qpdf_oh_is_dictionary(w->q, v)) {
            note(w, MG_A_ACTION_REMOVED, "%s", where);
            remove_key(w, d, key);
        } else {
            GPtrArray *trig = dict_keys(w, v);
            size_t left = trig->len;
            for (guint i = 0; i < trig->len; i++) {
                const char *t = g_ptr_array_index(trig, i);
                char at[LABEL_LEN + 2 * NAME_LEN];
                snprintf(at, sizeof(at), "%s %s", where, t);
                qpdf_oh a = qpdf_oh_get_key(w->q, v, t);
                if (auto_action_ok(w, a, at)) {
                    walk_value(w, a, label, depth + 2);
                } else {
                    remove_key(w, v, t);
                    left--;
                }
                qpdf_oh_release(w->q, a);
            }
            g_ptr_array_free(trig, TRUE);
            if (left == 0)
                remove_key(w, d, key);
        }
    } else if (strcmp(key, "/Next") == 0 && qpdf_oh_has_key(w->q, d, "/S")) {
        bool ok = true;
        if (qpdf_oh_is_array(w->q, v)) {
            int n = qpdf_oh_get_array_n_items(w->q, v);
            for (int i = 0; i < n; i++) {
                qpdf_oh a = qpdf_oh_get_array_item(w->q, v, i);
                if (!auto_action_ok(w, a, where))
                    ok = false;
                qpdf_oh_release(w->q, a);
            }
        } else {
            ok = auto_action_ok(w, v, where);
        }
        if (ok)
            walk_value(w, v, label, depth + 1);
        else
            remove_key(w, d, key);
    } else if (strcmp(key, "/A") == 0 && looks_like_action(w, v)) {
        char s[NAME_LEN];
        enum mg_pdf_act c = classify(w, v, s, sizeof(s), &kind);
        if (c == MG_PDF_ACT_BAD) {
            note(w, kind, "%s (%s)", where, bare(s));
            neutralize(w, v);
            remove_key(w, d, key);
        } else if (c == MG_PDF_ACT_URI && w->opts->uri == MG_URLS_REMOVE) {
            /* Counted as a finding when verifying: the policy said remove. */
            if (w->dry)
                w->found++;
            neutralize(w, v);
            remove_key(w, d, key);
            w->urls++;
        } else {
            walk_value(w, v, label, depth + 1);
        }
    } else if (strcmp(key, "/Annots") == 0) {
        walk_annots(w, v, label, depth + 1);
    } else if (strcmp(key, "/Parent") == 0 || strcmp(key, "/P") == 0) {
        /* Back links: the parent is usually reached from the top with a
         * better label (page 2 rather than the page tree node's), so these
         * wait until everything reachable from the top has been walked. */
        char buf[LABEL_LEN];
        snprintf(buf, sizeof(buf), "object %d", qpdf_oh_get_object_id(w->q, v));
        if (qpdf_oh_is_indirect(w->q, v))
            push_to(w, true, qpdf_oh_get_object_id(w->q, v), qpdf_oh_get_generation(w->q, v), buf);
        else
            walk_value(w, v, label, depth + 1);
    } else {
        char buf[LABEL_LEN];
        walk_value(w, v, child_label(label, key, buf, sizeof(buf)), depth + 1);
    }
    qpdf_oh_release(w->q, v);
}

static void walk_dict(struct walk *w, qpdf_oh oh, const char *label, unsigned depth)
{
    bool is_stream;
    qpdf_oh d = as_dict(w, oh, &is_stream);
    if (d == 0)
        return;
    char s[NAME_LEN], type[NAME_LEN], sub[NAME_LEN];
    enum mg_action kind;
    dict_name(w, d, "/S", s, sizeof(s));
    dict_name(w, d, "/Type", type, sizeof(type));

    /* Dictionaries met outside an action slot (orphans, odd placements):
     * only types that are dangerous anywhere, since /S also names structure
     * elements, transitions and page labels. */
    if (mg_pdf_action_dangerous(s) ||
        (strcmp(type, "/Action") == 0 && s[0] != '\0' &&
         mg_pdf_action_class(s, &kind) == MG_PDF_ACT_BAD)) {
        mg_pdf_action_class(s, &kind);
        note(w, kind, "%s (%s action)", label, bare(s));
        neutralize(w, oh);
    } else if ((strcmp(type, "/Annot") == 0 || qpdf_oh_has_key(w->q, d, "/Rect")) &&
               annot_forbidden(w, d, sub, sizeof(sub), &kind)) {
        note(w, kind, "%s /%s", label, bare(sub));
        neutralize(w, oh);
    } else if (strcmp(type, "/ObjStm") == 0 && is_stream) {
        queue_objstm(w, oh, d);
    } else if (strcmp(type, "/EmbeddedFile") == 0 && is_stream) {
        note(w, MG_A_ATTACHMENT_REMOVED, "%s (embedded file stream)", label);
        neutralize(w, oh);
    } else {
        if (strcmp(s, "/URI") == 0 && qpdf_oh_has_key(w->q, d, "/URI")) {
            char s2[NAME_LEN];
            if (classify(w, d, s2, sizeof(s2), &kind) == MG_PDF_ACT_BAD) {
                note(w, kind, "%s (URI)", label);
                neutralize(w, oh);
            } else {
                uri_policy(w, d);
            }
        }
        GPtrArray *keys = dict_keys(w, d);
        for (guint i = 0; i < keys->len && w->stop == MG_PDF_OK; i++)
            walk_key(w, d, g_ptr_array_index(keys, i), label, depth);
        g_ptr_array_free(keys, TRUE);
    }
    qpdf_oh_release(w->q, d);
}

static void walk_value(struct walk *w, qpdf_oh oh, const char *label, unsigned depth)
{
    if (w->stop != MG_PDF_OK)
        return;
    if (depth > WALK_MAX_DEPTH) {
        fail(w, MG_PDF_MALFORMED, "objects nested deeper than %d", WALK_MAX_DEPTH);
        return;
    }
    if (depth > 0 && qpdf_oh_is_indirect(w->q, oh)) {
        push_oh(w, oh, label);
        return;
    }
    if (qpdf_oh_is_stream(w->q, oh) || qpdf_oh_is_dictionary(w->q, oh)) {
        walk_dict(w, oh, label, depth);
    } else if (qpdf_oh_is_array(w->q, oh)) {
        int n = qpdf_oh_get_array_n_items(w->q, oh);
        for (int i = 0; i < n && w->stop == MG_PDF_OK; i++) {
            qpdf_oh item = qpdf_oh_get_array_item(w->q, oh, i);
            walk_value(w, item, label, depth + 1);
            qpdf_oh_release(w->q, item);
        }
    }
}

static bool time_ok(struct walk *w)
{
    if (w->hooks == NULL || w->hooks->time_ok == NULL)
        return true;
    if (!w->hooks->time_ok(w->hooks->ctx)) {
        fail(w, MG_PDF_TIME, "time limit");
        return false;
    }
    return true;
}

/* Walks queued objects until none is left. Handles live only while one
 * object is walked (released all at once after it). */
static void drain(struct walk *w)
{
    while (w->n > 0 && w->stop == MG_PDF_OK) {
        struct work t = w->stack[--w->n];
        gint64 key = ((gint64)t.id << 32) | (guint32)t.gen;
        if (g_hash_table_contains(w->seen, &key))
            continue;
        if (g_hash_table_size(w->seen) >= w->max_objects) {
            fail(w, MG_PDF_TOO_MANY, "more than %llu objects", (unsigned long long)w->max_objects);
            return;
        }
        gint64 *k = g_new(gint64, 1);
        *k = key;
        g_hash_table_add(w->seen, k);
        qpdf_oh oh = qpdf_get_object_by_id(w->q, t.id, t.gen);
        walk_value(w, oh, t.label, 0);
        qpdf_oh_release_all(w->q);
        if (!check_error(w))
            return;
        if (++w->steps % WALK_TIME_EVERY == 0 && !time_ok(w))
            return;
    }
}

/* Moves the back links onto the stack and walks them, until none is left. */
static void drain_later(struct walk *w)
{
    while (w->nl > 0 && w->stop == MG_PDF_OK) {
        struct work t = w->later[--w->nl];
        push(w, t.id, t.gen, t.label);
        drain(w);
    }
}

static void walk_pages(struct walk *w)
{
    int n = qpdf_get_num_pages(w->q);
    if (qpdf_has_error(w->q)) {
        /* A broken page tree: the sweep still reaches every page object. */
        (void)qpdf_get_error(w->q);
        return;
    }
    for (int i = n - 1; i >= 0 && w->stop == MG_PDF_OK; i--) {
        qpdf_oh p = qpdf_get_page_n(w->q, (size_t)i);
        char label[LABEL_LEN];
        snprintf(label, sizeof(label), "page %d", i + 1);
        if (qpdf_oh_is_indirect(w->q, p))
            push_oh(w, p, label);
        qpdf_oh_release(w->q, p);
    }
    drain(w);
}

enum mg_pdf_status mg_pdf_walk(qpdf_data q, const uint8_t *data, size_t len,
                               const struct mg_pdf_opts *opts,
                               const struct mg_pdf_hooks *hooks, bool dry,
                               size_t *found, char *detail, size_t detail_len)
{
    struct walk w = {
        .q = q, .opts = opts, .hooks = hooks, .dry = dry,
        .max_objects = opts->max_objects ? opts->max_objects : MG_PDF_DEFAULT_MAX_OBJECTS,
        .seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL),
        .stop = MG_PDF_OK, .detail = detail, .detail_len = detail_len,
    };
    detail[0] = '\0';

    walk_pages(&w);
    if (w.stop == MG_PDF_OK) {
        qpdf_oh root = qpdf_get_root(q);
        if (qpdf_oh_is_indirect(q, root))
            push_oh(&w, root, "document");
        qpdf_oh_release_all(q);
        drain(&w);
    }
    if (w.stop == MG_PDF_OK) {
        qpdf_oh tr = qpdf_get_trailer(q);
        walk_value(&w, tr, "trailer", 0);
        qpdf_oh_release_all(q);
        if (check_error(&w))
            drain(&w);
    }
    drain_later(&w);
    /* The sweep: every object header in the file ("N G obj"), and through
     * them every object stream and the objects it holds. That reaches
     * objects nothing refers to, at a cost bounded by the file's size
     * (a forged /Size of a million costs nothing). */
    w.sweeping = true;
    size_t pos = 0, headers = 0;
    int id, gen;
    while (w.stop == MG_PDF_OK && mg_pdf_next_obj_header(data, len, &pos, &id, &gen)) {
        char label[LABEL_LEN];
        snprintf(label, sizeof(label), "object %d", id);
        push(&w, id, gen, label);
        drain(&w);
        drain_later(&w);
        if (++headers % 1024 == 0)
            time_ok(&w);
    }
    w.sweeping = false;
    if (w.orphan_hits > 0 && !dry && hooks != NULL && hooks->action != NULL) {
        char n[64];
        snprintf(n, sizeof(n), "unreferenced objects (%zu findings)", w.orphan_hits);
        hooks->action(hooks->ctx, MG_A_ITEM_REMOVED, n);
    }
    if (w.urls > 0 && !dry && hooks != NULL && hooks->action != NULL) {
        char n[32];
        snprintf(n, sizeof(n), "%zu", w.urls);
        hooks->action(hooks->ctx, opts->uri == MG_URLS_REMOVE ? MG_A_URL_REMOVED
                                                             : MG_A_URL_DEFANGED, n);
        w.found++;
    }
    *found = w.found;
    g_hash_table_destroy(w.seen);
    g_free(w.stack);
    g_free(w.later);
    return w.stop;
}
