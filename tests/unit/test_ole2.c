/* Unit tests for the compound-file reader/writer (sanitizers/ole2/cfb.h),
 * the Word/Excel/PowerPoint stream checks (ole2_check.h) and the `ole2`
 * sanitizer through the engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "engine/engine.h"
#include "engine_fixture.h"
#include "sanitizers/ole2/cfb.h"
#include "sanitizers/ole2/ole2_check.h"

static const struct mg_cfb_limits LIM = { .max_entries = 1000, .max_depth = 32 };

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* ---- building a model by hand ------------------------------------------ */

static void model_init(struct mg_cfb *c, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->e = calloc(cap, sizeof *c->e);
    assert_non_null(c->e);
    c->e[0].type = MG_CFB_ROOT;
    c->e[0].name_len = 10;
    for (size_t i = 0; i < 10; i++)
        c->e[0].name[i] = (uint16_t)"Root Entry"[i];
    c->e[0].parent = c->e[0].first_child = c->e[0].next_sibling = MG_CFB_NONE;
    c->n = 1;
    c->major = 3;
}

static size_t add(struct mg_cfb *c, size_t parent, const char *name, enum mg_cfb_type t,
                  size_t size, uint8_t fill)
{
    struct mg_cfb_entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    e->name_len = strlen(name);
    for (size_t i = 0; i < e->name_len; i++)
        e->name[i] = (uint8_t)name[i];
    e->type = t;
    if (t == MG_CFB_STREAM) {
        e->data = malloc(size ? size : 1);
        assert_non_null(e->data);
        for (size_t i = 0; i < size; i++)
            e->data[i] = (uint8_t)(fill + i * 7);
        e->size = size;
    }
    e->parent = parent;
    e->first_child = MG_CFB_NONE;
    e->next_sibling = c->e[parent].first_child;
    e->depth = c->e[parent].depth + 1;
    c->e[parent].first_child = c->n;
    return c->n++;
}

static uint8_t *write_model(const struct mg_cfb *c, size_t *len)
{
    struct mg_buf b;
    char err[200];
    mg_buf_init(&b);
    enum mg_cfb_status st = mg_cfb_write(c, &b, err, sizeof err);
    if (st != MG_CFB_OK)
        fail_msg("write: %s", err);
    return mg_buf_steal(&b, len);
}

/* A document-like model: Word streams, a VBA project, a big stream. */
static void doc_model(struct mg_cfb *c)
{
    model_init(c, 32);
    size_t wd = add(c, 0, "WordDocument", MG_CFB_STREAM, 4608, 1);
    c->e[wd].data[0] = 0xEC;
    c->e[wd].data[1] = 0xA5;
    c->e[wd].data[2] = 0xC1;  /* nFib: Word 97 */
    c->e[wd].data[3] = 0x00;
    c->e[wd].data[0x0A] = 0;
    c->e[wd].data[0x0B] = 0;
    add(c, 0, "1Table", MG_CFB_STREAM, 700, 2);
    add(c, 0, "\x05SummaryInformation", MG_CFB_STREAM, 0, 0);
    add(c, 0, "Data", MG_CFB_STREAM, 70000, 3);
    size_t m = add(c, 0, "Macros", MG_CFB_STORAGE, 0, 0);
    size_t v = add(c, m, "VBA", MG_CFB_STORAGE, 0, 0);
    add(c, v, "dir", MG_CFB_STREAM, 5000, 4);
    add(c, v, "ThisDocument", MG_CFB_STREAM, 300, 5);
    add(c, m, "PROJECT", MG_CFB_STREAM, 100, 6);
    add(c, 0, "a", MG_CFB_STREAM, 1, 7);
    add(c, 0, "B", MG_CFB_STREAM, 64, 8);
    add(c, 0, "ab", MG_CFB_STREAM, 65, 9);
}

static size_t find_path(const struct mg_cfb *c, const char *a, const char *b)
{
    size_t i = mg_cfb_child(c, 0, a);
    if (i == MG_CFB_NONE || b == NULL)
        return i;
    return mg_cfb_child(c, i, b);
}

/* Red-black and search-tree properties of one storage's child tree, read
 * from the raw directory. Returns the black height. */
static int rb_check(const uint8_t *dir, size_t ndir, uint32_t id, bool parent_red,
                    const struct mg_cfb_entry *lo, const struct mg_cfb_entry *hi, size_t *count)
{
    if (id == 0xFFFFFFFFu)
        return 1;
    assert_true(id < ndir);
    const uint8_t *p = dir + (size_t)id * 128;
    struct mg_cfb_entry me = { .name_len = (size_t)(p[0x40] | (p[0x41] << 8)) / 2 - 1 };
    for (size_t i = 0; i < me.name_len; i++)
        me.name[i] = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
    if (lo != NULL)
        assert_true(mg_cfb_name_cmp(lo->name, lo->name_len, me.name, me.name_len) < 0);
    if (hi != NULL)
        assert_true(mg_cfb_name_cmp(me.name, me.name_len, hi->name, hi->name_len) < 0);
    bool red = p[0x43] == 0;
    assert_false(red && parent_red);
    (*count)++;
    int l = rb_check(dir, ndir, rd32(p + 0x44), red, lo, &me, count);
    int r = rb_check(dir, ndir, rd32(p + 0x48), red, &me, hi, count);
    assert_int_equal(l, r);
    if (p[0x42] == MG_CFB_STORAGE) {
        size_t sub = 0;
        uint32_t child = rd32(p + 0x4C);
        if (child != 0xFFFFFFFFu)
            assert_int_equal(dir[(size_t)child * 128 + 0x43], 1);   /* tree roots are black */
        rb_check(dir, ndir, child, false, NULL, NULL, &sub);
    }
    return l + (red ? 0 : 1);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct mg_cfb c, back;
    char err[200];
    doc_model(&c);
    size_t len;
    uint8_t *f = write_model(&c, &len);
    assert_int_equal(len % 512, 0);
    assert_int_equal(mg_cfb_read(f, len, &LIM, &back, err, sizeof err), MG_CFB_OK);
    assert_int_equal(back.n, c.n);
    const char *paths[][2] = { { "WordDocument", NULL }, { "1Table", NULL }, { "Data", NULL },
                               { "Macros", "PROJECT" }, { "a", NULL }, { "B", NULL }, { "ab", NULL },
                               { "\x05SummaryInformation", NULL } };
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        size_t i = find_path(&c, paths[k][0], paths[k][1]);
        size_t j = find_path(&back, paths[k][0], paths[k][1]);
        assert_true(i != MG_CFB_NONE && j != MG_CFB_NONE);
        assert_int_equal(back.e[j].size, c.e[i].size);
        if (c.e[i].size > 0)
            assert_memory_equal(back.e[j].data, c.e[i].data, c.e[i].size);
    }
    size_t vba = find_path(&back, "Macros", "VBA");
    assert_true(vba != MG_CFB_NONE);
    assert_true(mg_cfb_child(&back, vba, "DIR") != MG_CFB_NONE);   /* case-insensitive */
    /* the directory as written: every storage's tree is a valid RB tree */
    uint32_t ds = rd32(f + 0x30);
    const uint8_t *dir = f + 512 + (size_t)ds * 512;
    size_t ndir = 0;
    while (512 + (size_t)ds * 512 + (ndir + 1) * 128 <= len && dir[ndir * 128 + 0x42] != 0)
        ndir++;
    size_t count = 0;
    rb_check(dir, ndir, rd32(dir + 0x4C), false, NULL, NULL, &count);
    assert_int_equal(count, 8);   /* the root's children */
    /* removing a storage removes its subtree */
    c.e[mg_cfb_child(&c, 0, "Macros")].removed = true;
    mg_cfb_free(&back);
    free(f);
    f = write_model(&c, &len);
    assert_int_equal(mg_cfb_read(f, len, &LIM, &back, err, sizeof err), MG_CFB_OK);
    assert_int_equal(back.n, c.n - 5);
    assert_true(mg_cfb_child(&back, 0, "Macros") == MG_CFB_NONE);
    mg_cfb_free(&back);
    mg_cfb_free(&c);
    free(f);
}

static void test_names(void **state)
{
    (void)state;
    const uint16_t a[] = { 'a', 'b' }, B[] = { 'B' }, Ab[] = { 'A', 'B' }, ac[] = { 'a', 'c' };
    assert_true(mg_cfb_name_cmp(B, 1, a, 2) < 0);          /* shorter first */
    assert_int_equal(mg_cfb_name_cmp(a, 2, Ab, 2), 0);     /* case-insensitive */
    assert_true(mg_cfb_name_cmp(Ab, 2, ac, 2) < 0);
    struct mg_cfb_entry e = { .name = { 1, 'O', 'l', 'e', '1', '0', 'N', 'a', 't', 'i', 'v', 'e' },
                              .name_len = 12 };
    char buf[64];
    mg_cfb_name_utf8(&e, buf, sizeof buf);
    assert_string_equal(buf, "\\x01Ole10Native");
    assert_true(mg_cfb_name_is(&e, "\x01OLE10NATIVE"));
    assert_false(mg_cfb_name_is(&e, "\x01Ole"));
    assert_true(mg_cfb_name_has_prefix(&e, "\x01Ole"));
}

static void test_big_file_difat(void **state)
{
    (void)state;
    /* 8 MiB in one stream: 16385 sectors need 129 FAT sectors, more than
     * the header's 109, so the writer must chain a DIFAT sector */
    struct mg_cfb c, back;
    char err[200];
    model_init(&c, 4);
    add(&c, 0, "Big", MG_CFB_STREAM, 8u << 20, 11);
    size_t len;
    uint8_t *f = write_model(&c, &len);
    assert_int_equal(rd32(f + 0x48), 1);             /* one DIFAT sector */
    assert_true(rd32(f + 0x2C) > 109);
    assert_int_equal(mg_cfb_read(f, len, &LIM, &back, err, sizeof err), MG_CFB_OK);
    assert_int_equal(back.e[1].size, 8u << 20);
    assert_memory_equal(back.e[1].data, c.e[1].data, 8u << 20);
    mg_cfb_free(&back);
    mg_cfb_free(&c);
    free(f);
}

static enum mg_cfb_status read_st(const uint8_t *f, size_t len, char *err, size_t errlen)
{
    struct mg_cfb c;
    enum mg_cfb_status st = mg_cfb_read(f, len, &LIM, &c, err, errlen);
    if (st == MG_CFB_OK)
        mg_cfb_free(&c);
    return st;
}

static void test_malformed(void **state)
{
    (void)state;
    struct mg_cfb c;
    char err[200];
    doc_model(&c);
    size_t len;
    uint8_t *good = write_model(&c, &len);
    mg_cfb_free(&c);
    uint8_t *f = malloc(len);
    assert_non_null(f);
    /* "Data" (70000 bytes) is the first large stream: find its start */
    uint32_t ds = rd32(good + 0x30);
    uint32_t data_start = 0xFFFFFFFFu;
    for (size_t i = 0; i < 16; i++) {
        const uint8_t *p = good + 512 + (size_t)ds * 512 + i * 128;
        if (p[0x40] == 10 && p[0] == 'D' && p[2] == 'a')
            data_start = rd32(p + 0x74);
    }
    assert_true(data_start != 0xFFFFFFFFu);
    const size_t fat = 512;   /* first FAT sector */

    memcpy(f, good, len);     /* a loop: the second sector points back at the first */
    wr32(f + fat + 4 * (data_start + 1), data_start);
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);
    assert_non_null(strstr(err, "used twice"));

    memcpy(f, good, len);     /* out of range */
    wr32(f + fat + 4 * data_start, 0x00FFFFF0u);
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);
    assert_non_null(strstr(err, "out of range"));

    memcpy(f, good, len);     /* chain ends early */
    wr32(f + fat + 4 * data_start, 0xFFFFFFFEu);
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);

    /* truncated anywhere: never OK past the point where data is missing */
    for (size_t cut = 0; cut < len - 512; cut += 509)
        assert_int_not_equal(read_st(good, cut, err, sizeof err), MG_CFB_OK);

    memcpy(f, good, len);     /* directory loop: entry 1's right sibling is entry 1 */
    wr32(f + 512 + (size_t)ds * 512 + 128 + 0x48, 1);
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);
    assert_non_null(strstr(err, "twice"));

    memcpy(f, good, len);     /* directory entry number out of range */
    wr32(f + 512 + (size_t)ds * 512 + 0x4C, 5000);
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);

    memcpy(f, good, len);     /* version 3 with 4096-byte sectors */
    f[0x1E] = 12;
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);

    memcpy(f, good, len);     /* mini stream cutoff other than 4096 */
    wr32(f + 0x38, 100);
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);

    memcpy(f, good, len);     /* FAT sector count larger than the file */
    wr32(f + 0x2C, 0x10000000u);
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);

    memcpy(f, good, len);
    f[0] = 'M';
    assert_int_equal(read_st(f, len, err, sizeof err), MG_CFB_MALFORMED);

    /* limits: entries and depth */
    struct mg_cfb_limits small = { .max_entries = 5, .max_depth = 32 };
    struct mg_cfb tmp;
    assert_int_equal(mg_cfb_read(good, len, &small, &tmp, err, sizeof err), MG_CFB_LIMIT);
    struct mg_cfb_limits shallow = { .max_entries = 1000, .max_depth = 1 };
    assert_int_equal(mg_cfb_read(good, len, &shallow, &tmp, err, sizeof err), MG_CFB_LIMIT);
    free(f);
    free(good);

    /* two siblings with one name (case-insensitively) cannot be written */
    model_init(&c, 4);
    add(&c, 0, "Same", MG_CFB_STREAM, 1, 0);
    add(&c, 0, "SAME", MG_CFB_STREAM, 1, 0);
    struct mg_buf b;
    mg_buf_init(&b);
    assert_int_equal(mg_cfb_write(&c, &b, err, sizeof err), MG_CFB_MALFORMED);
    mg_buf_free(&b);
    mg_cfb_free(&c);
}

static void test_checks(void **state)
{
    (void)state;
    struct mg_ole2_result r = { 0 };
    uint8_t fib[64] = { 0xEC, 0xA5, 0xC1, 0x00 };
    mg_ole2_check_word(fib, sizeof fib, &r);
    assert_int_equal(r.find, MG_OLE2_FINE);
    fib[2] = 0x65;            /* nFib 101: Word 6.0 */
    mg_ole2_check_word(fib, sizeof fib, &r);
    assert_int_equal(r.find, MG_OLE2_UNSAFE);
    r = (struct mg_ole2_result){ 0 };
    fib[2] = 0xC1;
    fib[0x0B] = 0x01;
    mg_ole2_check_word(fib, sizeof fib, &r);
    assert_int_equal(r.find, MG_OLE2_ENCRYPTED);
    r = (struct mg_ole2_result){ 0 };
    mg_ole2_check_word(fib, 10, &r);
    assert_int_equal(r.find, MG_OLE2_MALFORMED);

    /* BIFF8: BOF, BOUNDSHEET "M1" of type macro sheet, EOF */
    uint8_t wb[] = { 0x09, 0x08, 0x04, 0x00, 0x00, 0x06, 0x05, 0x00,
                     0x85, 0x00, 0x0A, 0x00, 0, 0, 0, 0, 0x00, 0x01, 2, 0, 'M', '1',
                     0x0A, 0x00, 0x00, 0x00 };
    r = (struct mg_ole2_result){ 0 };
    mg_ole2_check_excel(wb, sizeof wb, &r);
    assert_int_equal(r.find, MG_OLE2_UNSAFE);
    assert_non_null(strstr(r.detail, "\"M1\""));
    wb[17] = 0x00;            /* a worksheet */
    r = (struct mg_ole2_result){ 0 };
    mg_ole2_check_excel(wb, sizeof wb, &r);
    assert_int_equal(r.find, MG_OLE2_FINE);
    wb[8] = 0x2F;             /* FILEPASS */
    mg_ole2_check_excel(wb, sizeof wb, &r);
    assert_int_equal(r.find, MG_OLE2_ENCRYPTED);

    /* PowerPoint: an ExOleObjStg header hidden inside another record's body */
    uint8_t pd[32] = { 0x00, 0x00, 0xE8, 0x03, 16, 0, 0, 0 };   /* an atom of 16 bytes */
    r = (struct mg_ole2_result){ 0 };
    mg_ole2_check_ppt(pd, sizeof pd, &r);
    assert_int_equal(r.find, MG_OLE2_FINE);
    pd[10] = 0x10; pd[12] = 0x11; pd[13] = 0x10;               /* at offset 10: ver 0, inst 1 */
    mg_ole2_check_ppt(pd, sizeof pd, &r);
    assert_int_equal(r.find, MG_OLE2_UNSAFE);
    /* VBAInfoAtom: all zero (LibreOffice writes it) is fine, a reference is VBA */
    uint8_t vi[28] = { 0x1F, 0x00, 0xFF, 0x03, 20, 0, 0, 0, 0x02, 0x00, 0x00, 0x04, 12, 0, 0, 0,
                       0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0 };
    r = (struct mg_ole2_result){ 0 };
    mg_ole2_check_ppt(vi, sizeof vi, &r);
    assert_int_equal(r.find, MG_OLE2_FINE);
    vi[20] = 1;                                                  /* fHasMacros */
    mg_ole2_check_ppt(vi, sizeof vi, &r);
    assert_int_equal(r.find, MG_OLE2_UNSAFE);
    memset(pd, 0, sizeof pd);
    pd[4] = 0x0F; pd[6] = 0x14; pd[7] = 0x2F;                  /* CryptSession10Container */
    r = (struct mg_ole2_result){ 0 };
    mg_ole2_check_ppt(pd, sizeof pd, &r);
    assert_int_equal(r.find, MG_OLE2_ENCRYPTED);
}

static void test_blank_fields(void **state)
{
    (void)state;
    char first[24];
    uint8_t t8[] = "x\x13 DDEAUTO c:\\\\a.exe \"/k calc\"\x14result\x15y\x13 PAGE \x14" "1\x15";
    size_t n = mg_ole2_word_blank_fields(t8, sizeof t8 - 1, first, sizeof first);
    assert_int_equal(n, 1);
    assert_string_equal(first, "DDEAUTO");
    const char *after = "\x14result\x15y\x13 PAGE \x14" "1\x15";
    uint8_t *sep = memchr(t8, 0x14, sizeof t8);
    assert_non_null(sep);
    for (uint8_t *q = t8 + 2; q < sep; q++)
        assert_int_equal(*q, ' ');
    assert_memory_equal(sep, after, strlen(after));   /* result and the PAGE field untouched */
    /* a keyword computed by a nested field: the nested text goes too, the
     * field characters stay */
    uint8_t q[] = "\x13 \x13QUOTE 68 68 69\x14" "DDE\x15 c:\\a.exe\x14r\x15 \x13 DDEX\x15";
    n = mg_ole2_word_blank_fields(q, sizeof q - 1, first, sizeof first);
    assert_int_equal(n, 1);
    assert_string_equal(first, "(computed keyword)");
    assert_memory_equal(q, "\x13 \x13              \x14   \x15         \x14r\x15 \x13 DDEX\x15", sizeof q - 1);
    /* UTF-16: "\x13 INCLUDETEXT x\x14r\x15" */
    const char *s = "\x13 INCLUDETEXT x\x14r\x15";
    uint8_t t16[64];
    size_t m = strlen(s);
    for (size_t i = 0; i < m; i++) {
        t16[2 * i] = (uint8_t)s[i];
        t16[2 * i + 1] = 0;
    }
    n = mg_ole2_word_blank_fields(t16, 2 * m, first, sizeof first);
    assert_int_equal(n, 1);
    assert_string_equal(first, "INCLUDETEXT");
    for (size_t i = 1; i < 15; i++)
        assert_int_equal(t16[2 * i], ' ');
    assert_int_equal(t16[2 * 15], 0x14);
    assert_int_equal(t16[2 * 16], 'r');
}

/* ---- through the engine ---------------------------------------------- */

static void test_engine(void **state)
{
    (void)state;
    struct mg_engine *e = mg_test_engine(MG_TEST_BASE_CONF);

    struct mg_cfb c, back;
    char err[200];
    doc_model(&c);
    size_t ob = mg_cfb_child(&c, 0, "Data");
    (void)ob;
    size_t op = add(&c, 0, "ObjectPool", MG_CFB_STORAGE, 0, 0);
    size_t o1 = add(&c, op, "_1234", MG_CFB_STORAGE, 0, 0);
    add(&c, o1, "\x01Ole10Native", MG_CFB_STREAM, 200, 1);
    size_t len;
    uint8_t *f = write_model(&c, &len);
    mg_cfb_free(&c);
    struct mg_job *job = mg_job_new(e, "test-ole2");
    struct mg_item *it = mg_job_run(job, "macro.doc", f, len, MG_TC_UNKNOWN);
    assert_int_equal(it->type.cls, MG_TC_OLE2);
    assert_int_equal(it->verdict, MG_SANITIZED);
    assert_string_equal(it->sanitizer, "ole2");
    bool vba = false, ole = false;
    for (size_t i = 0; i < it->n_actions; i++) {
        vba |= it->actions[i].action == MG_A_VBA_REMOVED && strcmp(it->actions[i].detail, "Macros") == 0;
        ole |= it->actions[i].action == MG_A_OLE_REMOVED && strcmp(it->actions[i].detail, "ObjectPool") == 0;
    }
    assert_true(vba && ole);
    size_t olen;
    const uint8_t *out = mg_item_result(it, &olen);
    assert_non_null(out);
    assert_int_equal(mg_cfb_read(out, olen, &LIM, &back, err, sizeof err), MG_CFB_OK);
    assert_true(mg_cfb_child(&back, 0, "Macros") == MG_CFB_NONE);
    assert_true(mg_cfb_child(&back, 0, "ObjectPool") == MG_CFB_NONE);
    assert_true(mg_cfb_child(&back, 0, "WordDocument") != MG_CFB_NONE);
    mg_cfb_free(&back);
    mg_job_free(job);

    /* a compound file that is no document we know: blocked */
    struct mg_cfb u;
    model_init(&u, 4);
    add(&u, 0, "Contents", MG_CFB_STREAM, 100, 1);
    size_t ulen;
    uint8_t *uf = write_model(&u, &ulen);
    job = mg_job_new(e, "test-ole2-unknown");
    it = mg_job_run(job, "x.doc", uf, ulen, MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_BLOCKED);
    assert_int_equal(it->reason, MG_R_POLICY_BLOCK);
    mg_job_free(job);
    /* ... unless named as 一太郎 */
    job = mg_job_new(e, "test-ole2-jtd");
    it = mg_job_run(job, "x.jtd", uf, ulen, MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_SANITIZED);
    mg_job_free(job);
    /* an installer's class id: executable */
    static const uint8_t msi[16] = { 0x84, 0x10, 0x0C, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
    memcpy(u.e[0].clsid, msi, 16);
    free(uf);
    uf = write_model(&u, &ulen);
    job = mg_job_new(e, "test-ole2-msi");
    it = mg_job_run(job, "x.jtd", uf, ulen, MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_BLOCKED);
    mg_job_free(job);
    free(uf);
    mg_cfb_free(&u);

    /* the same file with a loop in the directory's chain: blocked as malformed */
    uint32_t ds = rd32(f + 0x30);
    wr32(f + 512 + 4 * ds, ds);
    job = mg_job_new(e, "test-ole2-bad");
    it = mg_job_run(job, "bad.doc", f, len, MG_TC_UNKNOWN);
    assert_int_equal(it->verdict, MG_BLOCKED);
    assert_int_equal(it->reason, MG_R_MALFORMED);
    mg_job_free(job);
    free(f);
    mg_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_big_file_difat),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_blank_fields),
        cmocka_unit_test(test_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
