/* Zip writer; see zip_write.h. */
#include "sanitizers/common/zip_write.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DOS_TIME 0x0000u      /* 00:00:00 */
#define DOS_DATE 0x0021u      /* 1980-01-01 */
#define FLAG_UTF8 0x0800u
#define Z64_MARK 0xFFFFFFFFu

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

void mg_zipw_init(struct mg_zipw *w, struct mg_sink *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    mg_buf_init(&w->cd);
}

void mg_zipw_free(struct mg_zipw *w)
{
    mg_buf_free(&w->cd);
}

static bool emit(struct mg_zipw *w, const void *p, size_t n)
{
    if (w->failed || !mg_sink_write(w->out, p, n)) {
        w->failed = true;
        return false;
    }
    w->off += n;
    return true;
}

/* Raw deflate of data into a malloc'd buffer; NULL when it fails. */
static uint8_t *deflate_all(const uint8_t *data, size_t len, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    if (len > (size_t)UINT32_MAX - 1024) {
        deflateEnd(&zs);
        return NULL;  /* caller stores instead */
    }
    uLong bound = deflateBound(&zs, (uLong)len);
    uint8_t *buf = malloc(bound ? bound : 1);
    if (!buf) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    *outlen = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return NULL;
    }
    return buf;
}

bool mg_zipw_add(struct mg_zipw *w, const char *name, const uint8_t *data, size_t len,
                 bool deflate)
{
    size_t nlen = strlen(name);
    if (w->failed || nlen == 0 || nlen > 0xFFFF)
        return w->failed = true, false;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t k = 0; k < len;) {
        uInt chunk = len - k > (1u << 30) ? (1u << 30) : (uInt)(len - k);
        crc = crc32(crc, data + k, chunk);
        k += chunk;
    }
    uint16_t method = 0;
    const uint8_t *body = data;
    size_t blen = len;
    uint8_t *z = NULL;
    if (deflate && len > 0) {
        size_t zl = 0;
        z = deflate_all(data, len, &zl);
        if (z && zl < len) {
            method = 8;
            body = z;
            blen = zl;
        }
    }
    uint64_t lh_off = w->off;
    bool z64 = (uint64_t)len >= Z64_MARK || (uint64_t)blen >= Z64_MARK;
    bool z64off = lh_off >= Z64_MARK;

    uint8_t lh[30 + 20];
    put32(lh, 0x04034b50u);
    put16(lh + 4, z64 ? 45 : 20);
    put16(lh + 6, FLAG_UTF8);
    put16(lh + 8, method);
    put16(lh + 10, DOS_TIME);
    put16(lh + 12, DOS_DATE);
    put32(lh + 14, (uint32_t)crc);
    put32(lh + 18, z64 ? Z64_MARK : (uint32_t)blen);
    put32(lh + 22, z64 ? Z64_MARK : (uint32_t)len);
    put16(lh + 26, (uint16_t)nlen);
    put16(lh + 28, z64 ? 20 : 0);
    size_t lhlen = 30;
    if (z64) {
        put16(lh + 30, 0x0001);
        put16(lh + 32, 16);
        put64(lh + 34, len);
        put64(lh + 42, blen);
        lhlen = 30 + 20;
    }
    bool ok = emit(w, lh, 30) && emit(w, name, nlen) && emit(w, lh + 30, lhlen - 30) &&
              emit(w, body, blen);
    free(z);
    if (!ok)
        return false;

    /* Central record, with a zip64 extra carrying whatever overflowed. */
    uint8_t cd[46], x[4 + 24];
    size_t xl = 0;
    if (z64 || z64off) {
        xl = 4;
        if (z64) { put64(x + xl, len); xl += 8; put64(x + xl, blen); xl += 8; }
        if (z64off) { put64(x + xl, lh_off); xl += 8; }
        put16(x, 0x0001);
        put16(x + 2, (uint16_t)(xl - 4));
    }
    put32(cd, 0x02014b50u);
    put16(cd + 4, (3u << 8) | (xl ? 45 : 20));  /* made by: UNIX */
    put16(cd + 6, xl ? 45 : 20);
    put16(cd + 8, FLAG_UTF8);
    put16(cd + 10, method);
    put16(cd + 12, DOS_TIME);
    put16(cd + 14, DOS_DATE);
    put32(cd + 16, (uint32_t)crc);
    put32(cd + 20, z64 ? Z64_MARK : (uint32_t)blen);
    put32(cd + 24, z64 ? Z64_MARK : (uint32_t)len);
    put16(cd + 28, (uint16_t)nlen);
    put16(cd + 30, (uint16_t)xl);
    put16(cd + 32, 0);
    put16(cd + 34, 0);
    put16(cd + 36, 0);
    put32(cd + 38, 0100644u << 16);
    put32(cd + 42, z64off ? Z64_MARK : (uint32_t)lh_off);
    mg_buf_append(&w->cd, cd, sizeof cd);
    mg_buf_append(&w->cd, name, nlen);
    mg_buf_append(&w->cd, x, xl);
    if (mg_buf_failed(&w->cd))
        return w->failed = true, false;
    w->n++;
    return true;
}

bool mg_zipw_finish(struct mg_zipw *w)
{
    if (w->failed)
        return false;
    uint64_t cd_off = w->off, cd_size = w->cd.len;
    if (!emit(w, w->cd.data, w->cd.len))
        return false;
    bool z64 = w->n >= 0xFFFF || cd_off >= Z64_MARK || cd_size >= Z64_MARK;
    if (z64) {
        uint64_t rec_off = w->off;
        uint8_t r[56], l[20];
        put32(r, 0x06064b50u);
        put64(r + 4, 44);
        put16(r + 12, (3u << 8) | 45);
        put16(r + 14, 45);
        put32(r + 16, 0);
        put32(r + 20, 0);
        put64(r + 24, w->n);
        put64(r + 32, w->n);
        put64(r + 40, cd_size);
        put64(r + 48, cd_off);
        put32(l, 0x07064b50u);
        put32(l + 4, 0);
        put64(l + 8, rec_off);
        put32(l + 16, 1);
        if (!emit(w, r, sizeof r) || !emit(w, l, sizeof l))
            return false;
    }
    uint8_t e[22];
    put32(e, 0x06054b50u);
    put16(e + 4, 0);
    put16(e + 6, 0);
    put16(e + 8, z64 ? 0xFFFF : (uint16_t)w->n);
    put16(e + 10, z64 ? 0xFFFF : (uint16_t)w->n);
    put32(e + 12, z64 ? Z64_MARK : (uint32_t)cd_size);
    put32(e + 16, z64 ? Z64_MARK : (uint32_t)cd_off);
    put16(e + 20, 0);
    return emit(w, e, sizeof e);
}
