/* Zip central-directory pre-check (see archive_zipcheck.h). Record layouts
 * from PKWARE APPNOTE 6.3.x sections 4.3.7 (local header), 4.3.12 (central
 * header), 4.3.14-16 (zip64 end records) and 4.5.3 (zip64 extra). */
#include "sanitizers/archive/archive_zipcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOC64 0x07064b50u

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

bool mg_zipcheck_is_zip(const uint8_t *data, size_t len)
{
    if (len < 4)
        return false;
    uint32_t sig = rd32(data);
    return sig == SIG_LOCAL || sig == SIG_END || sig == 0x08074b50u /* spanned marker */;
}

struct span {
    uint64_t start, end;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

static enum mg_ar_status fail(enum mg_ar_status st, char *detail, size_t detlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records why in detail and returns st. */
static enum mg_ar_status fail(enum mg_ar_status st, char *detail, size_t detlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, detlen, fmt, ap);
    va_end(ap);
    return st;
}

/* a * b saturating at UINT64_MAX. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

enum mg_ar_status mg_zipcheck(const uint8_t *data, size_t len, const struct mg_ar_limits *lim,
                              char *detail, size_t detlen)
{
    if (len < 22)
        return fail(MG_AR_MALFORMED, detail, detlen, "zip shorter than its end record (%llu bytes)",
                    (unsigned long long)len);
    /* The end record is the last 22 bytes plus a comment of up to 65535. */
    size_t eocd = SIZE_MAX;
    size_t lowest = len > 22 + 65535 ? len - 22 - 65535 : 0;
    for (size_t p = len - 22 + 1; p-- > lowest;) {
        if (rd32(data + p) == SIG_END && p + 22 + rd16(data + p + 20) == len) {
            eocd = p;
            break;
        }
    }
    if (eocd == SIZE_MAX)
        return fail(MG_AR_MALFORMED, detail, detlen,
                    "zip end of central directory not found (truncated?)");
    uint64_t count = rd16(data + eocd + 10);
    uint64_t cd_size = rd32(data + eocd + 12);
    uint64_t cd_off = rd32(data + eocd + 16);
    uint64_t cd_limit = eocd;
    if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
        if (eocd < 20 || rd32(data + eocd - 20) != SIG_LOC64)
            return fail(MG_AR_MALFORMED, detail, detlen, "zip64 locator missing");
        uint64_t e64 = rd64(data + eocd - 20 + 8);
        if (e64 > eocd - 20 || eocd - 20 - e64 < 56 || rd32(data + e64) != SIG_END64)
            return fail(MG_AR_MALFORMED, detail, detlen, "zip64 end record out of bounds");
        count = rd64(data + e64 + 32);
        cd_size = rd64(data + e64 + 40);
        cd_off = rd64(data + e64 + 48);
        cd_limit = e64;
    }
    if (cd_off > cd_limit || cd_size > cd_limit - cd_off)
        return fail(MG_AR_MALFORMED, detail, detlen,
                    "zip central directory out of bounds (offset %llu)", (unsigned long long)cd_off);
    if (lim->max_members != 0 && count > lim->max_members)
        return fail(MG_AR_LIMIT_COUNT, detail, detlen, "zip declares %llu members",
                    (unsigned long long)count);
    /* Each central record is at least 46 bytes: a count the directory cannot hold is a lie. */
    if (count > cd_size / 46)
        return fail(MG_AR_MALFORMED, detail, detlen, "zip declares %llu members that do not fit",
                    (unsigned long long)count);

    struct span *spans = calloc((size_t)count + 1, sizeof(*spans));
    if (spans == NULL)
        return fail(MG_AR_RESOURCES, detail, detlen, "out of memory for %llu zip entries",
                    (unsigned long long)count);
    enum mg_ar_status st = MG_AR_OK;
    uint64_t total = 0;
    uint64_t p = cd_off;
    uint64_t ratio_cap = lim->max_ratio ? mul_sat(lim->max_ratio, len) : UINT64_MAX;
    if (ratio_cap < lim->ratio_floor)
        ratio_cap = lim->ratio_floor;
    size_t i;
    for (i = 0; i < count; i++) {
        if (cd_off + cd_size - p < 46 || rd32(data + p) != SIG_CENTRAL) {
            st = fail(MG_AR_MALFORMED, detail, detlen, "zip central record %llu is damaged",
                      (unsigned long long)i);
            break;
        }
        const uint8_t *c = data + p;
        uint16_t flags = rd16(c + 8);
        uint64_t csize = rd32(c + 20), usize = rd32(c + 24);
        uint64_t nlen = rd16(c + 28), xlen = rd16(c + 30), klen = rd16(c + 32);
        uint64_t loff = rd32(c + 42);
        if (cd_off + cd_size - p - 46 < nlen + xlen + klen) {
            st = fail(MG_AR_MALFORMED, detail, detlen, "zip central record %llu overruns",
                      (unsigned long long)i);
            break;
        }
        /* Zip64 extra: the 8-byte values appear only for fields set to all ones. */
        const uint8_t *x = c + 46 + nlen, *xend = x + xlen;
        while (xend - x >= 4) {
            uint16_t id = rd16(x), sz = rd16(x + 2);
            if ((size_t)(xend - x - 4) < sz)
                break;
            if (id == 0x0001) {
                const uint8_t *v = x + 4, *vend = v + sz;
                if (usize == 0xFFFFFFFFu && vend - v >= 8) { usize = rd64(v); v += 8; }
                if (csize == 0xFFFFFFFFu && vend - v >= 8) { csize = rd64(v); v += 8; }
                if (loff == 0xFFFFFFFFu && vend - v >= 8) { loff = rd64(v); v += 8; }
            }
            x += 4 + sz;
        }
        /* bit 0: encrypted, bit 6: strong encryption; allowed only when
         * an administrator gave the password (quarantine unlock). */
        if ((flags & 0x0041) && lim->passphrase == NULL) {
            st = fail(MG_AR_ENCRYPTED, detail, detlen, "zip member %llu is encrypted",
                      (unsigned long long)i);
            break;
        }
        if (lim->max_member != 0 && usize > lim->max_member) {
            st = fail(MG_AR_LIMIT_SIZE, detail, detlen, "zip member declares %llu bytes",
                      (unsigned long long)usize);
            break;
        }
        /* Per member: declared expansion against its own compressed size. */
        if (lim->max_ratio != 0 && usize > lim->ratio_floor &&
            usize > mul_sat(lim->max_ratio, csize)) {
            st = fail(MG_AR_LIMIT_RATIO, detail, detlen,
                      "zip member declares %llu bytes expanded", (unsigned long long)usize);
            break;
        }
        total = usize > UINT64_MAX - total ? UINT64_MAX : total + usize;
        if (lim->max_ratio != 0 && total > ratio_cap) {
            st = fail(MG_AR_LIMIT_RATIO, detail, detlen,
                      "zip members declare %llu bytes expanded in all", (unsigned long long)total);
            break;
        }
        /* The local header and its data must lie before the central directory. */
        if (loff > cd_off || cd_off - loff < 30 || rd32(data + loff) != SIG_LOCAL) {
            st = fail(MG_AR_MALFORMED, detail, detlen, "zip local header %llu not found",
                      (unsigned long long)i);
            break;
        }
        uint64_t lhdr = 30 + (uint64_t)rd16(data + loff + 26) + rd16(data + loff + 28);
        if (cd_off - loff < lhdr || cd_off - loff - lhdr < csize) {
            st = fail(MG_AR_MALFORMED, detail, detlen, "zip member %llu runs past its end",
                      (unsigned long long)i);
            break;
        }
        spans[i].start = loff;
        spans[i].end = loff + lhdr + csize;
        p += 46 + nlen + xlen + klen;
    }
    if (st == MG_AR_OK && count > 1) {
        qsort(spans, (size_t)count, sizeof(*spans), span_cmp);
        for (i = 1; i < count; i++) {
            if (spans[i].start < spans[i - 1].end) {
                st = fail(MG_AR_MALFORMED, detail, detlen,
                          "zip members overlap at offset %llu (zip bomb construction)",
                          (unsigned long long)spans[i].start);
                break;
            }
        }
    }
    free(spans);
    return st;
}
