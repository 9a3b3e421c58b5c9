#include "sanitizers/pdf/pdf_objects.h"

#include <glib.h>
#include <limits.h>
#include <string.h>
#include <zlib.h>

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* Reads the decimal number that ends just before *end (digits only, at most
 * 10); moves *end to its first digit. */
static bool number_before(const uint8_t *d, size_t *end, long long *out)
{
    size_t e = *end, b = e;
    while (b > 0 && is_digit(d[b - 1]) && e - b < 11)
        b--;
    if (b == e || e - b > 10)
        return false;
    long long v = 0;
    for (size_t i = b; i < e; i++)
        v = v * 10 + (d[i] - '0');
    *out = v;
    *end = b;
    return true;
}

bool mg_pdf_next_obj_header(const uint8_t *d, size_t len, size_t *pos, int *id, int *gen)
{
    size_t p = *pos;
    while (p + 3 <= len) {
        const uint8_t *hit = memmem(d + p, len - p, "obj", 3);
        if (hit == NULL)
            break;
        size_t at = (size_t)(hit - d);
        p = at + 3;
        if (p < len && (g_ascii_isalnum(d[p]) || d[p] == '_'))
            continue;                       /* "objstm", "object" ... */
        size_t e = at;
        if (e == 0 || !is_ws(d[e - 1]))
            continue;
        while (e > 0 && is_ws(d[e - 1]))
            e--;
        long long g, n;
        if (!number_before(d, &e, &g) || e == 0 || !is_ws(d[e - 1]))
            continue;
        while (e > 0 && is_ws(d[e - 1]))
            e--;
        if (!number_before(d, &e, &n))
            continue;
        if (e > 0 && (g_ascii_isalnum(d[e - 1]) || d[e - 1] == '.' || d[e - 1] == '-'))
            continue;
        if (n <= 0 || n > INT_MAX || g > 65535)
            continue;
        *id = (int)n;
        *gen = (int)g;
        *pos = p;
        return true;
    }
    *pos = len;
    return false;
}

size_t mg_pdf_objstm_ids(const uint8_t *hdr, size_t len, size_t n, int *ids, size_t cap)
{
    size_t got = 0, i = 0;
    bool want_id = true;
    while (i < len && got < n && got < cap) {
        while (i < len && is_ws(hdr[i]))
            i++;
        if (i >= len || !is_digit(hdr[i]))
            break;
        long long v = 0;
        size_t digits = 0;
        while (i < len && is_digit(hdr[i]) && digits < 11) {
            v = v * 10 + (hdr[i++] - '0');
            digits++;
        }
        if (digits > 10 || v > INT_MAX)
            break;
        if (want_id && v > 0)
            ids[got++] = (int)v;
        want_id = !want_id;
    }
    return got;
}

uint8_t *mg_pdf_inflate(const uint8_t *in, size_t inlen, size_t cap, bool partial,
                        size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return NULL;
    size_t size = 0;
    size_t alloc = inlen < cap / 4 ? inlen * 4 + 1024 : cap + 1;
    if (alloc > cap + 1)
        alloc = cap + 1;
    uint8_t *out = g_malloc(alloc);
    z.next_in = (Bytef *)in;
    size_t fed = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (z.avail_in == 0 && fed < inlen) {
            size_t chunk = inlen - fed > (1u << 30) ? (1u << 30) : inlen - fed;
            z.avail_in = (uInt)chunk;
            fed += chunk;
        }
        if (size == alloc) {
            if (alloc > cap)
                break;                      /* one byte over the cap: too big */
            alloc = alloc > cap / 2 ? cap + 1 : alloc * 2;
            out = g_realloc(out, alloc);
        }
        size_t room = alloc - size > (1u << 30) ? (1u << 30) : alloc - size;
        z.next_out = out + size;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        size += room - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed == inlen)
            break;                          /* truncated input */
    }
    inflateEnd(&z);
    bool complete = rc == Z_STREAM_END && size <= cap;
    if (!complete && !(partial && size > 0 && (rc == Z_OK || rc == Z_BUF_ERROR || rc == Z_STREAM_END))) {
        g_free(out);
        return NULL;
    }
    if (size > cap)
        size = cap;
    *outlen = size;
    return out;
}
