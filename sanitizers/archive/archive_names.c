/* Archive member names: decode, then rebuild the path one component at a
 * time from what is allowed (an allow-list of characters would reject most
 * Japanese names, so the rules remove what is known to be dangerous on
 * Windows or Unix extraction instead). */
#include "sanitizers/archive/archive_names.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "scan/charset.h"

static bool is_invisible(gunichar c)
{
    return c == 0x00AD || (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF ||
           c == 0x180E;
}

static bool is_bidi(gunichar c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

static bool is_control(gunichar c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

/* Decodes raw into a NUL-free UTF-8 string (g_malloc'd). Returns NULL when
 * the bytes are neither UTF-8 nor valid in the legacy charset. */
static char *decode(const uint8_t *raw, size_t len, const char *legacy, unsigned *flags)
{
    struct mg_buf b;
    mg_buf_init(&b);
    if (mg_utf8_valid(raw, len)) {
        mg_buf_append(&b, raw, len);
    } else if (legacy != NULL && legacy[0] != '\0') {
        struct mg_decode_result res;
        memset(&res, 0, sizeof(res));
        if (!mg_charset_to_utf8(legacy, raw, len, &b, &res) || res.errors != 0 ||
            !mg_utf8_valid(b.data, b.len)) {
            mg_buf_free(&b);
            return NULL;
        }
        *flags |= MG_ARN_LEGACY;
    } else {
        return NULL;
    }
    if (mg_buf_failed(&b)) {
        mg_buf_free(&b);
        return NULL;
    }
    /* NUL bytes are valid UTF-8 but end a C string early: drop them here. */
    char *s = g_malloc(b.len + 1);
    size_t o = 0;
    for (size_t i = 0; i < b.len; i++) {
        if (b.data[i] == 0)
            *flags |= MG_ARN_CONTROL;
        else
            s[o++] = (char)b.data[i];
    }
    s[o] = '\0';
    mg_buf_free(&b);
    char *n = g_utf8_normalize(s, -1, G_NORMALIZE_NFC);
    g_free(s);
    return n;
}

static bool ascii_ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    return g_ascii_strncasecmp(a, b, alen) == 0;
}

/* Windows device names are reserved with any extension ("CON.txt") and with
 * trailing spaces before it. */
static bool is_reserved(const char *comp)
{
    static const char *const names[] = {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
        "COM\xc2\xb9", "COM\xc2\xb2", "COM\xc2\xb3", "LPT\xc2\xb9", "LPT\xc2\xb2", "LPT\xc2\xb3",
    };
    size_t stem = strcspn(comp, ".");
    while (stem > 0 && comp[stem - 1] == ' ')
        stem--;
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (ascii_ieq(comp, stem, names[i]))
            return true;
    }
    return false;
}

/* Cleans one component into out; returns false if nothing is left. */
static bool clean_component(const char *comp, size_t clen, GString *out, unsigned *flags)
{
    g_string_truncate(out, 0);
    const char *p = comp;
    const char *end = comp + clen;
    while (p < end) {
        gunichar c = g_utf8_get_char(p);
        const char *next = g_utf8_next_char(p);
        if (is_control(c) || is_invisible(c)) {
            *flags |= MG_ARN_CONTROL;
        } else if (is_bidi(c)) {
            *flags |= MG_ARN_BIDI;
        } else if (c < 0x80 && strchr("<>:\"|?*", (int)c) != NULL) {
            *flags |= MG_ARN_BADCHAR;
            g_string_append_c(out, '_');
        } else {
            g_string_append_len(out, p, next - p);
        }
        p = next;
    }
    size_t n = out->len;
    while (n > 0 && (out->str[n - 1] == '.' || out->str[n - 1] == ' '))
        n--;
    if (n != out->len) {
        *flags |= MG_ARN_TRAILING;
        g_string_truncate(out, n);
    }
    if (out->len == 0)
        return false;
    if (is_reserved(out->str)) {
        *flags |= MG_ARN_RESERVED;
        g_string_prepend_c(out, '_');
    }
    if (out->len > MG_ARN_MAX_COMPONENT) {
        /* Keep a short extension so the type stays visible. */
        const char *dot = strrchr(out->str, '.');
        size_t extlen = (dot != NULL && (size_t)(out->str + out->len - dot) <= 16)
                            ? (size_t)(out->str + out->len - dot) : 0;
        char ext[17];
        memcpy(ext, out->str + out->len - extlen, extlen);
        ext[extlen] = '\0';
        size_t keep = MG_ARN_MAX_COMPONENT - extlen;
        /* Back up to a character boundary. */
        while (keep > 0 && ((unsigned char)out->str[keep] & 0xC0) == 0x80)
            keep--;
        g_string_truncate(out, keep);
        g_string_append(out, ext);
        *flags |= MG_ARN_LONG;
    }
    return true;
}

static const char *const exec_exts[] = {
    "exe", "com", "scr", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh",
    "hta", "msi", "msp", "lnk", "cpl", "jar", "ps1", "reg", "dll", "scf", "url", "chm",
};
static const char *const decoy_exts[] = {
    "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "txt", "rtf",
    "csv", "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "htm", "html", "zip",
    "lzh", "jtd", "mp3", "mp4", "wav", "avi", "mov",
};

static bool ext_in(const char *e, size_t elen, const char *const *list, size_t n)
{
    while (elen > 0 && e[elen - 1] == ' ')
        elen--;
    for (size_t i = 0; i < n; i++) {
        if (ascii_ieq(e, elen, list[i]))
            return true;
    }
    return false;
}

/* Offset of the dot before the decoy extension, or -1. */
static long double_ext_dot(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *last = strrchr(base, '.');
    if (last == NULL || last == base)
        return -1;
    if (!ext_in(last + 1, strlen(last + 1), exec_exts, G_N_ELEMENTS(exec_exts)))
        return -1;
    const char *prev = NULL;
    for (const char *q = base; q < last; q++) {
        if (*q == '.')
            prev = q;
    }
    if (prev == NULL || prev == base)
        return -1;
    if (!ext_in(prev + 1, (size_t)(last - prev - 1), decoy_exts, G_N_ELEMENTS(decoy_exts)))
        return -1;
    return (long)(prev - path);
}

bool mg_arname_double_ext(const char *path)
{
    return double_ext_dot(path) >= 0;
}

/* "member-N" with the raw name's extension when that is plain ASCII. */
static char *fallback_name(const uint8_t *raw, size_t len, size_t index)
{
    char ext[12] = "";
    for (size_t i = len; i > 0; i--) {
        if (raw[i - 1] == '.') {
            size_t elen = len - i;
            bool ok = elen > 0 && elen < sizeof(ext);
            for (size_t j = i; ok && j < len; j++)
                ok = g_ascii_isalnum((char)raw[j]);
            if (ok) {
                ext[0] = '.';
                memcpy(ext + 1, raw + i, elen);
                ext[elen + 1] = '\0';
            }
            break;
        }
        if (raw[i - 1] == '/' || raw[i - 1] == '\\')
            break;
    }
    return g_strdup_printf("member-%zu%s", index, ext);
}

char *mg_arname_clean(const uint8_t *raw, size_t len, const char *legacy, size_t index,
                      unsigned *flags)
{
    *flags = 0;
    char *dec = decode(raw, len, legacy, flags);
    if (dec == NULL) {
        *flags |= MG_ARN_UNDECODABLE;
        char *fb = fallback_name(raw, len, index);
        char *r = strdup(fb);
        g_free(fb);
        return r;
    }
    const char *p = dec;
    /* Absolute: leading separators, a drive letter ("C:"), or both. */
    if (g_ascii_isalpha(p[0]) && p[1] == ':') {
        *flags |= MG_ARN_ABSOLUTE;
        p += 2;
    }
    if (*p == '/' || *p == '\\') {
        *flags |= MG_ARN_ABSOLUTE;
        while (*p == '/' || *p == '\\')
            p++;
    }
    GPtrArray *comps = g_ptr_array_new_with_free_func(g_free);
    GString *tmp = g_string_new(NULL);
    while (*p != '\0') {
        size_t clen = strcspn(p, "/\\");
        if (clen == 0 || (clen == 1 && p[0] == '.')) {
            /* "a//b" and "./a" are harmless. */
        } else if (clen == 2 && p[0] == '.' && p[1] == '.') {
            *flags |= MG_ARN_DOTDOT;
        } else if (clean_component(p, clen, tmp, flags)) {
            g_ptr_array_add(comps, g_strdup(tmp->str));
        }
        p += clen;
        if (*p != '\0')
            p++;
    }
    g_string_free(tmp, TRUE);
    g_free(dec);

    if (comps->len > MG_ARN_MAX_DEPTH) {
        /* Keep the top directories and the file name. */
        *flags |= MG_ARN_LONG;
        g_ptr_array_remove_range(comps, MG_ARN_MAX_DEPTH - 1, comps->len - MG_ARN_MAX_DEPTH);
    }
    char *joined;
    if (comps->len == 0) {
        *flags |= MG_ARN_EMPTY;
        joined = fallback_name(raw, len, index);
    } else {
        g_ptr_array_add(comps, NULL);
        joined = g_strjoinv("/", (char **)comps->pdata);
    }
    g_ptr_array_free(comps, TRUE);

    long dot = double_ext_dot(joined);
    if (dot >= 0) {
        joined[dot] = '_';
        *flags |= MG_ARN_DOUBLE_EXT;
    }
    char *r = strdup(joined);
    g_free(joined);
    return r;
}

void mg_arname_display(const uint8_t *raw, size_t len, const char *legacy, struct mg_buf *out)
{
    unsigned fl = 0;
    char *dec = decode(raw, len, legacy, &fl);
    size_t start = out->len;
    if (dec == NULL) {
        /* Undecodable: ASCII as is, other bytes as \xNN. */
        for (size_t i = 0; i < len && out->len - start < 200; i++) {
            if (raw[i] >= 0x20 && raw[i] < 0x7F)
                mg_buf_putc(out, raw[i]);
            else
                mg_buf_printf(out, "\\x%02X", raw[i]);
        }
        return;
    }
    for (const char *p = dec; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        size_t clen = (size_t)(g_utf8_next_char(p) - p);
        if (out->len - start + clen > 200) {
            mg_buf_puts(out, "\xe2\x80\xa6"); /* … */
            break;
        }
        if (is_control(c) || is_invisible(c) || is_bidi(c))
            mg_buf_puts(out, "\xef\xbf\xbd"); /* U+FFFD */
        else
            mg_buf_append(out, p, clen);
    }
    g_free(dec);
}

void mg_arname_flags_text(unsigned flags, char *out, size_t outlen)
{
    static const struct { unsigned bit; const char *text; } words[] = {
        {MG_ARN_UNDECODABLE, "undecodable name"},
        {MG_ARN_ABSOLUTE, "absolute path"},
        {MG_ARN_DOTDOT, "\"..\" component"},
        {MG_ARN_CONTROL, "control or invisible characters"},
        {MG_ARN_BIDI, "bidirectional override characters"},
        {MG_ARN_RESERVED, "Windows reserved name"},
        {MG_ARN_BADCHAR, "characters not allowed on Windows"},
        {MG_ARN_TRAILING, "trailing dots or spaces"},
        {MG_ARN_LONG, "too long"},
        {MG_ARN_DOUBLE_EXT, "double extension hiding an executable"},
        {MG_ARN_COLLISION, "same name as another member"},
        {MG_ARN_EMPTY, "empty name"},
    };
    if (outlen == 0)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        if ((flags & words[i].bit) == 0)
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", words[i].text);
        if (n < 0 || (size_t)n >= outlen - used)
            return; /* truncated, still NUL-terminated */
        used += (size_t)n;
    }
}

/* ---- collision set ---- */

enum { KIND_DIR = 1, KIND_FILE = 2 };
#define MAX_SUFFIX 100000

struct mg_arname_set {
    GHashTable *names; /* folded path -> kind */
};

struct mg_arname_set *mg_arname_set_new(void)
{
    struct mg_arname_set *s = g_new0(struct mg_arname_set, 1);
    s->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return s;
}

void mg_arname_set_free(struct mg_arname_set *s)
{
    if (s == NULL)
        return;
    g_hash_table_destroy(s->names);
    g_free(s);
}

static int lookup(struct mg_arname_set *s, char **comps, size_t upto)
{
    char *saved = comps[upto];
    comps[upto] = NULL;
    char *joined = g_strjoinv("/", comps);
    comps[upto] = saved;
    char *folded = g_utf8_casefold(joined, -1);
    g_free(joined);
    int kind = GPOINTER_TO_INT(g_hash_table_lookup(s->names, folded));
    g_free(folded);
    return kind;
}

static void reserve(struct mg_arname_set *s, char **comps, size_t upto, int kind)
{
    char *saved = comps[upto];
    comps[upto] = NULL;
    char *joined = g_strjoinv("/", comps);
    comps[upto] = saved;
    char *folded = g_utf8_casefold(joined, -1);
    g_free(joined);
    if (!g_hash_table_contains(s->names, folded))
        g_hash_table_insert(s->names, folded, GINT_TO_POINTER(kind));
    else
        g_free(folded);
}

/* "name (k).ext" for files, "name (k)" for directories. */
static char *suffixed(const char *orig, unsigned long k, bool file)
{
    const char *dot = file ? strrchr(orig, '.') : NULL;
    if (dot == NULL || dot == orig)
        return g_strdup_printf("%s (%lu)", orig, k);
    return g_strdup_printf("%.*s (%lu)%s", (int)(dot - orig), orig, k, dot);
}

char *mg_arname_unique(struct mg_arname_set *s, const char *path, unsigned *flags)
{
    char **comps = g_strsplit(path, "/", MG_ARN_MAX_DEPTH + 1);
    size_t n = g_strv_length(comps);
    if (n == 0) {
        g_strfreev(comps);
        return NULL;
    }
    bool ok = true;
    /* Directories: a prefix may not be a file already. */
    for (size_t i = 0; ok && i + 1 < n; i++) {
        char *orig = g_strdup(comps[i]);
        for (unsigned long k = 2; lookup(s, comps, i + 1) == KIND_FILE; k++) {
            if (k > MAX_SUFFIX) {
                ok = false;
                break;
            }
            g_free(comps[i]);
            comps[i] = suffixed(orig, k, false);
            *flags |= MG_ARN_COLLISION;
        }
        g_free(orig);
    }
    /* The file: its full path may be neither a file nor a directory. */
    if (ok) {
        char *orig = g_strdup(comps[n - 1]);
        for (unsigned long k = 2; lookup(s, comps, n) != 0; k++) {
            if (k > MAX_SUFFIX) {
                ok = false;
                break;
            }
            g_free(comps[n - 1]);
            comps[n - 1] = suffixed(orig, k, true);
            *flags |= MG_ARN_COLLISION;
        }
        g_free(orig);
    }
    char *r = NULL;
    if (ok) {
        for (size_t i = 1; i < n; i++)
            reserve(s, comps, i, KIND_DIR);
        reserve(s, comps, n, KIND_FILE);
        char *joined = g_strjoinv("/", comps);
        r = strdup(joined);
        g_free(joined);
    }
    g_strfreev(comps);
    return r;
}
