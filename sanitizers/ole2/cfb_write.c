/* MS-CFB writer: a fresh version-3 file (512-byte sectors) from the kept
 * entries. Layout: FAT sectors, DIFAT sectors, directory, miniFAT,
 * ministream, then the large streams, every chain contiguous. Each storage's
 * children become a balanced binary tree in CFB name order, coloured so that
 * it is a valid red-black tree (nodes on the deepest level red, others
 * black), which every reader accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitizers/ole2/cfb.h"

#define SS 512u
#define ENDOFCHAIN 0xFFFFFFFEu
#define FREESECT 0xFFFFFFFFu
#define FATSECT 0xFFFFFFFDu
#define DIFSECT 0xFFFFFFFCu
#define NOSTREAM 0xFFFFFFFFu

static uint16_t up16(uint16_t c)
{
    /* ASCII and Latin-1/Greek/Cyrillic basic ranges; MS-CFB uses the
     * simple upper-case mapping, which agrees on everything real files name */
    if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7) ||
        (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) || (c >= 0x430 && c <= 0x44F))
        return (uint16_t)(c - 32);
    return c;
}

int mg_cfb_name_cmp(const uint16_t *a, size_t alen, const uint16_t *b, size_t blen)
{
    if (alen != blen)
        return alen < blen ? -1 : 1;
    for (size_t i = 0; i < alen; i++) {
        uint16_t x = up16(a[i]), y = up16(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

bool mg_cfb_name_has_prefix(const struct mg_cfb_entry *e, const char *ascii)
{
    size_t n = strlen(ascii);
    if (n > e->name_len)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (up16(e->name[i]) != up16((uint8_t)ascii[i]))
            return false;
    }
    return true;
}

bool mg_cfb_name_is(const struct mg_cfb_entry *e, const char *ascii)
{
    return strlen(ascii) == e->name_len && mg_cfb_name_has_prefix(e, ascii);
}

void mg_cfb_name_utf8(const struct mg_cfb_entry *e, char *buf, size_t buflen)
{
    size_t o = 0;
    if (buflen == 0)
        return;
    for (size_t i = 0; i < e->name_len; i++) {
        uint16_t c = e->name[i];
        char tmp[8];
        size_t n;
        if (c < 0x20 || c == 0x7F) {
            n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02X", (unsigned)c);
        } else if (c < 0x80) {
            tmp[0] = (char)c;
            n = 1;
        } else if (c < 0x800) {
            tmp[0] = (char)(0xC0 | (c >> 6));
            tmp[1] = (char)(0x80 | (c & 0x3F));
            n = 2;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            tmp[0] = '?';   /* a lone surrogate half: not worth pairing in a report */
            n = 1;
        } else {
            tmp[0] = (char)(0xE0 | (c >> 12));
            tmp[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            tmp[2] = (char)(0x80 | (c & 0x3F));
            n = 3;
        }
        if (o + n >= buflen)
            break;
        memcpy(buf + o, tmp, n);
        o += n;
    }
    buf[o] = '\0';
}

size_t mg_cfb_child(const struct mg_cfb *c, size_t parent, const char *ascii)
{
    if (parent >= c->n)
        return MG_CFB_NONE;
    for (size_t i = c->e[parent].first_child; i != MG_CFB_NONE; i = c->e[i].next_sibling) {
        if (mg_cfb_name_is(&c->e[i], ascii))
            return i;
    }
    return MG_CFB_NONE;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

struct node {
    size_t src;         /* index in c->e */
    const struct mg_cfb_entry *e;
    uint32_t left, right, child;
    uint8_t color;      /* 0 red, 1 black */
    uint32_t start;
    uint64_t size;
};

static int cmp_src(const void *a, const void *b)
{
    const struct mg_cfb_entry *x = ((const struct node *)a)->e;
    const struct mg_cfb_entry *y = ((const struct node *)b)->e;
    return mg_cfb_name_cmp(x->name, x->name_len, y->name, y->name_len);
}

/* Balanced tree over nodes[lo, hi) (sorted). Recursion depth is log2 of
 * the sibling count, at most about 17 with the reader's entry cap. */
static uint32_t build(struct node *nodes, size_t lo, size_t hi, unsigned depth, unsigned maxdepth)
{
    if (lo >= hi)
        return NOSTREAM;
    size_t mid = lo + (hi - lo) / 2;
    nodes[mid].left = build(nodes, lo, mid, depth + 1, maxdepth);
    nodes[mid].right = build(nodes, mid + 1, hi, depth + 1, maxdepth);
    nodes[mid].color = (depth == maxdepth && maxdepth > 0) ? 0 : 1;
    return (uint32_t)mid;
}

static unsigned tree_height(size_t n)
{
    unsigned h = 0;
    while (n > 1) {      /* floor(log2(n)): depth of the deepest node */
        n >>= 1;
        h++;
    }
    return h;
}

enum mg_cfb_status mg_cfb_write(const struct mg_cfb *c, struct mg_buf *out, char *err, size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    if (c->n == 0)
        return MG_CFB_MALFORMED;
    struct node *nodes = calloc(c->n, sizeof *nodes);
    size_t *queue = malloc(c->n * sizeof *queue);
    if (nodes == NULL || queue == NULL) {
        free(nodes);
        free(queue);
        snprintf(err, errlen, "out of memory");
        return MG_CFB_NOMEM;
    }
    enum mg_cfb_status st = MG_CFB_OK;
    /* Breadth-first: each storage's kept children get consecutive ids. */
    size_t n = 1, qh = 0, qt = 0;
    nodes[0].src = 0;
    nodes[0].e = &c->e[0];
    nodes[0].left = nodes[0].right = nodes[0].child = NOSTREAM;
    nodes[0].color = 1;
    queue[qt++] = 0;
    while (qh < qt) {
        size_t me = queue[qh++];
        size_t first = n;
        for (size_t i = c->e[nodes[me].src].first_child; i != MG_CFB_NONE; i = c->e[i].next_sibling) {
            if (c->e[i].removed)
                continue;
            nodes[n].src = i;
            nodes[n].e = &c->e[i];
            nodes[n].child = NOSTREAM;
            n++;
        }
        size_t k = n - first;
        if (k == 0)
            continue;
        qsort(nodes + first, k, sizeof *nodes, cmp_src);
        for (size_t i = first + 1; i < n; i++) {
            if (cmp_src(&nodes[i - 1], &nodes[i]) == 0) {
                char nm[96];
                mg_cfb_name_utf8(&c->e[nodes[i].src], nm, sizeof nm);
                snprintf(err, errlen, "two entries named \"%s\" in one storage", nm);
                st = MG_CFB_MALFORMED;
                goto done;
            }
        }
        uint32_t r = build(nodes + first, 0, k, 0, tree_height(k));
        nodes[me].child = (uint32_t)(first + r);
        for (size_t i = first; i < n; i++) {
            if (nodes[i].left != NOSTREAM)
                nodes[i].left += (uint32_t)first;
            if (nodes[i].right != NOSTREAM)
                nodes[i].right += (uint32_t)first;
            if (c->e[nodes[i].src].type == MG_CFB_STORAGE)
                queue[qt++] = i;
        }
    }

    /* Sector plan. */
    size_t mini_bytes = 0, big_secs = 0;
    for (size_t i = 1; i < n; i++) {
        const struct mg_cfb_entry *e = &c->e[nodes[i].src];
        if (e->type != MG_CFB_STREAM)
            continue;
        if (e->size < 4096)
            mini_bytes += (e->size + 63) / 64 * 64;
        else
            big_secs += (e->size + SS - 1) / SS;
    }
    size_t mini_secs = mini_bytes / 64;
    size_t D = (n * 128 + SS - 1) / SS;
    size_t M = (mini_secs * 4 + SS - 1) / SS;
    size_t S = (mini_bytes + SS - 1) / SS;
    size_t N = D + M + S + big_secs;
    size_t F = 1, X = 0;
    for (;;) {
        X = F > 109 ? (F - 109 + 126) / 127 : 0;
        if (N + F + X <= F * (SS / 4))
            break;
        F++;
    }
    size_t total = F + X + N;
    if (total >= 0xFFFFFFF0u) {
        snprintf(err, errlen, "too large for a version-3 compound file");
        st = MG_CFB_LIMIT;
        goto done;
    }
    uint32_t *fat = malloc(F * (SS / 4) * sizeof *fat);
    uint32_t *minifat = malloc((M ? M : 1) * (SS / 4) * sizeof *minifat);
    if (fat == NULL || minifat == NULL) {
        free(fat);
        free(minifat);
        snprintf(err, errlen, "out of memory");
        st = MG_CFB_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < F * (SS / 4); i++)
        fat[i] = FREESECT;
    for (size_t i = 0; i < M * (SS / 4); i++)
        minifat[i] = FREESECT;
    for (size_t i = 0; i < F; i++)
        fat[i] = FATSECT;
    for (size_t i = F; i < F + X; i++)
        fat[i] = DIFSECT;
    size_t next = F + X;
    size_t dir_start = next, minifat_start = next + D, mini_start = next + D + M;
    for (size_t i = 0; i < D + M + S; i++) {
        size_t s = next + i;
        bool last = (i == D - 1) || (i == D + M - 1) || (i == D + M + S - 1);
        fat[s] = last ? ENDOFCHAIN : (uint32_t)(s + 1);
    }
    next += D + M + S;
    size_t mnext = 0;
    for (size_t i = 1; i < n; i++) {
        const struct mg_cfb_entry *e = &c->e[nodes[i].src];
        nodes[i].start = ENDOFCHAIN;
        if (e->type != MG_CFB_STREAM || e->size == 0)
            continue;
        nodes[i].size = e->size;
        if (e->size < 4096) {
            size_t k = (e->size + 63) / 64;
            nodes[i].start = (uint32_t)mnext;
            for (size_t j = 0; j < k; j++)
                minifat[mnext + j] = j + 1 == k ? ENDOFCHAIN : (uint32_t)(mnext + j + 1);
            mnext += k;
        } else {
            size_t k = (e->size + SS - 1) / SS;
            nodes[i].start = (uint32_t)next;
            for (size_t j = 0; j < k; j++)
                fat[next + j] = j + 1 == k ? ENDOFCHAIN : (uint32_t)(next + j + 1);
            next += k;
        }
    }
    nodes[0].start = S ? (uint32_t)mini_start : ENDOFCHAIN;
    nodes[0].size = mini_bytes;

    /* Header. */
    uint8_t sec[SS];
    memset(sec, 0, sizeof sec);
    static const uint8_t sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
    memcpy(sec, sig, 8);
    put16(sec + 0x18, 0x003E);
    put16(sec + 0x1A, 3);
    put16(sec + 0x1C, 0xFFFE);
    put16(sec + 0x1E, 9);
    put16(sec + 0x20, 6);
    put32(sec + 0x2C, (uint32_t)F);
    put32(sec + 0x30, (uint32_t)dir_start);
    put32(sec + 0x38, 4096);
    put32(sec + 0x3C, M ? (uint32_t)minifat_start : ENDOFCHAIN);
    put32(sec + 0x40, (uint32_t)M);
    put32(sec + 0x44, X ? (uint32_t)F : ENDOFCHAIN);
    put32(sec + 0x48, (uint32_t)X);
    for (size_t i = 0; i < 109; i++)
        put32(sec + 0x4C + 4 * i, i < F ? (uint32_t)i : FREESECT);
    size_t base = out->len;
    mg_buf_reserve(out, (total + 1) * SS);
    mg_buf_append(out, sec, SS);
    /* FAT */
    for (size_t i = 0; i < F; i++) {
        for (size_t j = 0; j < SS / 4; j++)
            put32(sec + 4 * j, fat[i * (SS / 4) + j]);
        mg_buf_append(out, sec, SS);
    }
    /* DIFAT: FAT sector numbers past the first 109 */
    size_t fi = 109;
    for (size_t i = 0; i < X; i++) {
        for (size_t j = 0; j < 127; j++, fi++)
            put32(sec + 4 * j, fi < F ? (uint32_t)fi : FREESECT);
        put32(sec + 508, i + 1 < X ? (uint32_t)(F + i + 1) : ENDOFCHAIN);
        mg_buf_append(out, sec, SS);
    }
    /* Directory */
    for (size_t i = 0; i < D * 4; i++) {
        uint8_t *p = sec + (i % 4) * 128;
        memset(p, 0, 128);
        if (i < n) {
            const struct mg_cfb_entry *e = &c->e[nodes[i].src];
            static const struct mg_cfb_entry root_name = {
                .name = { 'R', 'o', 'o', 't', ' ', 'E', 'n', 't', 'r', 'y' }, .name_len = 10 };
            const struct mg_cfb_entry *nm = i == 0 ? &root_name : e;   /* MS-CFB 2.6.2 */
            for (size_t k = 0; k < nm->name_len; k++)
                put16(p + 2 * k, nm->name[k]);
            put16(p + 0x40, (uint16_t)((nm->name_len + 1) * 2));
            p[0x42] = (uint8_t)(i == 0 ? MG_CFB_ROOT : e->type);
            p[0x43] = nodes[i].color;
            put32(p + 0x44, nodes[i].left);
            put32(p + 0x48, nodes[i].right);
            put32(p + 0x4C, e->type == MG_CFB_STREAM ? NOSTREAM : nodes[i].child);
            if (e->type != MG_CFB_STREAM) {
                memcpy(p + 0x50, e->clsid, 16);
                put32(p + 0x60, e->state);
                put64(p + 0x64, i == 0 ? 0 : e->ctime); /* root ctime must be zero */
                put64(p + 0x6C, e->mtime);
            }
            put32(p + 0x74, i == 0 || e->type == MG_CFB_STREAM ? nodes[i].start : 0);
            put64(p + 0x78, i == 0 || e->type == MG_CFB_STREAM ? nodes[i].size : 0);
        } else {
            put32(p + 0x44, NOSTREAM);
            put32(p + 0x48, NOSTREAM);
            put32(p + 0x4C, NOSTREAM);
        }
        if (i % 4 == 3)
            mg_buf_append(out, sec, SS);
    }
    /* miniFAT */
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < SS / 4; j++)
            put32(sec + 4 * j, minifat[i * (SS / 4) + j]);
        mg_buf_append(out, sec, SS);
    }
    /* ministream then large streams, in directory order as planned */
    size_t start_len = out->len;
    static const uint8_t zero[SS];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 1; i < n; i++) {
            const struct mg_cfb_entry *e = &c->e[nodes[i].src];
            if (e->type != MG_CFB_STREAM || e->size == 0 || (pass == 0) != (e->size < 4096))
                continue;
            size_t unit = pass == 0 ? 64 : SS;
            mg_buf_append(out, e->data, e->size);
            if (e->size % unit)
                mg_buf_append(out, zero, unit - e->size % unit);
        }
        if (pass == 0 && (out->len - start_len) % SS)
            mg_buf_append(out, zero, SS - (out->len - start_len) % SS);
    }
    free(fat);
    free(minifat);
    if (mg_buf_failed(out)) {
        snprintf(err, errlen, "output over the size limit or out of memory");
        st = MG_CFB_LIMIT;
    } else if (out->len - base != (total + 1) * SS) {
        snprintf(err, errlen, "internal: wrote %zu bytes, planned %zu", out->len - base, (total + 1) * SS);
        st = MG_CFB_MALFORMED;
    }
done:
    free(nodes);
    free(queue);
    return st;
}
