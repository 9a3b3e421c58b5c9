/* Bounds-checked zip reader; see zip_read.h. Every offset read from the file
 * is checked against the buffer with rd_ok() before use. */
#include "sanitizers/common/zip_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_DD 0x08074b50u

#define FLAG_ENCRYPTED 0x0001u
#define FLAG_DESCRIPTOR 0x0008u
#define FLAG_STRONG 0x0040u
#define FLAG_CD_MASKED 0x2000u

#define MAX_NAME 1024u
#define DEFAULT_MAX_ENTRIES (65535u * 16u)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* [off, off+n) lies inside the buffer. */
static bool rd_ok(const struct mg_zip *z, uint64_t off, uint64_t n)
{
    return off <= z->len && n <= z->len - off;
}

__attribute__((format(printf, 3, 4)))
static enum mg_zip_status fail(struct mg_zip *z, enum mg_zip_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(z->err, sizeof z->err, fmt, ap);
    va_end(ap);
    return st;
}

void mg_zip_close(struct mg_zip *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->n; i++)
        free(z->e[i].name);
    free(z->e);
    z->e = NULL;
    z->n = 0;
}

const char *mg_zip_status_name(enum mg_zip_status s)
{
    switch (s) {
    case MG_ZIP_OK: return "ok";
    case MG_ZIP_MALFORMED: return "malformed";
    case MG_ZIP_ENCRYPTED: return "encrypted";
    case MG_ZIP_LIMIT_SIZE: return "limit-size";
    case MG_ZIP_LIMIT_RATIO: return "limit-ratio";
    case MG_ZIP_LIMIT_COUNT: return "limit-count";
    case MG_ZIP_NOMEM: return "nomem";
    }
    return "?";
}

struct eocd {
    uint64_t off;         /* where the classic EOCD record starts */
    uint64_t cd_end;      /* where the central directory must end */
    uint64_t n;
    uint64_t cd_off, cd_size;
};

/* The EOCD must be the last record: its comment runs exactly to the end of
 * the file. Trailing or leading junk (self-extractors, polyglots) is refused. */
static enum mg_zip_status find_eocd(struct mg_zip *z, struct eocd *d)
{
    if (z->len < 22)
        return fail(z, MG_ZIP_MALFORMED, "too short for a zip");
    size_t lo = z->len > 22 + 65535 ? z->len - 22 - 65535 : 0;
    size_t pos = z->len - 22;
    bool found = false;
    for (;;) {
        const uint8_t *p = z->data + pos;
        if (rd32(p) == SIG_EOCD && (uint64_t)pos + 22 + rd16(p + 20) == z->len) {
            found = true;
            break;
        }
        if (pos == lo)
            break;
        pos--;
    }
    if (!found)
        return fail(z, MG_ZIP_MALFORMED, "no end of central directory (truncated?)");
    const uint8_t *p = z->data + pos;
    z->hidden += rd16(p + 20);   /* archive comment */
    if (rd16(p + 4) != 0 || rd16(p + 6) != 0)
        return fail(z, MG_ZIP_MALFORMED, "multi-disk zip");
    uint16_t n_disk = rd16(p + 8), n_all = rd16(p + 10);
    if (n_disk != n_all)
        return fail(z, MG_ZIP_MALFORMED, "entry counts disagree");
    d->off = pos;
    d->cd_end = pos;
    d->n = n_all;
    d->cd_size = rd32(p + 12);
    d->cd_off = rd32(p + 16);
    if (n_all != 0xFFFF && d->cd_size != 0xFFFFFFFFu && d->cd_off != 0xFFFFFFFFu)
        return MG_ZIP_OK;

    /* zip64: locator right before the EOCD, record where it says. */
    if (pos < 20 || rd32(z->data + pos - 20) != SIG_LOC64)
        return fail(z, MG_ZIP_MALFORMED, "zip64 markers without a zip64 locator");
    const uint8_t *l = z->data + pos - 20;
    if (rd32(l + 4) != 0 || rd32(l + 16) != 1)
        return fail(z, MG_ZIP_MALFORMED, "multi-disk zip64");
    uint64_t r = rd64(l + 8);
    if (!rd_ok(z, r, 56) || r + 56 > pos - 20 || rd32(z->data + r) != SIG_EOCD64)
        return fail(z, MG_ZIP_MALFORMED, "bad zip64 end of central directory");
    const uint8_t *q = z->data + r;
    uint64_t recsize = rd64(q + 4);
    if (recsize < 44 || r + 12 + recsize != pos - 20)
        return fail(z, MG_ZIP_MALFORMED, "zip64 record size");
    if (rd32(q + 16) != 0 || rd32(q + 20) != 0 || rd64(q + 24) != rd64(q + 32))
        return fail(z, MG_ZIP_MALFORMED, "multi-disk zip64");
    uint64_t n64 = rd64(q + 32), sz64 = rd64(q + 40), off64 = rd64(q + 48);
    /* The classic fields must agree wherever they are not the marker. */
    if ((n_all != 0xFFFF && n_all != n64) ||
        (d->cd_size != 0xFFFFFFFFu && d->cd_size != sz64) ||
        (d->cd_off != 0xFFFFFFFFu && d->cd_off != off64))
        return fail(z, MG_ZIP_MALFORMED, "zip64 and classic directory disagree");
    d->n = n64;
    d->cd_size = sz64;
    d->cd_off = off64;
    d->cd_end = r;
    z->hidden += recsize - 44;   /* zip64 extensible data sector */
    z->zip64 = true;
    return MG_ZIP_OK;
}

/* Pulls the 64-bit values out of the zip64 extra field (0x0001) for those
 * classic fields that hold the 0xFFFFFFFF marker, in the order the spec sets. */
static bool zip64_extra(const uint8_t *x, size_t xlen, bool need_u, bool need_c, bool need_o,
                        uint64_t *u, uint64_t *c, uint64_t *o)
{
    size_t i = 0;
    bool seen = false;
    while (i + 4 <= xlen) {
        uint16_t id = rd16(x + i), sz = rd16(x + i + 2);
        if (sz > xlen - i - 4)
            return false;
        if (id == 0x0001) {
            if (seen)
                return false;
            seen = true;
            const uint8_t *f = x + i + 4;
            size_t k = 0;
            if (need_u) { if (k + 8 > sz) return false; *u = rd64(f + k); k += 8; }
            if (need_c) { if (k + 8 > sz) return false; *c = rd64(f + k); k += 8; }
            if (need_o) { if (k + 8 > sz) return false; *o = rd64(f + k); k += 8; }
        }
        i += 4 + (size_t)sz;
    }
    if (i != xlen)
        return false;
    return seen || (!need_u && !need_c && !need_o);
}

static int cmp_off(const void *a, const void *b)
{
    const struct mg_zip_entry *x = *(const struct mg_zip_entry *const *)a;
    const struct mg_zip_entry *y = *(const struct mg_zip_entry *const *)b;
    return x->lh_off < y->lh_off ? -1 : x->lh_off > y->lh_off;
}

static int ci_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') ca = (unsigned char)(ca + 32);
        if (cb >= 'A' && cb <= 'Z') cb = (unsigned char)(cb + 32);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

static int cmp_name(const void *a, const void *b)
{
    const struct mg_zip_entry *x = *(const struct mg_zip_entry *const *)a;
    const struct mg_zip_entry *y = *(const struct mg_zip_entry *const *)b;
    return ci_cmp(x->name, y->name);
}

/* Local header of e: cross-check with the central record, find the data and
 * its end (including a data descriptor). cd_start bounds everything. */
static enum mg_zip_status check_local(struct mg_zip *z, struct mg_zip_entry *e, uint64_t cd_start)
{
    if (!rd_ok(z, e->lh_off, 30) || e->lh_off + 30 > cd_start)
        return fail(z, MG_ZIP_MALFORMED, "local header of %s out of range", e->name);
    const uint8_t *p = z->data + e->lh_off;
    if (rd32(p) != SIG_LOCAL)
        return fail(z, MG_ZIP_MALFORMED, "no local header for %s", e->name);
    uint16_t flags = rd16(p + 6), method = rd16(p + 8);
    uint32_t crc = rd32(p + 14), cs = rd32(p + 18), us = rd32(p + 22);
    uint16_t nlen = rd16(p + 26), xlen = rd16(p + 28);
    if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG)) != 0)
        return fail(z, MG_ZIP_ENCRYPTED, "%s is encrypted", e->name);
    if (method != e->method || (flags & FLAG_DESCRIPTOR) != (e->flags & FLAG_DESCRIPTOR))
        return fail(z, MG_ZIP_MALFORMED, "local header of %s disagrees with the directory", e->name);
    uint64_t hdr_end = e->lh_off + 30 + nlen + xlen;
    if (hdr_end > cd_start)
        return fail(z, MG_ZIP_MALFORMED, "local header of %s out of range", e->name);
    if (nlen != e->name_len || memcmp(p + 30, e->name, nlen) != 0)
        return fail(z, MG_ZIP_MALFORMED, "local name differs from directory name %s", e->name);
    e->data_off = hdr_end;
    if (e->csize > cd_start - e->data_off)
        return fail(z, MG_ZIP_MALFORMED, "data of %s out of range", e->name);
    uint64_t end = e->data_off + e->csize;

    if (!(flags & FLAG_DESCRIPTOR)) {
        uint64_t lu = us, lc = cs, dummy = 0;
        bool nu = us == 0xFFFFFFFFu, nc = cs == 0xFFFFFFFFu;
        if ((nu || nc) && !zip64_extra(p + 30 + nlen, xlen, nu, nc, false, &lu, &lc, &dummy))
            return fail(z, MG_ZIP_MALFORMED, "bad zip64 extra in local header of %s", e->name);
        if (crc != e->crc || lu != e->usize || lc != e->csize)
            return fail(z, MG_ZIP_MALFORMED, "local sizes/CRC of %s disagree with the directory", e->name);
    } else {
        /* Descriptor: optional signature, CRC, then 4- or 8-byte sizes. The
         * 8-byte form is used when the entry is zip64; accept whichever
         * matches the directory exactly. */
        uint64_t q = end;
        if (rd_ok(z, q, 4) && q + 4 <= cd_start && rd32(z->data + q) == SIG_DD)
            q += 4;
        bool ok = false;
        if (rd_ok(z, q, 12) && q + 12 <= cd_start && rd32(z->data + q) == e->crc &&
            rd32(z->data + q + 4) == e->csize && rd32(z->data + q + 8) == e->usize) {
            end = q + 12;
            ok = true;
        } else if (rd_ok(z, q, 20) && q + 20 <= cd_start && rd32(z->data + q) == e->crc &&
                   rd64(z->data + q + 4) == e->csize && rd64(z->data + q + 12) == e->usize) {
            end = q + 20;
            ok = true;
        }
        if (!ok)
            return fail(z, MG_ZIP_MALFORMED, "data descriptor of %s missing or disagrees", e->name);
    }
    e->end_off = end;
    return MG_ZIP_OK;
}

static enum mg_zip_status check_limits(struct mg_zip *z, const struct mg_zip_entry *e,
                                       const struct mg_zip_limits *lim)
{
    if (lim->max_entry_size && e->usize > lim->max_entry_size)
        return fail(z, MG_ZIP_LIMIT_SIZE, "%s expands to %llu bytes", e->name,
                    (unsigned long long)e->usize);
    if (e->usize > SIZE_MAX - 1)
        return fail(z, MG_ZIP_LIMIT_SIZE, "%s too large", e->name);
    if (z->total_usize > UINT64_MAX - e->usize)
        return fail(z, MG_ZIP_LIMIT_SIZE, "total size overflows");
    z->total_usize += e->usize;
    if (lim->max_total_size && z->total_usize > lim->max_total_size)
        return fail(z, MG_ZIP_LIMIT_SIZE, "entries expand to more than %llu bytes",
                    (unsigned long long)lim->max_total_size);
    if (lim->max_ratio && e->usize > MG_ZIP_RATIO_FLOOR &&
        (e->csize == 0 || e->usize / e->csize >= lim->max_ratio))
        return fail(z, MG_ZIP_LIMIT_RATIO, "%s: %llu bytes from %llu", e->name,
                    (unsigned long long)e->usize, (unsigned long long)e->csize);
    return MG_ZIP_OK;
}

/* One central-directory record at *pos (advanced past it). */
static enum mg_zip_status read_central(struct mg_zip *z, uint64_t *pos, uint64_t cd_end,
                                       struct mg_zip_entry *e)
{
    uint64_t at = *pos;
    if (at + 46 > cd_end || !rd_ok(z, at, 46))
        return fail(z, MG_ZIP_MALFORMED, "central directory truncated");
    const uint8_t *p = z->data + at;
    if (rd32(p) != SIG_CENTRAL)
        return fail(z, MG_ZIP_MALFORMED, "bad central directory record");
    e->flags = rd16(p + 8);
    e->method = rd16(p + 10);
    e->crc = rd32(p + 16);
    uint32_t cs = rd32(p + 20), us = rd32(p + 24);
    uint16_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
    uint16_t disk = rd16(p + 34);
    uint32_t lo = rd32(p + 42);
    uint64_t rec = 46u + (uint64_t)nlen + xlen + clen;
    if (at + rec > cd_end)
        return fail(z, MG_ZIP_MALFORMED, "central directory record out of range");
    if (nlen == 0 || nlen > MAX_NAME || memchr(p + 46, 0, nlen))
        return fail(z, MG_ZIP_MALFORMED, "bad entry name");
    e->name = malloc((size_t)nlen + 1);
    if (!e->name)
        return fail(z, MG_ZIP_NOMEM, "out of memory");
    memcpy(e->name, p + 46, nlen);
    e->name[nlen] = '\0';
    e->name_len = nlen;
    e->is_dir = e->name[nlen - 1] == '/';
    if (disk != 0 && disk != 0xFFFF)
        return fail(z, MG_ZIP_MALFORMED, "multi-disk entry %s", e->name);
    if ((e->flags & (FLAG_ENCRYPTED | FLAG_STRONG | FLAG_CD_MASKED)) || e->method == 99)
        return fail(z, MG_ZIP_ENCRYPTED, "%s is encrypted", e->name);
    if (e->method != 0 && e->method != 8)
        return fail(z, MG_ZIP_MALFORMED, "%s uses compression method %u", e->name, e->method);
    e->usize = us;
    e->csize = cs;
    e->lh_off = lo;
    bool nu = us == 0xFFFFFFFFu, nc = cs == 0xFFFFFFFFu, no = lo == 0xFFFFFFFFu;
    if (!zip64_extra(p + 46 + nlen, xlen, nu, nc, no, &e->usize, &e->csize, &e->lh_off))
        return fail(z, MG_ZIP_MALFORMED, "bad extra field for %s", e->name);
    if (e->method == 0 && e->usize != e->csize)
        return fail(z, MG_ZIP_MALFORMED, "stored entry %s with differing sizes", e->name);
    z->hidden += clen;   /* entry comment */
    *pos = at + rec;
    return MG_ZIP_OK;
}

enum mg_zip_status mg_zip_open(struct mg_zip *z, const uint8_t *data, size_t len,
                               const struct mg_zip_limits *lim)
{
    memset(z, 0, sizeof *z);
    z->data = data;
    z->len = len;
    if (!data)
        return fail(z, MG_ZIP_MALFORMED, "no data");
    struct eocd d = { 0 };
    enum mg_zip_status st = find_eocd(z, &d);
    if (st != MG_ZIP_OK)
        return st;
    uint64_t max_n = lim->max_entries ? lim->max_entries : DEFAULT_MAX_ENTRIES;
    if (d.n > max_n)
        return fail(z, MG_ZIP_LIMIT_COUNT, "%llu entries", (unsigned long long)d.n);
    /* The directory ends exactly where the end records start: no gaps, no
     * data hidden between them. Each record is at least 46 bytes. */
    if (d.cd_off > d.cd_end || d.cd_size != d.cd_end - d.cd_off)
        return fail(z, MG_ZIP_MALFORMED, "central directory offset/size inconsistent");
    if (d.n > d.cd_size / 46)
        return fail(z, MG_ZIP_MALFORMED, "entry count larger than the directory");
    if (d.n == 0)
        return fail(z, MG_ZIP_MALFORMED, "empty zip");

    z->e = calloc((size_t)d.n, sizeof *z->e);
    struct mg_zip_entry **order = calloc((size_t)d.n, sizeof *order);
    if (!z->e || !order) {
        free(order);
        return fail(z, MG_ZIP_NOMEM, "out of memory");
    }
    uint64_t pos = d.cd_off;
    for (uint64_t i = 0; i < d.n && st == MG_ZIP_OK; i++) {
        z->n = (size_t)i + 1;
        st = read_central(z, &pos, d.cd_end, &z->e[i]);
        if (st == MG_ZIP_OK)
            st = check_limits(z, &z->e[i], lim);
        if (st == MG_ZIP_OK)
            st = check_local(z, &z->e[i], d.cd_off);
        order[i] = &z->e[i];
    }
    if (st == MG_ZIP_OK && pos != d.cd_end)
        st = fail(z, MG_ZIP_MALFORMED, "central directory has trailing bytes");
    /* Many entries each under the per-entry floor still make a bomb. */
    if (st == MG_ZIP_OK && lim->max_ratio && z->total_usize > MG_ZIP_RATIO_FLOOR &&
        z->total_usize / len >= lim->max_ratio)
        st = fail(z, MG_ZIP_LIMIT_RATIO, "entries expand to %llu bytes from %zu",
                  (unsigned long long)z->total_usize, len);
    if (st == MG_ZIP_OK) {
        /* Entries are disjoint and the first starts at 0 (no hidden prefix). */
        qsort(order, z->n, sizeof *order, cmp_off);
        if (order[0]->lh_off != 0)
            st = fail(z, MG_ZIP_MALFORMED, "data before the first entry");
        for (size_t i = 0; st == MG_ZIP_OK && i + 1 < z->n; i++) {
            if (order[i]->end_off > order[i + 1]->lh_off)
                st = fail(z, MG_ZIP_MALFORMED, "entries %s and %s overlap", order[i]->name,
                          order[i + 1]->name);
            else
                z->hidden += order[i + 1]->lh_off - order[i]->end_off;   /* gap */
        }
        if (st == MG_ZIP_OK)
            z->hidden += d.cd_off - order[z->n - 1]->end_off;
    }
    if (st == MG_ZIP_OK) {
        qsort(order, z->n, sizeof *order, cmp_name);
        for (size_t i = 0; st == MG_ZIP_OK && i + 1 < z->n; i++) {
            if (ci_cmp(order[i]->name, order[i + 1]->name) == 0)
                st = fail(z, MG_ZIP_MALFORMED, "duplicate entry name %s", order[i]->name);
        }
    }
    free(order);
    if (st != MG_ZIP_OK)
        mg_zip_close(z);
    return st;
}

long mg_zip_find(const struct mg_zip *z, const char *name)
{
    for (size_t i = 0; i < z->n; i++) {
        if (strcmp(z->e[i].name, name) == 0)
            return (long)i;
    }
    return -1;
}

long mg_zip_find_ci(const struct mg_zip *z, const char *name)
{
    for (size_t i = 0; i < z->n; i++) {
        if (ci_cmp(z->e[i].name, name) == 0)
            return (long)i;
    }
    return -1;
}

enum mg_zip_status mg_zip_extract(struct mg_zip *z, size_t i, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (i >= z->n)
        return fail(z, MG_ZIP_MALFORMED, "no such entry");
    const struct mg_zip_entry *e = &z->e[i];
    size_t us = (size_t)e->usize;  /* checked against SIZE_MAX in check_limits */
    uint8_t *buf = malloc(us + 1);
    if (!buf)
        return fail(z, MG_ZIP_NOMEM, "out of memory");
    const uint8_t *src = z->data + e->data_off;
    if (e->method == 0) {
        memcpy(buf, src, us);
    } else {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
            free(buf);
            return fail(z, MG_ZIP_NOMEM, "inflateInit failed");
        }
        /* zlib counts in uInt: feed and drain in bounded chunks. Output
         * space is exactly usize plus one byte, so a stream that expands
         * further than declared is caught, never buffered. */
        uint64_t in_left = e->csize;
        size_t produced = 0;
        int rc = Z_OK;
        uint8_t spare;
        while (rc == Z_OK) {
            if (zs.avail_in == 0 && in_left > 0) {
                uInt chunk = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
                zs.next_in = (Bytef *)(uintptr_t)(src + (e->csize - in_left));
                zs.avail_in = chunk;
                in_left -= chunk;
            }
            if (produced < us) {
                size_t room = us - produced;
                zs.next_out = buf + produced;
                zs.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
            } else {
                zs.next_out = &spare;
                zs.avail_out = 1;
            }
            uInt before = zs.avail_out, before_in = zs.avail_in;
            rc = inflate(&zs, Z_NO_FLUSH);
            produced += before - zs.avail_out;
            if (produced > us)
                break;
            if (rc == Z_BUF_ERROR) {
                /* No progress is possible unless fresh input follows. */
                if (in_left == 0 || zs.avail_in != 0 || before_in != 0)
                    break;
                rc = Z_OK;
            }
        }
        bool used_all = zs.avail_in == 0 && in_left == 0;
        inflateEnd(&zs);
        if (rc != Z_STREAM_END || produced != us || !used_all) {
            free(buf);
            return fail(z, MG_ZIP_MALFORMED, "deflate data of %s is corrupt or its size is wrong",
                        e->name);
        }
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    size_t k = 0;
    while (k < us) {
        uInt chunk = us - k > (1u << 30) ? (1u << 30) : (uInt)(us - k);
        crc = crc32(crc, buf + k, chunk);
        k += chunk;
    }
    if ((uint32_t)crc != e->crc) {
        free(buf);
        return fail(z, MG_ZIP_MALFORMED, "CRC mismatch in %s", e->name);
    }
    buf[us] = '\0';
    *out = buf;
    *outlen = us;
    return MG_ZIP_OK;
}
