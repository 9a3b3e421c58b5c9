#include "proto/icap/icap_fast.h"

#include <string.h>

#include <glib.h>

static bool ctype_is(const char *ctype, const char *mime)
{
    size_t n = strlen(mime);
    if (g_ascii_strncasecmp(ctype, mime, n) != 0)
        return false;
    return ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ' || ctype[n] == '\t';
}

enum mg_type_class mg_icap_ctype_class(const char *ctype)
{
    if (!ctype)
        return MG_TC_UNKNOWN;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    /* SVG is XML with script: never an "image" here. */
    if (ctype_is(ctype, "image/png") || ctype_is(ctype, "image/jpeg") || ctype_is(ctype, "image/gif") ||
        ctype_is(ctype, "image/webp") || ctype_is(ctype, "image/bmp"))
        return MG_TC_IMAGE;
    if (ctype_is(ctype, "text/plain"))
        return MG_TC_TEXT;
    return MG_TC_UNKNOWN;
}

static bool magic_image(const uint8_t *d, size_t n)
{
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return true;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return true;
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return true;
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return true;
    if (n >= 2 && d[0] == 'B' && d[1] == 'M')
        return true;
    return false;
}

/* Plain text: valid UTF-8 (a sequence cut at the preview's end is fine),
 * no NUL, no control characters besides tab, CR, LF, FF, ESC (ISO-2022-JP). */
static bool plain_text(const uint8_t *d, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\r' && d[i] != '\n' && d[i] != '\f' && d[i] != 0x1b)
            return false;
    const gchar *end = NULL;
    if (g_utf8_validate((const gchar *)d, (gssize)n, &end))
        return true;
    return (size_t)((const uint8_t *)end - d) + 4 > n; /* only the last few bytes cut */
}

bool mg_icap_fast_pass(const struct mg_policy *p, const char *ctype, const char *name, bool encoded,
                       const uint8_t *data, size_t len)
{
    if (encoded || !ctype)
        return false;
    enum mg_type_class c = mg_icap_ctype_class(ctype);
    if (c == MG_TC_UNKNOWN || p->by_class[c] != MG_DO_PASS)
        return false;
    /* The name must not claim another class (a PNG served as x.html is a polyglot risk). */
    char ext[16];
    mg_type_ext(name ? name : "", ext, sizeof(ext));
    if (ext[0]) {
        enum mg_type_class nc = mg_type_class_of_ext(ext);
        if (nc != c)
            return false;
    }
    if (c == MG_TC_IMAGE)
        return magic_image(data, len);
    return plain_text(data, len);
}
