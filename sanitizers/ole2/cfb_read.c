/* MS-CFB reader: header, DIFAT, FAT, miniFAT, directory, streams. Every
 * sector number is range checked and may be used once in the whole file
 * (one bitmap for regular sectors, one for mini sectors), which catches
 * loops and cross-linked chains alike and bounds the bytes copied out by the
 * file's own size. The directory tree is walked with an explicit stack. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitizers/ole2/cfb.h"

#define ENDOFCHAIN 0xFFFFFFFEu
#define NOSTREAM 0xFFFFFFFFu

struct rd {
    const uint8_t *data;
    size_t len;
    size_t ss;              /* sector size */
    size_t nsec;            /* sectors present in the file (last may be partial) */
    uint8_t *used;          /* bitmap over nsec */
    uint32_t *fat;
    size_t fat_n;
    uint8_t *mini;          /* the ministream */
    size_t mini_len;
    uint32_t *minifat;
    size_t minifat_n;
    uint8_t *mused;         /* bitmap over mini sectors */
    char *err;
    size_t errlen;
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t le64(const uint8_t *p) { return le32(p) | ((uint64_t)le32(p + 4) << 32); }

__attribute__((format(printf, 2, 3)))
static enum mg_cfb_status bad(struct rd *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return MG_CFB_MALFORMED;
}

static bool bit_test_set(uint8_t *bm, size_t i)
{
    uint8_t m = (uint8_t)(1u << (i & 7));
    if (bm[i >> 3] & m)
        return true;
    bm[i >> 3] |= m;
    return false;
}

/* Bytes of sector sid available in the file (the last may be short). */
static const uint8_t *sector(const struct rd *r, size_t sid, size_t *avail)
{
    size_t off = (sid + 1) * r->ss;
    if (sid >= r->nsec || off >= r->len) {
        *avail = 0;
        return NULL;
    }
    *avail = r->len - off < r->ss ? r->len - off : r->ss;
    return r->data + off;
}

/* Follows a FAT chain from start for `size` bytes into a new buffer. With
 * size_known false, reads until ENDOFCHAIN, at most max_bytes. */
static enum mg_cfb_status read_chain(struct rd *r, uint32_t start, uint64_t size, bool size_known,
                                     size_t max_bytes, const char *what,
                                     uint8_t **outp, size_t *outlen)
{
    *outp = NULL;
    *outlen = 0;
    if (size_known && size > r->len)
        return bad(r, "%s: size %llu larger than the file", what, (unsigned long long)size);
    size_t want = size_known ? (size_t)size : max_bytes;
    uint8_t *buf = malloc(want ? want : 1);
    if (buf == NULL)
        return MG_CFB_NOMEM;
    size_t got = 0;
    uint32_t sid = start;
    while (got < want) {
        if (sid == ENDOFCHAIN && !size_known)
            break;
        if (sid >= r->nsec || sid >= r->fat_n) {
            free(buf);
            if (sid == ENDOFCHAIN)
                return bad(r, "%s: chain ends after %zu of %zu bytes", what, got, want);
            if (sid < r->fat_n)
                return bad(r, "%s: sector %u lies past the end of the file (truncated)", what,
                           (unsigned)sid);
            return bad(r, "%s: sector number 0x%08x out of range", what, (unsigned)sid);
        }
        if (bit_test_set(r->used, sid)) {
            free(buf);
            return bad(r, "%s: sector %u used twice (loop or cross-linked chain)", what, (unsigned)sid);
        }
        size_t avail;
        const uint8_t *p = sector(r, sid, &avail);
        size_t need = want - got < r->ss ? want - got : r->ss;
        if (avail < need) {
            free(buf);
            return bad(r, "%s: sector %u lies past the end of the file (truncated)", what, (unsigned)sid);
        }
        memcpy(buf + got, p, need);
        got += need;
        sid = r->fat[sid];
    }
    if (!size_known && sid != ENDOFCHAIN) {
        free(buf);
        return bad(r, "%s: longer than %zu bytes", what, max_bytes);
    }
    *outp = buf;
    *outlen = got;
    return MG_CFB_OK;
}

static enum mg_cfb_status read_mini_chain(struct rd *r, uint32_t start, size_t size,
                                          const char *what, uint8_t **outp)
{
    *outp = NULL;
    uint8_t *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return MG_CFB_NOMEM;
    size_t nmini = (r->mini_len + 63) / 64;   /* the last one may be short */
    size_t got = 0;
    uint32_t sid = start;
    while (got < size) {
        if (sid >= nmini || sid >= r->minifat_n) {
            free(buf);
            return bad(r, "%s: mini sector 0x%08x out of range", what, (unsigned)sid);
        }
        if (bit_test_set(r->mused, sid)) {
            free(buf);
            return bad(r, "%s: mini sector %u used twice (loop or cross-linked chain)", what, (unsigned)sid);
        }
        size_t need = size - got < 64 ? size - got : 64;
        if ((size_t)sid * 64 + need > r->mini_len) {
            free(buf);
            return bad(r, "%s: mini sector %u lies past the end of the ministream", what, (unsigned)sid);
        }
        memcpy(buf + got, r->mini + (size_t)sid * 64, need);
        got += need;
        sid = r->minifat[sid];
    }
    *outp = buf;
    return MG_CFB_OK;
}

static enum mg_cfb_status read_fat(struct rd *r, const uint8_t *h)
{
    uint32_t nfat = le32(h + 0x2C);
    uint32_t difat_start = le32(h + 0x44);
    uint32_t ndifat = le32(h + 0x48);
    if (nfat > r->nsec)
        return bad(r, "header: %u FAT sectors in a file of %zu sectors", (unsigned)nfat, r->nsec);
    if (ndifat > r->nsec)
        return bad(r, "header: %u DIFAT sectors in a file of %zu sectors", (unsigned)ndifat, r->nsec);
    size_t per = r->ss / 4;
    uint32_t *ids = malloc(((size_t)nfat ? nfat : 1) * sizeof *ids);
    if (ids == NULL)
        return MG_CFB_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < 109 && n < nfat; i++)
        ids[n++] = le32(h + 0x4C + 4 * i);
    uint32_t sid = difat_start;
    for (uint32_t k = 0; n < nfat; k++) {
        if (k >= ndifat || sid >= r->nsec) {
            free(ids);
            return bad(r, "DIFAT: chain ends or leaves the file after %zu of %u FAT sectors",
                       n, (unsigned)nfat);
        }
        if (bit_test_set(r->used, sid)) {
            free(ids);
            return bad(r, "DIFAT: sector %u used twice", (unsigned)sid);
        }
        size_t avail;
        const uint8_t *p = sector(r, sid, &avail);
        if (avail < r->ss) {
            free(ids);
            return bad(r, "DIFAT: sector %u truncated", (unsigned)sid);
        }
        for (size_t i = 0; i + 1 < per && n < nfat; i++)
            ids[n++] = le32(p + 4 * i);
        sid = le32(p + r->ss - 4);
    }
    r->fat_n = (size_t)nfat * per;
    r->fat = malloc((r->fat_n ? r->fat_n : 1) * sizeof *r->fat);
    if (r->fat == NULL) {
        free(ids);
        return MG_CFB_NOMEM;
    }
    for (size_t i = 0; i < nfat; i++) {
        if (ids[i] >= r->nsec || bit_test_set(r->used, ids[i])) {
            enum mg_cfb_status st = bad(r, "FAT sector number 0x%08x out of range or used twice",
                                        (unsigned)ids[i]);
            free(ids);
            return st;
        }
        size_t avail;
        const uint8_t *p = sector(r, ids[i], &avail);
        if (avail < r->ss) {
            unsigned bad_sid = (unsigned)ids[i];
            free(ids);
            return bad(r, "FAT sector %u truncated", bad_sid);
        }
        for (size_t j = 0; j < per; j++)
            r->fat[i * per + j] = le32(p + 4 * j);
    }
    free(ids);
    return MG_CFB_OK;
}

struct dirent_raw {
    const uint8_t *p;
};

static enum mg_cfb_status add_entry(struct rd *r, struct mg_cfb *c, const uint8_t *p, size_t parent,
                                    unsigned major, size_t id)
{
    struct mg_cfb_entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    uint16_t nlen = le16(p + 0x40);
    if (nlen < 2 || nlen > 64 || (nlen & 1) || le16(p + nlen - 2) != 0)
        return bad(r, "directory entry %zu: bad name length %u", id, (unsigned)nlen);
    e->name_len = nlen / 2 - 1;
    for (size_t i = 0; i < e->name_len; i++) {
        e->name[i] = le16(p + 2 * i);
        if (e->name[i] == 0)
            return bad(r, "directory entry %zu: NUL inside the name", id);
    }
    e->type = p[0x42];
    memcpy(e->clsid, p + 0x50, 16);
    e->state = le32(p + 0x60);
    e->ctime = le64(p + 0x64);
    e->mtime = le64(p + 0x6C);
    e->parent = parent;
    e->first_child = e->next_sibling = MG_CFB_NONE;
    uint64_t size = le64(p + 0x78);
    if (major == 3)
        size &= 0xFFFFFFFFu;  /* v3 writers leave junk in the high half (MS-CFB 2.6.3) */
    if (e->type == MG_CFB_STREAM) {
        if (size > r->len)
            return bad(r, "stream entry %zu: size %llu larger than the file", id,
                       (unsigned long long)size);
        e->size = (size_t)size;
        uint32_t start = le32(p + 0x74);
        enum mg_cfb_status st;
        char what[48];
        snprintf(what, sizeof what, "stream entry %zu", id);
        if (e->size == 0)
            st = MG_CFB_OK;
        else if (e->size < 4096)
            st = read_mini_chain(r, start, e->size, what, &e->data);
        else
            st = read_chain(r, start, e->size, true, 0, what, &e->data, &e->size);
        if (st != MG_CFB_OK)
            return st;
    } else if (e->type != MG_CFB_STORAGE) {
        return bad(r, "directory entry %zu: type %u inside the tree", id, (unsigned)p[0x42]);
    }
    if (parent != MG_CFB_NONE) {
        struct mg_cfb_entry *pa = &c->e[parent];
        e->depth = pa->depth + 1;
        e->next_sibling = pa->first_child;
        pa->first_child = c->n;
    }
    c->n++;
    return MG_CFB_OK;
}

static enum mg_cfb_status walk_tree(struct rd *r, struct mg_cfb *c, const uint8_t *dir, size_t ndir,
                                    const struct mg_cfb_limits *lim, unsigned major)
{
    uint8_t *visited = calloc(ndir / 8 + 1, 1);
    /* each entry is visited once and pushes at most three ids */
    size_t cap = 3 * ndir + 1;
    struct { uint32_t id; size_t parent; } *stack = malloc(cap * sizeof *stack);
    if (visited == NULL || stack == NULL) {
        free(visited);
        free(stack);
        return MG_CFB_NOMEM;
    }
    enum mg_cfb_status st = MG_CFB_OK;
    size_t sp = 0;
    bit_test_set(visited, 0);
    stack[sp].id = le32(dir + 0x4C);
    stack[sp++].parent = 0;
    while (sp > 0 && st == MG_CFB_OK) {
        sp--;
        uint32_t id = stack[sp].id;
        size_t parent = stack[sp].parent;
        if (id == NOSTREAM)
            continue;
        if (id >= ndir) {
            st = bad(r, "directory: entry number %u out of range (%zu entries)", (unsigned)id, ndir);
            break;
        }
        if (bit_test_set(visited, id)) {
            st = bad(r, "directory: entry %u reached twice (loop in the tree)", (unsigned)id);
            break;
        }
        if (c->n >= lim->max_entries) {
            snprintf(r->err, r->errlen, "more than %zu directory entries", lim->max_entries);
            st = MG_CFB_LIMIT;
            break;
        }
        if (c->e[parent].depth + 1 > lim->max_depth) {
            snprintf(r->err, r->errlen, "storages nested deeper than %u", lim->max_depth);
            st = MG_CFB_LIMIT;
            break;
        }
        const uint8_t *p = dir + (size_t)id * 128;
        size_t me = c->n;
        st = add_entry(r, c, p, parent, major, id);
        if (st != MG_CFB_OK)
            break;
        stack[sp].id = le32(p + 0x44);
        stack[sp++].parent = parent;
        stack[sp].id = le32(p + 0x48);
        stack[sp++].parent = parent;
        if (c->e[me].type == MG_CFB_STORAGE) {
            stack[sp].id = le32(p + 0x4C);
            stack[sp++].parent = me;
        }
    }
    free(visited);
    free(stack);
    return st;
}

static enum mg_cfb_status read_all(struct rd *r, const struct mg_cfb_limits *lim, struct mg_cfb *c)
{
    const uint8_t *h = r->data;
    static const uint8_t sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
    if (r->len < 512 || memcmp(h, sig, 8) != 0)
        return bad(r, "not a compound file (signature or length)");
    unsigned major = le16(h + 0x1A);
    unsigned shift = le16(h + 0x1E);
    if (le16(h + 0x1C) != 0xFFFE)
        return bad(r, "header: byte order mark 0x%04x", (unsigned)le16(h + 0x1C));
    if (!((major == 3 && shift == 9) || (major == 4 && shift == 12)))
        return bad(r, "header: version %u with sector shift %u", major, shift);
    if (le16(h + 0x20) != 6 || le32(h + 0x38) != 4096)
        return bad(r, "header: mini sector shift %u, mini stream cutoff %u",
                   (unsigned)le16(h + 0x20), (unsigned)le32(h + 0x38));
    c->major = major;
    r->ss = (size_t)1 << shift;
    if (r->len <= r->ss)
        return bad(r, "no sectors after the header");
    r->nsec = (r->len - r->ss + r->ss - 1) / r->ss;
    if (r->nsec > 0xFFFFFFF0u)
        return bad(r, "too many sectors");
    r->used = calloc(r->nsec / 8 + 1, 1);
    if (r->used == NULL)
        return MG_CFB_NOMEM;
    enum mg_cfb_status st = read_fat(r, h);
    if (st != MG_CFB_OK)
        return st;

    uint8_t *dir;
    size_t dirlen;
    /* sectors are used once, so the directory is at most the file; the
     * entry cap applies to the entries reached from the root */
    st = read_chain(r, le32(h + 0x30), 0, false, r->len, "directory", &dir, &dirlen);
    if (st != MG_CFB_OK)
        return st;
    size_t ndir = dirlen / 128;
    if (ndir == 0 || dir[0x42] != MG_CFB_ROOT) {
        free(dir);
        return bad(r, "directory: entry 0 is not the root");
    }
    /* ministream (root's stream, regular sectors) and the miniFAT */
    uint64_t msize = le64(dir + 0x78);
    if (major == 3)
        msize &= 0xFFFFFFFFu;
    if (msize > 0) {
        st = read_chain(r, le32(dir + 0x74), msize, true, 0, "ministream", &r->mini, &r->mini_len);
        if (st != MG_CFB_OK) {
            free(dir);
            return st;
        }
    }
    uint32_t nminifat = le32(h + 0x40);
    if (nminifat > r->nsec) {
        free(dir);
        return bad(r, "header: %u miniFAT sectors", (unsigned)nminifat);
    }
    if (nminifat > 0) {
        uint8_t *mf;
        size_t mflen;
        st = read_chain(r, le32(h + 0x3C), (uint64_t)nminifat * r->ss, true, 0, "miniFAT", &mf, &mflen);
        if (st != MG_CFB_OK) {
            free(dir);
            return st;
        }
        r->minifat_n = mflen / 4;
        r->minifat = malloc((r->minifat_n ? r->minifat_n : 1) * sizeof *r->minifat);
        if (r->minifat == NULL) {
            free(mf);
            free(dir);
            return MG_CFB_NOMEM;
        }
        for (size_t i = 0; i < r->minifat_n; i++)
            r->minifat[i] = le32(mf + 4 * i);
        free(mf);
    }
    r->mused = calloc((r->mini_len + 63) / 64 / 8 + 1, 1);
    size_t cap = ndir < lim->max_entries ? ndir : lim->max_entries;
    c->e = calloc(cap + 1, sizeof *c->e);
    if (r->mused == NULL || c->e == NULL) {
        free(dir);
        return MG_CFB_NOMEM;
    }
    /* the root */
    struct mg_cfb_entry *root = &c->e[0];
    uint16_t nlen = le16(dir + 0x40);
    if (nlen >= 2 && nlen <= 64 && !(nlen & 1)) {
        root->name_len = nlen / 2 - 1;
        for (size_t i = 0; i < root->name_len; i++)
            root->name[i] = le16(dir + 2 * i);
    }
    root->type = MG_CFB_ROOT;
    memcpy(root->clsid, dir + 0x50, 16);
    root->state = le32(dir + 0x60);
    root->mtime = le64(dir + 0x6C);
    root->parent = root->first_child = root->next_sibling = MG_CFB_NONE;
    c->n = 1;
    st = walk_tree(r, c, dir, ndir, lim, major);
    free(dir);
    return st;
}

enum mg_cfb_status mg_cfb_read(const uint8_t *data, size_t len, const struct mg_cfb_limits *lim,
                               struct mg_cfb *c, char *err, size_t errlen)
{
    struct rd r = { .data = data, .len = len, .err = err, .errlen = errlen };
    memset(c, 0, sizeof *c);
    if (errlen > 0)
        err[0] = '\0';
    enum mg_cfb_status st = read_all(&r, lim, c);
    free(r.used);
    free(r.fat);
    free(r.mini);
    free(r.minifat);
    free(r.mused);
    if (st != MG_CFB_OK) {
        if (st == MG_CFB_NOMEM)
            snprintf(err, errlen, "out of memory");
        mg_cfb_free(c);
    }
    return st;
}

void mg_cfb_free(struct mg_cfb *c)
{
    if (c->e != NULL) {
        for (size_t i = 0; i < c->n; i++)
            free(c->e[i].data);
    }
    free(c->e);
    memset(c, 0, sizeof *c);
}
