#include "proto/icap/icap_parse.h"

#include <string.h>
#include <glib.h>

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t bl = strlen(b);
    if (alen != bl)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* RFC 7230 tchar */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

size_t mg_icap_head_end(const char *data, size_t len)
{
    /* An empty line ends the block: CRLF CRLF. LF LF is found too, so that
     * the parser can refuse it at once rather than wait for a CRLF CRLF. */
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        if (i + 1 < len && data[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Next line [p, p + *llen) ending in CRLF; NULL at the end. *bare is set
 * for a line ending in LF alone: RFC 3507 and HTTP/1.1 framing is CRLF, and
 * a lenient reader here could disagree with the proxy about where headers
 * end (the root of request smuggling), so such a block is refused. */
static const char *next_line(const char *p, const char *end, size_t *llen, const char **next,
                             bool *bare)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    size_t n = (size_t)(nl - p);
    *bare = !(n > 0 && p[n - 1] == '\r');
    if (!*bare)
        n--;
    *llen = n;
    *next = nl + 1;
    return p;
}

enum mg_icap_perr mg_icap_parse_head(const char *data, size_t len, struct mg_icap_head *out)
{
    memset(out, 0, sizeof(*out));
    if (len > MG_ICAP_MAX_ENCAP_BYTES)
        return MG_ICAP_P_TOO_LONG;
    const char *p = data, *end = data + len, *next = NULL;
    size_t ll = 0;
    bool bare = false;
    if (!next_line(p, end, &ll, &next, &bare))
        return MG_ICAP_P_NO_END;
    if (ll == 0 || bare)
        return MG_ICAP_P_BAD_LINE;
    out->line = p;
    out->line_len = ll;
    for (size_t i = 0; i < ll; i++)
        if (p[i] == '\0' || p[i] == '\r')
            return MG_ICAP_P_BAD_LINE;
    p = next;
    for (;;) {
        if (!next_line(p, end, &ll, &next, &bare))
            return MG_ICAP_P_NO_END;
        if (bare)
            return MG_ICAP_P_BAD_HEADER;
        if (ll == 0) {
            out->total = (size_t)(next - data);
            return next == end ? MG_ICAP_P_OK : MG_ICAP_P_BAD_HEADER;
        }
        if (is_blank(p[0]))
            return MG_ICAP_P_BAD_HEADER; /* obs-fold */
        if (out->n_hdrs == MG_ICAP_MAX_HEADERS)
            return MG_ICAP_P_TOO_MANY;
        const char *colon = memchr(p, ':', ll);
        if (!colon || colon == p)
            return MG_ICAP_P_BAD_HEADER;
        for (const char *q = p; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                return MG_ICAP_P_BAD_HEADER;
        const char *v = colon + 1, *ve = p + ll;
        for (const char *q = v; q < ve; q++)
            if (*q == '\0' || *q == '\r')
                return MG_ICAP_P_BAD_HEADER;
        while (v < ve && is_blank(*v))
            v++;
        while (ve > v && is_blank(ve[-1]))
            ve--;
        struct mg_icap_hdr *h = &out->hdrs[out->n_hdrs++];
        h->name = p;
        h->name_len = (size_t)(colon - p);
        h->value = v;
        h->value_len = (size_t)(ve - v);
        p = next;
    }
}

static enum mg_icap_method method_of(const char *m, size_t n)
{
    /* Methods are case-sensitive (RFC 3507 4.3.2). */
    if (n == 7 && memcmp(m, "OPTIONS", 7) == 0)
        return MG_ICAP_M_OPTIONS;
    if (n == 6 && memcmp(m, "REQMOD", 6) == 0)
        return MG_ICAP_M_REQMOD;
    if (n == 7 && memcmp(m, "RESPMOD", 7) == 0)
        return MG_ICAP_M_RESPMOD;
    return MG_ICAP_M_OTHER;
}

enum mg_icap_perr mg_icap_parse_request(const char *data, size_t len, struct mg_icap_req *out)
{
    memset(out, 0, sizeof(*out));
    if (len > MG_ICAP_MAX_HEAD_BYTES)
        return MG_ICAP_P_TOO_LONG;
    enum mg_icap_perr e = mg_icap_parse_head(data, len, &out->head);
    if (e != MG_ICAP_P_OK)
        return e;
    const char *l = out->head.line, *le = l + out->head.line_len;
    const char *sp1 = memchr(l, ' ', out->head.line_len);
    if (!sp1 || sp1 == l)
        return MG_ICAP_P_BAD_LINE;
    const char *u = sp1 + 1;
    const char *sp2 = memchr(u, ' ', (size_t)(le - u));
    if (!sp2 || sp2 == u)
        return MG_ICAP_P_BAD_LINE;
    const char *ver = sp2 + 1;
    size_t vlen = (size_t)(le - ver);
    if (vlen != 8 || memcmp(ver, "ICAP/1.", 7) != 0 || ver[7] < '0' || ver[7] > '9')
        return MG_ICAP_P_BAD_VERSION;
    out->method_name = l;
    out->method_len = (size_t)(sp1 - l);
    for (size_t i = 0; i < out->method_len; i++)
        if (!is_tchar((unsigned char)l[i]))
            return MG_ICAP_P_BAD_LINE;
    out->method = method_of(l, out->method_len);
    out->uri = u;
    out->uri_len = (size_t)(sp2 - u);
    if (out->uri_len > MG_ICAP_MAX_URI)
        return MG_ICAP_P_TOO_LONG;
    for (size_t i = 0; i < out->uri_len; i++)
        if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] == 0x7f)
            return MG_ICAP_P_BAD_LINE;
    /* icap://authority/path?query, or icaps://; the scheme is not case-sensitive. */
    size_t skip;
    if (out->uri_len >= 7 && ieq(u, 7, "icap://"))
        skip = 7;
    else if (out->uri_len >= 8 && ieq(u, 8, "icaps://"))
        skip = 8;
    else
        return MG_ICAP_P_BAD_LINE;
    const char *auth = u + skip, *ue = u + out->uri_len;
    const char *slash = memchr(auth, '/', (size_t)(ue - auth));
    if (slash == auth)
        return MG_ICAP_P_BAD_LINE; /* no host */
    if (!slash) {
        out->service = "/";
        out->service_len = 1;
        return MG_ICAP_P_OK;
    }
    const char *pe = slash;
    while (pe < ue && *pe != '?' && *pe != '#')
        pe++;
    out->service = slash;
    out->service_len = (size_t)(pe - slash);
    return MG_ICAP_P_OK;
}

const struct mg_icap_hdr *mg_icap_head_get(const struct mg_icap_head *h, const char *name,
                                           bool *dup)
{
    const struct mg_icap_hdr *found = NULL;
    if (dup)
        *dup = false;
    for (size_t i = 0; i < h->n_hdrs; i++) {
        if (!ieq(h->hdrs[i].name, h->hdrs[i].name_len, name))
            continue;
        if (found) {
            if (dup)
                *dup = true;
            break;
        }
        found = &h->hdrs[i];
    }
    return found;
}

bool mg_icap_head_copy(const struct mg_icap_head *h, const char *name, char *out, size_t size)
{
    const struct mg_icap_hdr *x = mg_icap_head_get(h, name, NULL);
    if (!x || size == 0)
        return false;
    size_t n = x->value_len < size - 1 ? x->value_len : size - 1;
    memcpy(out, x->value, n);
    out[n] = '\0';
    return true;
}

bool mg_icap_value_has_token(const char *v, size_t len, const char *token)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (is_blank(v[i]) || v[i] == ','))
            i++;
        size_t s = i;
        while (i < len && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && is_blank(v[e - 1]))
            e--;
        /* Parameters after ';' are not part of the token. */
        const char *semi = memchr(v + s, ';', e - s);
        if (semi) {
            e = (size_t)(semi - v);
            while (e > s && is_blank(v[e - 1]))
                e--;
        }
        if (e > s && ieq(v + s, e - s, token))
            return true;
    }
    return false;
}

bool mg_icap_parse_uint(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 18)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

bool mg_icap_parse_encapsulated(const char *v, size_t len, enum mg_icap_method m,
                                struct mg_icap_encap *out)
{
    memset(out, 0, sizeof(*out));
    /* Rank enforces the order req-hdr < res-hdr < one body entity, last. */
    int last_rank = -1;
    size_t last_off = 0;
    bool any = false;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_blank(v[i]))
            i++;
        size_t ns = i;
        while (i < len && v[i] != '=' && v[i] != ',')
            i++;
        if (i >= len || v[i] != '=')
            return false;
        size_t ne = i;
        while (ne > ns && is_blank(v[ne - 1]))
            ne--;
        i++;
        while (i < len && is_blank(v[i]))
            i++;
        size_t ds = i;
        while (i < len && v[i] >= '0' && v[i] <= '9')
            i++;
        uint64_t off;
        if (!mg_icap_parse_uint(v + ds, i - ds, &off))
            return false;
        if (off > MG_ICAP_MAX_ENCAP_BYTES) {
            out->too_large = true;
            return false;
        }
        while (i < len && is_blank(v[i]))
            i++;
        if (i < len) {
            if (v[i] != ',')
                return false;
            i++;
            if (i >= len)
                return false; /* trailing comma */
        }
        if (last_rank >= 2)
            return false; /* something after the body entity */
        const char *n = v + ns;
        size_t nl = ne - ns;
        int rank;
        if (ieq(n, nl, "req-hdr")) {
            rank = 0;
            out->has_req_hdr = true;
            out->req_hdr = (size_t)off;
        } else if (ieq(n, nl, "res-hdr")) {
            rank = 1;
            out->has_res_hdr = true;
            out->res_hdr = (size_t)off;
        } else {
            rank = 2;
            if (ieq(n, nl, "req-body"))
                out->body = MG_ICAP_B_REQ;
            else if (ieq(n, nl, "res-body"))
                out->body = MG_ICAP_B_RES;
            else if (ieq(n, nl, "null-body"))
                out->body = MG_ICAP_B_NULL;
            else if (ieq(n, nl, "opt-body"))
                out->body = MG_ICAP_B_OPT;
            else
                return false;
            out->body_off = (size_t)off;
        }
        if (rank <= last_rank)
            return false;
        if (!any && off != 0)
            return false; /* the first entity starts the encapsulated part */
        if (any && off <= last_off)
            return false;
        any = true;
        last_rank = rank;
        last_off = (size_t)off;
    }
    if (last_rank != 2)
        return false;
    switch (m) {
    case MG_ICAP_M_REQMOD:
        return !out->has_res_hdr && (out->body == MG_ICAP_B_REQ || out->body == MG_ICAP_B_NULL);
    case MG_ICAP_M_RESPMOD:
        return out->body == MG_ICAP_B_RES || out->body == MG_ICAP_B_NULL;
    case MG_ICAP_M_OPTIONS:
        return !out->has_req_hdr && !out->has_res_hdr &&
               (out->body == MG_ICAP_B_OPT || out->body == MG_ICAP_B_NULL);
    default:
        return false;
    }
}

bool mg_icap_parse_chunk_line(const char *line, size_t len, uint64_t *size, bool *ieof)
{
    *ieof = false;
    *size = 0;
    size_t i = 0;
    uint64_t v = 0;
    while (i < len && g_ascii_xdigit_value(line[i]) >= 0) {
        if (i >= 15)
            return false; /* > 2^60: no body that big is acceptable */
        v = (v << 4) | (uint64_t)g_ascii_xdigit_value(line[i]);
        i++;
    }
    if (i == 0)
        return false;
    while (i < len && is_blank(line[i]))
        i++;
    if (i < len && line[i] != ';')
        return false;
    /* Extensions: ; name[=value] ... */
    while (i < len) {
        if (line[i] != ';')
            return false;
        i++;
        while (i < len && is_blank(line[i]))
            i++;
        size_t s = i;
        while (i < len && is_tchar((unsigned char)line[i]))
            i++;
        if (i == s)
            return false;
        if (ieq(line + s, i - s, "ieof"))
            *ieof = true;
        while (i < len && is_blank(line[i]))
            i++;
        if (i < len && line[i] == '=') {
            i++;
            while (i < len && is_blank(line[i]))
                i++;
            if (i < len && line[i] == '"') {
                i++;
                while (i < len && line[i] != '"') {
                    if (line[i] == '\\' && i + 1 < len)
                        i++;
                    i++;
                }
                if (i >= len)
                    return false;
                i++;
            } else {
                size_t vs = i;
                while (i < len && is_tchar((unsigned char)line[i]))
                    i++;
                if (i == vs)
                    return false;
            }
            while (i < len && is_blank(line[i]))
                i++;
        }
    }
    *size = v;
    return true;
}

bool mg_icap_http_status(const char *line, size_t len, int *code)
{
    if (len < 12 || memcmp(line, "HTTP/", 5) != 0)
        return false;
    const char *sp = memchr(line, ' ', len);
    if (!sp || (size_t)(line + len - sp) < 4)
        return false;
    int c = 0;
    for (int k = 1; k <= 3; k++) {
        if (sp[k] < '0' || sp[k] > '9')
            return false;
        c = c * 10 + (sp[k] - '0');
    }
    if ((size_t)(line + len - sp) > 4 && sp[4] != ' ')
        return false;
    *code = c;
    return true;
}

bool mg_icap_http_target_path(const char *line, size_t len, const char **path, size_t *plen)
{
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1)
        return false;
    const char *t = sp1 + 1, *le = line + len;
    const char *sp2 = memchr(t, ' ', (size_t)(le - t));
    const char *te = sp2 ? sp2 : le;
    /* absolute-form: skip scheme://authority */
    const char *ss = NULL;
    for (const char *q = t; q + 2 < te; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            ss = q + 3;
            break;
        }
        if (*q == '/')
            break;
    }
    if (ss) {
        t = memchr(ss, '/', (size_t)(te - ss));
        if (!t)
            return false;
    }
    if (t >= te || *t != '/')
        return false;
    const char *pe = t;
    while (pe < te && *pe != '?' && *pe != '#')
        pe++;
    *path = t;
    *plen = (size_t)(pe - t);
    return true;
}

/* Keeps only the last path segment; refuses empty, "." and "..". */
static bool basename_into(const char *s, size_t n, char *out, size_t size)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '\\')
            start = i + 1;
    s += start;
    n -= start;
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++)
        if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
            out[k++] = s[i];
    out[k] = '\0';
    return k > 0;
}

bool mg_icap_disposition_filename(const char *v, size_t len, char *out, size_t size)
{
    char plain[512];
    char ext[512];
    bool have_plain = false, have_ext = false;
    size_t i = 0;
    while (i < len) {
        while (i < len && v[i] != ';')
            i++;
        if (i >= len)
            break;
        i++;
        while (i < len && is_blank(v[i]))
            i++;
        size_t ns = i;
        while (i < len && v[i] != '=' && v[i] != ';')
            i++;
        if (i >= len || v[i] != '=')
            continue;
        size_t ne = i;
        while (ne > ns && is_blank(v[ne - 1]))
            ne--;
        i++;
        while (i < len && is_blank(v[i]))
            i++;
        char val[512];
        size_t k = 0;
        if (i < len && v[i] == '"') {
            i++;
            while (i < len && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < len)
                    i++;
                if (k + 1 < sizeof(val))
                    val[k++] = v[i];
                i++;
            }
            if (i < len)
                i++;
        } else {
            while (i < len && v[i] != ';' && !is_blank(v[i])) {
                if (k + 1 < sizeof(val))
                    val[k++] = v[i];
                i++;
            }
        }
        val[k] = '\0';
        if (ieq(v + ns, ne - ns, "filename")) {
            memcpy(plain, val, k + 1);
            have_plain = true;
        } else if (ieq(v + ns, ne - ns, "filename*")) {
            /* RFC 8187: charset'lang'pct-encoded; only UTF-8 is taken. */
            const char *q1 = memchr(val, '\'', k);
            const char *q2 = q1 ? memchr(q1 + 1, '\'', (size_t)(val + k - q1 - 1)) : NULL;
            if (!q2 || !ieq(val, (size_t)(q1 - val), "utf-8"))
                continue;
            size_t o = 0;
            for (const char *p = q2 + 1; p < val + k && o + 1 < sizeof(ext); p++) {
                if (*p == '%' && p + 2 < val + k && g_ascii_xdigit_value(p[1]) >= 0 && g_ascii_xdigit_value(p[2]) >= 0) {
                    ext[o++] = (char)(g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]));
                    p += 2;
                } else {
                    ext[o++] = *p;
                }
            }
            ext[o] = '\0';
            have_ext = o > 0;
        }
    }
    if (have_ext && basename_into(ext, strlen(ext), out, size))
        return true;
    return have_plain && basename_into(plain, strlen(plain), out, size);
}
