/* Charset of an HTML document: BOM, caller's label, <meta> prescan,
 * detection. The prescan follows the WHATWG HTML standard, section
 * "Prescan a byte stream to determine its encoding", with two
 * simplifications: it never looks past the first 1024 bytes (a tag cut at
 * that point is not read), and names/values longer than we store are
 * truncated (a truncated label is then unknown and skipped). */
#include "sanitizers/html/html_charset.h"

#include <string.h>

#include "scan/charset.h"

#define ATTR_MAX 256

static bool is_ws(uint8_t c)
{
    return c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x20;
}

static bool is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool starts_ci(const uint8_t *p, size_t avail, const char *s)
{
    size_t n = strlen(s);
    if (avail < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (lower(p[i]) != (uint8_t)s[i])
            return false;
    }
    return true;
}

/* A growable-by-truncation string for attribute names and values. */
struct attr_str {
    char s[ATTR_MAX];
    size_t n;
};

static void as_reset(struct attr_str *a)
{
    a->n = 0;
    a->s[0] = '\0';
}

static void as_add(struct attr_str *a, uint8_t c)
{
    if (a->n + 1 < sizeof(a->s)) {
        a->s[a->n++] = (char)c;
        a->s[a->n] = '\0';
    }
}

/* WHATWG "get an attribute". Returns false for "no attribute" (pos then
 * points at '>') and also when the input ends (*eof set: prescan stops). */
static bool get_attr(const uint8_t *p, size_t end, size_t *pos, struct attr_str *name,
                     struct attr_str *value, bool *eof)
{
    size_t i = *pos;
    as_reset(name);
    as_reset(value);
    while (i < end && (is_ws(p[i]) || p[i] == '/'))
        i++;
    if (i >= end)
        goto out_eof;
    if (p[i] == '>') {
        *pos = i;
        return false;
    }
    for (;;) {                                   /* the name */
        if (i >= end)
            goto out_eof;
        uint8_t c = p[i];
        if (c == '=' && name->n > 0) {
            i++;
            break;
        }
        if (is_ws(c)) {
            while (i < end && is_ws(p[i]))
                i++;
            if (i >= end)
                goto out_eof;
            if (p[i] != '=') {
                *pos = i;
                return true;                     /* name without value */
            }
            i++;
            break;
        }
        if (c == '/' || c == '>') {
            *pos = i;
            return true;
        }
        as_add(name, lower(c));
        i++;
    }
    while (i < end && is_ws(p[i]))                /* the value */
        i++;
    if (i >= end)
        goto out_eof;
    if (p[i] == '"' || p[i] == '\'') {
        uint8_t q = p[i++];
        while (i < end && p[i] != q)
            as_add(value, lower(p[i++]));
        if (i >= end)
            goto out_eof;
        *pos = i + 1;
        return true;
    }
    if (p[i] == '>') {
        *pos = i;
        return true;
    }
    while (i < end && !is_ws(p[i]) && p[i] != '>')
        as_add(value, lower(p[i++]));
    if (i >= end)
        goto out_eof;
    *pos = i;
    return true;
out_eof:
    *pos = end;
    *eof = true;
    return false;
}

static bool copy_label(const uint8_t *p, size_t n, char *label, size_t labellen)
{
    while (n > 0 && is_ws(*p)) {
        p++;
        n--;
    }
    while (n > 0 && is_ws(p[n - 1]))
        n--;
    if (n == 0 || labellen == 0 || n >= labellen)
        return false;
    for (size_t i = 0; i < n; i++)
        label[i] = (char)lower(p[i]);
    label[n] = '\0';
    return true;
}

bool mg_html_charset_from_content(const uint8_t *p, size_t len, char *label, size_t labellen)
{
    size_t i = 0;
    for (;;) {
        while (i < len && !starts_ci(p + i, len - i, "charset"))
            i++;
        if (i >= len)
            return false;
        i += 7;
        while (i < len && is_ws(p[i]))
            i++;
        if (i >= len)
            return false;
        if (p[i] != '=')
            continue;                            /* "charset" not followed by '=' */
        i++;
        while (i < len && is_ws(p[i]))
            i++;
        if (i >= len)
            return false;
        if (p[i] == '"' || p[i] == '\'') {
            uint8_t q = p[i++];
            size_t start = i;
            while (i < len && p[i] != q)
                i++;
            if (i >= len)
                return false;                    /* unmatched quote: nothing */
            return copy_label(p + start, i - start, label, labellen);
        }
        size_t start = i;
        while (i < len && !is_ws(p[i]) && p[i] != ';')
            i++;
        return copy_label(p + start, i - start, label, labellen);
    }
}

static bool finish_label(char *label, size_t labellen)
{
    /* WHATWG: a meta naming UTF-16 means UTF-8; x-user-defined is
     * windows-1252 for a document. */
    if (strncmp(label, "utf-16", 6) == 0 || strcmp(label, "unicode") == 0 ||
        strcmp(label, "ucs-2") == 0) {
        if (labellen < 6)
            return false;
        memcpy(label, "utf-8", 6);
    } else if (strcmp(label, "x-user-defined") == 0) {
        if (labellen < 13)
            return false;
        memcpy(label, "windows-1252", 13);
    }
    return true;
}

/* The attributes of one <meta>; pos is just after "<meta". */
static bool read_meta(const uint8_t *p, size_t end, size_t *pos, char *label, size_t labellen,
                      bool *eof)
{
    struct attr_str name, value;
    bool seen_he = false, seen_content = false, seen_charset = false;
    bool got_pragma = false;
    int need_pragma = -1;                        /* -1 unset, 0 no, 1 yes */
    char cs[ATTR_MAX] = "";

    /* Each attribute consumes at least one byte, so this ends. */
    while (get_attr(p, end, pos, &name, &value, eof)) {
        if (strcmp(name.s, "http-equiv") == 0) {
            if (seen_he)
                continue;
            seen_he = true;
            if (strcmp(value.s, "content-type") == 0)
                got_pragma = true;
        } else if (strcmp(name.s, "content") == 0) {
            if (seen_content)
                continue;
            seen_content = true;
            if (cs[0] == '\0' &&
                mg_html_charset_from_content((const uint8_t *)value.s, value.n, cs, sizeof(cs)))
                need_pragma = 1;
        } else if (strcmp(name.s, "charset") == 0) {
            if (seen_charset)
                continue;
            seen_charset = true;
            if (!copy_label((const uint8_t *)value.s, value.n, cs, sizeof(cs)))
                cs[0] = '\0';
            need_pragma = 0;
        }
    }
    if (*eof || need_pragma == -1 || (need_pragma == 1 && !got_pragma) || cs[0] == '\0')
        return false;
    size_t n = strlen(cs);
    if (n >= labellen)
        return false;
    memcpy(label, cs, n + 1);
    return finish_label(label, labellen);
}

static bool find_from(const uint8_t *p, size_t end, size_t from, const char *s, size_t *at)
{
    size_t n = strlen(s);
    for (size_t i = from; i + n <= end; i++) {
        if (memcmp(p + i, s, n) == 0) {
            *at = i;
            return true;
        }
    }
    return false;
}

bool mg_html_prescan_meta(const uint8_t *p, size_t len, char *label, size_t labellen)
{
    size_t end = len < MG_HTML_PRESCAN_LEN ? len : MG_HTML_PRESCAN_LEN;
    size_t pos = 0;
    bool eof = false;

    while (pos < end && !eof) {
        size_t at;
        if (starts_ci(p + pos, end - pos, "<!--")) {
            /* The first '>' preceded by "--" after the '<': "<!-->" counts. */
            if (!find_from(p, end, pos + 2, "-->", &at))
                return false;
            pos = at + 3;
            continue;
        }
        if (starts_ci(p + pos, end - pos, "<meta") && pos + 5 < end &&
            (is_ws(p[pos + 5]) || p[pos + 5] == '/')) {
            pos += 5;
            if (read_meta(p, end, &pos, label, labellen, &eof))
                return true;
            pos++;
            continue;
        }
        if (p[pos] == '<' && pos + 1 < end &&
            (is_alpha(p[pos + 1]) || (p[pos + 1] == '/' && pos + 2 < end && is_alpha(p[pos + 2])))) {
            pos += p[pos + 1] == '/' ? 2 : 1;
            while (pos < end && !is_ws(p[pos]) && p[pos] != '>')
                pos++;
            struct attr_str name, value;
            while (get_attr(p, end, &pos, &name, &value, &eof))
                ;
            pos++;
            continue;
        }
        if (p[pos] == '<' && pos + 1 < end &&
            (p[pos + 1] == '!' || p[pos + 1] == '/' || p[pos + 1] == '?')) {
            if (!find_from(p, end, pos + 2, ">", &at))
                return false;
            pos = at + 1;
            continue;
        }
        pos++;
    }
    return false;
}

size_t mg_html_bom(const uint8_t *p, size_t len, const char **label)
{
    if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        *label = "utf-8";
        return 3;
    }
    if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        *label = "utf-16be";
        return 2;
    }
    if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        *label = "utf-16le";
        return 2;
    }
    *label = NULL;
    return 0;
}

/* The name goes into reports and notices: labels are ASCII, anything else
 * a document put there becomes '?'. */
static void set_charset(struct mg_html_stats *st, const char *name, enum mg_html_cs_source src)
{
    size_t n = strlen(name);
    if (n >= sizeof(st->charset))
        n = sizeof(st->charset) - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-' || ch == '_' || ch == '.' || ch == ':';
        st->charset[i] = ok ? ch : '?';
    }
    st->charset[n] = '\0';
    st->charset_source = src;
}

/* One attempt. Returns 1 decoded cleanly, 0 decoding errors (try the next
 * candidate), -1 out of memory or over the limit (stop). */
static int try_decode(const char *label, const uint8_t *p, size_t len, struct mg_buf *out,
                      struct mg_decode_result *res)
{
    mg_buf_reset(out);
    memset(res, 0, sizeof(*res));
    if (!mg_charset_to_utf8(label, p, len, out, res))
        return mg_buf_failed(out) ? -1 : 0;
    if (mg_buf_failed(out))
        return -1;
    return res->errors == 0 ? 1 : 0;
}

/* A failed buffer with a limit is taken as over the limit (the limit is
 * what normally stops it; malloc failure is rare under overcommit). */
static enum mg_html_error fail_error(const struct mg_buf *out)
{
    return out->limit != 0 ? MG_HTML_ERR_LIMIT : MG_HTML_ERR_RESOURCES;
}

bool mg_html_decode(const uint8_t *p, size_t len, const char *caller_label,
                    struct mg_buf *out, struct mg_html_stats *st)
{
    struct mg_decode_result res;
    const char *bom_label;
    size_t bom = mg_html_bom(p, len, &bom_label);
    bool have_best = false;

    st->charset[0] = '\0';
    st->charset_source = MG_HTML_CS_NONE;
    if (len == 0) {
        mg_buf_reset(out);
        return true;
    }
    if (bom > 0) {
        /* A BOM is definitive, as in browsers. */
        int r = try_decode(bom_label, p + bom, len - bom, out, &res);
        set_charset(st, bom_label, MG_HTML_CS_BOM);
        if (r == 1)
            return true;
        st->error = r < 0 ? fail_error(out) : MG_HTML_ERR_DECODE;
        st->decode_offset = res.first_error + bom;
        return false;
    }

    char meta[64];
    const char *cands[3];
    enum mg_html_cs_source srcs[3];
    size_t nc = 0;
    if (caller_label != NULL && mg_charset_from_label(caller_label) != MG_CS_UNKNOWN) {
        cands[nc] = caller_label;
        srcs[nc++] = MG_HTML_CS_LABEL;
    }
    if (mg_html_prescan_meta(p, len, meta, sizeof(meta)) &&
        mg_charset_from_label(meta) != MG_CS_UNKNOWN &&
        (nc == 0 || mg_charset_from_label(meta) != mg_charset_from_label(caller_label) ||
         mg_charset_from_label(meta) == MG_CS_OTHER)) {
        cands[nc] = meta;
        srcs[nc++] = MG_HTML_CS_META;
    }
    cands[nc] = NULL;                             /* detection */
    srcs[nc++] = MG_HTML_CS_DETECTED;

    for (size_t i = 0; i < nc; i++) {
        int r = try_decode(cands[i], p, len, out, &res);
        if (r < 0) {
            st->error = fail_error(out);
            return false;
        }
        /* The decoder falls back to detection for a label it does not
         * know: name what it really used. */
        const char *used = (cands[i] != NULL && res.charset == MG_CS_OTHER)
                               ? cands[i] : mg_charset_name(res.charset);
        if (r == 1) {
            set_charset(st, used, srcs[i]);
            return true;
        }
        if (!have_best) {
            /* Report the first (most authoritative) candidate's failure. */
            set_charset(st, used, srcs[i]);
            st->decode_offset = res.first_error;
            have_best = true;
        }
    }
    mg_buf_reset(out);
    st->error = MG_HTML_ERR_DECODE;
    return false;
}
