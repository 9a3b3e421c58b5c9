/* Unit tests for the archive sanitizer's engine-free parts: member name
 * rules (archive_names), the zip central-directory check (archive_zipcheck),
 * the libarchive reader under limits (archive_read) and the zip writer
 * (archive_write). Archives are built in memory with libarchive's writer or
 * byte by byte, so no fixture files are needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/sink.h"
#include "core/spool.h"
#include "engine/policy.h"
#include "sanitizers/archive/archive_names.h"
#include "sanitizers/archive/archive_read.h"
#include "sanitizers/archive/archive_unlock.h"
#include "sanitizers/archive/archive_write.h"
#include "sanitizers/archive/archive_zipcheck.h"

/* ---- names ---- */

static void expect_clean(const char *raw, size_t rawlen, const char *want, unsigned want_flags)
{
    unsigned fl = 0xFFFFFFFFu;
    char *got = mg_arname_clean((const uint8_t *)raw, rawlen, "CP932", 3, &fl);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(fl, want_flags);
    free(got);
}
#define CLEAN(raw, want, fl) expect_clean(raw, sizeof(raw) - 1, want, fl)

static void test_names_traversal(void **state)
{
    (void)state;
    CLEAN("../../etc/passwd", "etc/passwd", MG_ARN_DOTDOT);
    CLEAN("/etc/passwd", "etc/passwd", MG_ARN_ABSOLUTE);
    CLEAN("C:\\Windows\\system32\\x.dll", "Windows/system32/x.dll", MG_ARN_ABSOLUTE);
    CLEAN("\\\\server\\share\\a.txt", "server/share/a.txt", MG_ARN_ABSOLUTE);
    CLEAN("a/./b//c.txt", "a/b/c.txt", 0);
    CLEAN("a/../../b.txt", "a/b.txt", MG_ARN_DOTDOT);
    CLEAN("dir\\sub\\f.txt", "dir/sub/f.txt", 0);
}

static void test_names_windows(void **state)
{
    (void)state;
    CLEAN("CON.txt", "_CON.txt", MG_ARN_RESERVED);
    CLEAN("sub/lpt1", "sub/_lpt1", MG_ARN_RESERVED);
    CLEAN("nul .txt", "_nul .txt", MG_ARN_RESERVED);
    CLEAN("console.txt", "console.txt", 0);
    CLEAN("COM10.txt", "COM10.txt", 0);
    CLEAN("report.txt. . ", "report.txt", MG_ARN_TRAILING);
    CLEAN("a<b>:c|d?.txt", "a_b__c_d_.txt", MG_ARN_BADCHAR);
    CLEAN("...", "member-3", MG_ARN_TRAILING | MG_ARN_EMPTY);
}

static void test_names_hidden_characters(void **state)
{
    (void)state;
    /* U+202E RIGHT-TO-LEFT OVERRIDE: "invoice<RLO>fdp.exe" shows as "invoiceexe.pdf". */
    CLEAN("invoice\xe2\x80\xae" "fdp.exe", "invoicefdp.exe", MG_ARN_BIDI);
    CLEAN("a\x01" "b\tc.txt", "abc.txt", MG_ARN_CONTROL);
    CLEAN("zero\xe2\x80\x8bwidth.txt", "zerowidth.txt", MG_ARN_CONTROL);
    CLEAN("nul\0byte.txt", "nulbyte.txt", MG_ARN_CONTROL);
}

static void test_names_double_extension(void **state)
{
    (void)state;
    CLEAN("請求書.pdf.exe", "請求書_pdf.exe", MG_ARN_DOUBLE_EXT);
    CLEAN("dir/photo.JPG.scr", "dir/photo_JPG.scr", MG_ARN_DOUBLE_EXT);
    CLEAN("a.pdf   .exe", "a_pdf   .exe", MG_ARN_DOUBLE_EXT);
    CLEAN("setup.exe", "setup.exe", 0);
    CLEAN("archive.tar.gz", "archive.tar.gz", 0);
    CLEAN("v1.2.exe", "v1.2.exe", 0);
    assert_true(mg_arname_double_ext("x/請求書.pdf.exe"));
    assert_false(mg_arname_double_ext(".pdf.exe" + 4));
}

static void test_names_charsets(void **state)
{
    (void)state;
    /* 請求書.txt in CP932 (no UTF-8 flag) */
    CLEAN("\x90\xbf\x8b\x81\x8f\x91.txt", "請求書.txt", MG_ARN_LEGACY);
    /* NEC row 13 (①) and the tilde that differs between tables (～) */
    CLEAN("\x87\x40\x81\x60.txt", "①～.txt", MG_ARN_LEGACY);
    /* half-width katakana ﾃｽﾄ */
    CLEAN("\xc3\xbd\xc4.csv", "ﾃｽﾄ.csv", MG_ARN_LEGACY);
    /* already UTF-8 (macOS writes UTF-8 without the flag): kept, NFD -> NFC */
    CLEAN("\xe3\x81\x8b\xe3\x82\x99.txt", "が.txt", 0);
    /* neither UTF-8 nor CP932: replaced, ASCII extension kept */
    CLEAN("\xff\xfe\xfd.pdf", "member-3.pdf", MG_ARN_UNDECODABLE);
    CLEAN("", "member-3", MG_ARN_EMPTY);
    CLEAN("../..", "member-3", MG_ARN_DOTDOT | MG_ARN_EMPTY);
}

static void test_names_length(void **state)
{
    (void)state;
    char raw[400];
    memset(raw, 'a', 300);
    memcpy(raw + 300, ".txt", 5);
    unsigned fl = 0;
    char *got = mg_arname_clean((const uint8_t *)raw, strlen(raw), "CP932", 0, &fl);
    assert_int_equal(strlen(got), MG_ARN_MAX_COMPONENT);
    assert_string_equal(got + MG_ARN_MAX_COMPONENT - 4, ".txt");
    assert_int_equal(fl, MG_ARN_LONG);
    free(got);
    /* Japanese: truncation must not split a character. */
    struct mg_buf b;
    mg_buf_init(&b);
    for (int i = 0; i < 100; i++)
        mg_buf_puts(&b, "あ");
    got = mg_arname_clean(b.data, b.len, "CP932", 0, &fl);
    assert_true(strlen(got) <= MG_ARN_MAX_COMPONENT);
    assert_int_equal(strlen(got) % 3, 0);
    free(got);
    mg_buf_reset(&b);
    for (int i = 0; i < 40; i++)
        mg_buf_printf(&b, "d%d/", i);
    mg_buf_puts(&b, "f.txt");
    got = mg_arname_clean(b.data, b.len, "CP932", 0, &fl);
    size_t comps = 1;
    for (const char *p = got; *p; p++)
        comps += *p == '/';
    assert_int_equal(comps, MG_ARN_MAX_DEPTH);
    assert_string_equal(strrchr(got, '/'), "/f.txt");
    assert_int_equal(fl, MG_ARN_LONG);
    free(got);
    mg_buf_free(&b);
}

static void expect_unique(struct mg_arname_set *s, const char *in, const char *want, bool collided)
{
    unsigned fl = 0;
    char *got = mg_arname_unique(s, in, &fl);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal((fl & MG_ARN_COLLISION) != 0, collided);
    free(got);
}

static void test_names_collisions(void **state)
{
    (void)state;
    struct mg_arname_set *s = mg_arname_set_new();
    expect_unique(s, "Readme.txt", "Readme.txt", false);
    expect_unique(s, "README.TXT", "README (2).TXT", true);
    expect_unique(s, "readme.txt", "readme (3).txt", true);
    expect_unique(s, "a", "a", false);
    expect_unique(s, "a/b.txt", "a (2)/b.txt", true);
    expect_unique(s, "A (2)/c.txt", "A (2)/c.txt", false);  /* same directory, fine */
    expect_unique(s, "d/x.txt", "d/x.txt", false);
    expect_unique(s, "D", "D (2)", true);                    /* a file may not be a directory */
    expect_unique(s, "が.txt", "が.txt", false);
    expect_unique(s, "ガ.txt", "ガ.txt", false);             /* kana case is not case */
    expect_unique(s, ".profile", ".profile", false);
    expect_unique(s, ".PROFILE", ".PROFILE (2)", true);
    mg_arname_set_free(s);
}

static void test_names_display(void **state)
{
    (void)state;
    struct mg_buf b;
    mg_buf_init(&b);
    const char raw[] = "inv\xe2\x80\xae" "fdp.exe";
    mg_arname_display((const uint8_t *)raw, sizeof(raw) - 1, "CP932", &b);
    assert_string_equal(mg_buf_cstr(&b), "inv\xef\xbf\xbd" "fdp.exe");
    mg_buf_reset(&b);
    mg_arname_display((const uint8_t *)"\xff\x01z", 3, "CP932", &b);
    assert_string_equal(mg_buf_cstr(&b), "\\xFF\\x01z");
    mg_buf_free(&b);
    char t[200];
    mg_arname_flags_text(MG_ARN_DOTDOT | MG_ARN_BIDI, t, sizeof(t));
    assert_string_equal(t, "\"..\" component, bidirectional override characters");
    mg_arname_flags_text(MG_ARN_DOTDOT | MG_ARN_BIDI, t, 10);
    assert_true(strlen(t) < 10);
}

/* ---- building archives in memory ---- */

struct blob {
    uint8_t *data;
    size_t len, cap;
};

static la_ssize_t blob_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
    (void)a;
    struct blob *b = ctx;
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, buf, len);
    b->len += len;
    return (la_ssize_t)len;
}

struct ent {
    const char *name;
    int type;               /* AE_IFREG, AE_IFLNK, AE_IFCHR, 0 = hard link to "a.txt" */
    const char *content;    /* NULL with size: that many 'a' bytes */
    size_t zeros;
};

/* format: "zip", "tar", "raw"; filter: NULL or "gzip"; options: libarchive options or NULL. */
static struct blob build(const char *format, const char *filter, const char *options,
                         const struct ent *ents, size_t n)
{
    struct blob b = {0};
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_by_name(a, format), ARCHIVE_OK);
    if (filter)
        assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
    if (options) {
        assert_int_equal(archive_write_set_options(a, options), ARCHIVE_OK);
        if (strstr(options, "encryption") != NULL)
            assert_int_equal(archive_write_set_passphrase(a, "himitsu"), ARCHIVE_OK);
    }
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open2(a, &b, NULL, blob_write, NULL, NULL), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].name);
        size_t len = ents[i].content ? strlen(ents[i].content) : ents[i].zeros;
        if (ents[i].type == 0) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, "a.txt");
            archive_entry_set_size(e, 0);
        } else {
            archive_entry_set_filetype(e, (unsigned)ents[i].type);
            archive_entry_set_perm(e, 0644);
            if (ents[i].type == AE_IFLNK)
                archive_entry_set_symlink(e, "/etc/passwd");
            if (ents[i].type == AE_IFREG)
                archive_entry_set_size(e, (la_int64_t)len);
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (ents[i].type == AE_IFREG) {
            if (ents[i].content) {
                assert_int_equal(archive_write_data(a, ents[i].content, len), (la_ssize_t)len);
            } else {
                /* 'a', not zeros: a gzip of zero blocks reads as an empty tar. */
                static uint8_t zero[65536];
                memset(zero, 'a', sizeof(zero));
                for (size_t done = 0; done < len;) {
                    size_t k = len - done < sizeof(zero) ? len - done : sizeof(zero);
                    assert_int_equal(archive_write_data(a, zero, k), (la_ssize_t)k);
                    done += k;
                }
            }
        }
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return b;
}

/* ---- reader hooks that record what they see ---- */

struct seen {
    size_t n;
    char names[16][64];
    enum mg_ar_kind kinds[16];
    size_t lens[16];
    bool raw;
    int time_budget;     /* time_ok calls allowed; < 0: unlimited */
    uint64_t charged, charge_cap;
};

static bool s_time_ok(void *ctx)
{
    struct seen *s = ctx;
    if (s->time_budget < 0)
        return true;
    return s->time_budget-- > 0;
}
static bool s_charge(void *ctx, uint64_t n)
{
    struct seen *s = ctx;
    s->charged += n;
    return s->charge_cap == 0 || s->charged <= s->charge_cap;
}
static struct mg_spool *s_spool(void *ctx)
{
    (void)ctx;
    return mg_spool_new(1 << 20, 0, NULL);
}
static void s_release(void *ctx, struct mg_spool *sp)
{
    (void)ctx;
    mg_spool_free(sp);
}
static enum mg_ar_status s_member(void *ctx, const struct mg_ar_member *m)
{
    struct seen *s = ctx;
    if (s->n < 16) {
        size_t k = m->raw_name_len < 63 ? m->raw_name_len : 63;
        memcpy(s->names[s->n], m->raw_name, k);
        s->names[s->n][k] = '\0';
        s->kinds[s->n] = m->kind;
        s->lens[s->n] = m->len;
    }
    s->raw = m->raw;
    s->n++;
    return MG_AR_OK;
}

static const struct mg_ar_limits default_lim = {
    .max_member = 1 << 20, .max_members = 100, .max_ratio = 100, .ratio_floor = 1 << 16,
};

static enum mg_ar_status read_blob(const struct blob *b, const struct mg_ar_limits *lim,
                                   struct seen *s, struct mg_ar_info *info)
{
    struct mg_ar_hooks h = {
        .ctx = s, .time_ok = s_time_ok, .charge = s_charge, .spool = s_spool,
        .release = s_release, .member = s_member,
    };
    return mg_ar_read(b->data, b->len, lim, &h, info);
}

static void test_read_zip_members(void **state)
{
    (void)state;
    const struct ent ents[] = {
        {"a.txt", AE_IFREG, "hello", 0},
        {"dir/b.txt", AE_IFREG, "world!", 0},
        {"link", AE_IFLNK, NULL, 0},
    };
    struct blob b = build("zip", NULL, NULL, ents, 3);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    assert_int_equal(read_blob(&b, &default_lim, &s, &info), MG_AR_OK);
    assert_true(info.zip);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "a.txt");
    assert_int_equal(s.kinds[0], MG_AR_FILE);
    assert_int_equal(s.lens[0], 5);
    assert_string_equal(s.names[1], "dir/b.txt");
    assert_int_equal(s.lens[1], 6);
    assert_int_equal(s.kinds[2], MG_AR_SYMLINK);
    assert_int_equal(s.charged, 11);
    free(b.data);
}

static void test_read_tar_special_entries(void **state)
{
    (void)state;
    const struct ent ents[] = {
        {"a.txt", AE_IFREG, "x", 0},
        {"../../etc/passwd", AE_IFREG, "root:x:0:0", 0},
        {"hard", 0, NULL, 0},
        {"dev", AE_IFCHR, NULL, 0},
        {"fifo", AE_IFIFO, NULL, 0},
        {"sym", AE_IFLNK, NULL, 0},
    };
    struct blob b = build("pax", "gzip", NULL, ents, 6);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    assert_int_equal(read_blob(&b, &default_lim, &s, &info), MG_AR_OK);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.names[1], "../../etc/passwd");   /* raw: cleaning is archive_names' job */
    assert_int_equal(s.kinds[2], MG_AR_HARDLINK);
    assert_int_equal(s.kinds[3], MG_AR_SPECIAL);
    assert_int_equal(s.kinds[4], MG_AR_SPECIAL);
    assert_int_equal(s.kinds[5], MG_AR_SYMLINK);
    assert_string_equal(info.filter, "gzip");
    free(b.data);
}

static void test_read_plain_gzip(void **state)
{
    (void)state;
    const struct ent ents[] = {{"data", AE_IFREG, "just some text\n", 0}};
    struct blob b = build("raw", "gzip", NULL, ents, 1);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    enum mg_ar_status st = read_blob(&b, &default_lim, &s, &info);
    assert_int_equal(st, MG_AR_OK);
    assert_true(info.raw);
    assert_true(s.raw);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.lens[0], 15);
    free(b.data);
}

/* A gzip whose content starts with zero blocks: libarchive's tar reader
 * takes it for an empty tar; the reader must fall back to one raw member
 * instead of dropping the bytes. */
static void test_read_gzip_of_zero_blocks(void **state)
{
    (void)state;
    uint8_t plain[4096];
    memset(plain, 0, 2048);
    memset(plain + 2048, 'x', sizeof(plain) - 2048);
    struct blob b = {0};
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
    assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open2(a, &b, NULL, blob_write, NULL, NULL), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "data");
    archive_entry_set_filetype(e, AE_IFREG);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, plain, sizeof(plain)), (la_ssize_t)sizeof(plain));
    archive_entry_free(e);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    assert_int_equal(read_blob(&b, &default_lim, &s, &info), MG_AR_OK);
    assert_true(info.raw);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.lens[0], sizeof(plain));
    free(b.data);
}

static void test_read_encrypted_zip(void **state)
{
    (void)state;
    const struct ent ents[] = {{"secret.docx", AE_IFREG, "PK not really", 0}};
    struct blob b = build("zip", NULL, "zip:encryption=zipcrypt", ents, 1);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    assert_int_equal(read_blob(&b, &default_lim, &s, &info), MG_AR_ENCRYPTED);
    assert_int_equal(s.n, 0);          /* refused before any member is handed out */
    free(b.data);
}

static void test_read_bombs(void **state)
{
    (void)state;
    /* 8 MiB of one byte deflate to ~8 KiB: ratio ~1000 > 100. */
    const struct ent ents[] = {{"zeros.bin", AE_IFREG, NULL, 8u << 20}};
    struct blob b = build("zip", NULL, NULL, ents, 1);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    struct mg_ar_limits lim = default_lim;
    lim.max_member = 64u << 20;
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_LIMIT_RATIO);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.charged, 0);    /* refused from the declared sizes */
    free(b.data);

    /* Same in a tar.gz: no central directory, so the reader's own counting stops it. */
    b = build("pax", "gzip", NULL, ents, 1);
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_LIMIT_RATIO);
    assert_int_equal(s.n, 0);
    free(b.data);

    /* Member size limit, ratio off. */
    b = build("pax", "gzip", NULL, ents, 1);
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    lim.max_ratio = 0;
    lim.max_member = 1u << 20;
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_LIMIT_SIZE);
    free(b.data);

    /* A gzip'd stream of one byte without a declared size (raw format). */
    b = build("raw", "gzip", NULL, ents, 1);
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    lim = default_lim;
    lim.max_member = 64u << 20;
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_LIMIT_RATIO);
    assert_true(s.charged <= 100 * b.len);   /* stopped at the cap, nothing charged past it */
    assert_true(s.charged > 0);
    free(b.data);
}

static void test_read_limits_count_time_total(void **state)
{
    (void)state;
    struct ent ents[12];
    char names[12][16];
    for (int i = 0; i < 12; i++) {
        snprintf(names[i], sizeof(names[i]), "f%d.txt", i);
        ents[i] = (struct ent){names[i], AE_IFREG, "abc", 0};
    }
    struct mg_ar_limits lim = default_lim;
    lim.max_members = 10;
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    struct blob b = build("pax", NULL, NULL, ents, 12);
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_LIMIT_COUNT);
    assert_int_equal(s.n, 10);
    free(b.data);

    b = build("zip", NULL, NULL, ents, 12);      /* zip: refused from the directory */
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_LIMIT_COUNT);
    assert_int_equal(s.n, 0);

    memset(&s, 0, sizeof(s));
    s.time_budget = 3;
    assert_int_equal(read_blob(&b, &default_lim, &s, &info), MG_AR_LIMIT_TIME);

    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    s.charge_cap = 10;                            /* the job's total */
    assert_int_equal(read_blob(&b, &default_lim, &s, &info), MG_AR_LIMIT_SIZE);
    assert_int_equal(s.n, 3);
    free(b.data);
}

static void test_read_malformed(void **state)
{
    (void)state;
    const struct ent ents[] = {{"a.txt", AE_IFREG, "hello hello hello hello", 0},
                               {"b.txt", AE_IFREG, "more text here", 0}};
    struct blob b = build("zip", NULL, NULL, ents, 2);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    struct blob cut = {.data = b.data, .len = b.len - 30};
    assert_int_equal(read_blob(&cut, &default_lim, &s, &info), MG_AR_MALFORMED);
    free(b.data);

    b = build("pax", "gzip", NULL, ents, 2);
    cut = (struct blob){.data = b.data, .len = b.len / 2};
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    assert_int_equal(read_blob(&cut, &default_lim, &s, &info), MG_AR_MALFORMED);
    free(b.data);

    static const char junk[] = "this is not an archive at all, just words";
    struct blob j = {.data = (uint8_t *)junk, .len = sizeof(junk) - 1};
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    assert_int_equal(read_blob(&j, &default_lim, &s, &info), MG_AR_MALFORMED);
    assert_true(info.detail[0] != '\0');
}

/* The quarantine unlock path: the passphrase opens the zip, a wrong one does not. */
static void test_read_with_passphrase(void **state)
{
    (void)state;
    const struct ent ents[] = {{"見積.txt", AE_IFREG, "100 yen", 0}, {"b.txt", AE_IFREG, "bee", 0}};
    struct blob b = build("zip", NULL, "zip:encryption=zipcrypt", ents, 2);
    struct mg_ar_limits lim = default_lim;
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    lim.passphrase = "himitsu";
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.lens[0], 7);
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    lim.passphrase = "wrong";
    assert_int_equal(read_blob(&b, &lim, &s, &info), MG_AR_ENCRYPTED);
    assert_int_equal(s.n, 0);

    /* mg_archive_decrypt turns it into a plain tar with the same entries. */
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(NULL, &err);
    assert_non_null(pol);
    struct mg_buf tar;
    mg_buf_init(&tar);
    char detail[200];
    assert_int_equal(mg_archive_decrypt(pol, b.data, b.len, "himitsu", &tar, detail, sizeof(detail)),
                     MG_AR_OK);
    struct blob t = {.data = tar.data, .len = tar.len};
    memset(&s, 0, sizeof(s));
    s.time_budget = -1;
    assert_int_equal(read_blob(&t, &default_lim, &s, &info), MG_AR_OK);
    assert_non_null(strstr(info.format, "tar"));
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "見積.txt");
    assert_int_equal(s.lens[0], 7);
    mg_buf_reset(&tar);
    assert_int_equal(mg_archive_decrypt(pol, b.data, b.len, "nope", &tar, detail, sizeof(detail)),
                     MG_AR_ENCRYPTED);
    mg_buf_free(&tar);
    mg_policy_free(pol);
    free(b.data);
}

/* ---- zip central directory check on hand-made zips ---- */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xFFFF); put16(p + 2, v >> 16); }

/* One stored local entry "a" at 0 with 4 bytes, then n central records all
 * pointing at it (n > 1 overlaps), then the end record. */
static size_t make_zip(uint8_t *z, unsigned n, unsigned flags)
{
    memset(z, 0, 512);
    put32(z, 0x04034b50);
    put16(z + 6, flags);
    put32(z + 18, 4);
    put32(z + 22, 4);
    put16(z + 26, 1);
    z[30] = 'a';
    memcpy(z + 31, "data", 4);
    size_t p = 35, cd = p;
    for (unsigned i = 0; i < n; i++) {
        put32(z + p, 0x02014b50);
        put16(z + p + 8, flags);
        put32(z + p + 20, 4);
        put32(z + p + 24, 4);
        put16(z + p + 28, 1);
        put32(z + p + 42, 0);
        z[p + 46] = (uint8_t)('a' + i);
        p += 47;
    }
    put32(z + p, 0x06054b50);
    put16(z + p + 8, n);
    put16(z + p + 10, n);
    put32(z + p + 12, (uint32_t)(p - cd));
    put32(z + p + 16, (uint32_t)cd);
    return p + 22;
}

static void test_zipcheck(void **state)
{
    (void)state;
    uint8_t z[512];
    char d[200];
    size_t len = make_zip(z, 1, 0);
    assert_true(mg_zipcheck_is_zip(z, len));
    assert_int_equal(mg_zipcheck(z, len, &default_lim, d, sizeof(d)), MG_AR_OK);
    len = make_zip(z, 3, 0);
    assert_int_equal(mg_zipcheck(z, len, &default_lim, d, sizeof(d)), MG_AR_MALFORMED);
    assert_non_null(strstr(d, "overlap"));
    len = make_zip(z, 1, 1);
    assert_int_equal(mg_zipcheck(z, len, &default_lim, d, sizeof(d)), MG_AR_ENCRYPTED);
    len = make_zip(z, 1, 0);
    assert_int_equal(mg_zipcheck(z, len - 1, &default_lim, d, sizeof(d)), MG_AR_MALFORMED);
    /* central directory offset pointing past the end */
    put32(z + len - 6, 400);
    assert_int_equal(mg_zipcheck(z, len, &default_lim, d, sizeof(d)), MG_AR_MALFORMED);
    /* a declared count the directory cannot hold */
    len = make_zip(z, 1, 0);
    put16(z + len - 12, 900);
    assert_int_equal(mg_zipcheck(z, len, &default_lim, d, sizeof(d)), MG_AR_LIMIT_COUNT);
    struct mg_ar_limits big = default_lim;
    big.max_members = 0;
    big.max_member = 1u << 30;
    assert_int_equal(mg_zipcheck(z, len, &big, d, sizeof(d)), MG_AR_MALFORMED);
    /* declared size far over the compressed size */
    len = make_zip(z, 1, 0);
    put32(z + 35 + 24, 100u << 20);
    assert_int_equal(mg_zipcheck(z, len, &big, d, sizeof(d)), MG_AR_LIMIT_RATIO);
}

/* ---- writer ---- */

static void test_write_roundtrip_utf8_flag(void **state)
{
    (void)state;
    struct mg_buf out;
    mg_buf_init(&out);
    struct mg_sink sink;
    mg_sink_init_buf(&sink, &out);
    struct mg_arw *w = mg_arw_new(&sink);
    assert_non_null(w);
    assert_true(mg_arw_add(w, "請求書/見積①.txt", (const uint8_t *)"abc", 3, 0));
    assert_true(mg_arw_add(w, "plain.txt", (const uint8_t *)"", 0, 1700000000));
    assert_true(mg_arw_finish(w));
    mg_arw_free(w);
    /* The non-ASCII name carries bit 11 (UTF-8); libarchive leaves it off
     * for pure ASCII names, where it makes no difference. */
    size_t records = 0;
    for (size_t i = 0; i + 46 <= out.len; i++) {
        if (memcmp(out.data + i, "PK\1\2", 4) == 0) {
            records++;
            if (records == 1)
                assert_true(out.data[i + 9] & 0x08);
            assert_int_equal(out.data[i + 10], 8);   /* deflate */
        }
    }
    assert_int_equal(records, 2);
    struct seen s = {.time_budget = -1};
    struct mg_ar_info info;
    struct blob b = {.data = out.data, .len = out.len};
    assert_int_equal(read_blob(&b, &default_lim, &s, &info), MG_AR_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "請求書/見積①.txt");
    assert_int_equal(s.lens[0], 3);
    assert_string_equal(s.names[1], "plain.txt");
    mg_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_traversal),
        cmocka_unit_test(test_names_windows),
        cmocka_unit_test(test_names_hidden_characters),
        cmocka_unit_test(test_names_double_extension),
        cmocka_unit_test(test_names_charsets),
        cmocka_unit_test(test_names_length),
        cmocka_unit_test(test_names_collisions),
        cmocka_unit_test(test_names_display),
        cmocka_unit_test(test_read_zip_members),
        cmocka_unit_test(test_read_tar_special_entries),
        cmocka_unit_test(test_read_plain_gzip),
        cmocka_unit_test(test_read_gzip_of_zero_blocks),
        cmocka_unit_test(test_read_encrypted_zip),
        cmocka_unit_test(test_read_bombs),
        cmocka_unit_test(test_read_limits_count_time_total),
        cmocka_unit_test(test_read_malformed),
        cmocka_unit_test(test_read_with_passphrase),
        cmocka_unit_test(test_zipcheck),
        cmocka_unit_test(test_write_roundtrip_utf8_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
