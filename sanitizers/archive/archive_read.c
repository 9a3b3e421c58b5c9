/* libarchive under limits (see archive_read.h).
 *
 * Names: the thread runs in C.UTF-8 while libarchive reads, so names that
 * the format stores as Unicode (7z, zip with the UTF-8 flag, pax, rar5,
 * Joliet) come out as UTF-8, while names stored as legacy bytes (zip
 * without the flag, ustar, LHA, rar) come out as the raw bytes: libarchive
 * uses no conversion by default for those on POSIX systems
 * (archive_string_default_conversion_for_read returns NULL), and we set no
 * "hdrcharset" option on purpose so that glibc's iconv never decodes them
 * (see ../shared/JAPANESE.md). archive_names.c then tells the two apart.
 *
 * LHA is the exception: its paths use '\\' (0x5C) as separator, which is
 * also a CP932 trail byte ("表" is 95 5C), so libarchive converts LHA names
 * to Unicode before splitting them, and with no charset given that
 * conversion fails for every non-ASCII name (libarchive 3.6.2 returns
 * ARCHIVE_FATAL without a message). For LHA we therefore set
 * "lha:hdrcharset" to the legacy charset and let libarchive decode through
 * iconv; glibc's CP932 is the Microsoft table (JAPANESE.md). */
#include "sanitizers/archive/archive_read.h"

#include <archive.h>
#include <errno.h>
#include <stdlib.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sanitizers/archive/archive_zipcheck.h"

#define CHUNK ((size_t)64 * 1024)

const char *mg_ar_status_name(enum mg_ar_status s)
{
    static const char *const names[] = {
        "ok", "malformed", "encrypted", "limit-size", "limit-count",
        "limit-ratio", "limit-time", "limit-depth", "resources", "internal",
    };
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

typedef int (*filter_fn)(struct archive *);

/* Built-in decompressors only: a filter that libarchive would run as an
 * external program (ARCHIVE_WARN from its support call) is left out. */
static const struct { const char *name; filter_fn fn; } filters[] = {
    {"gzip", archive_read_support_filter_gzip},
    {"bzip2", archive_read_support_filter_bzip2},
    {"xz", archive_read_support_filter_xz},
    {"lzma", archive_read_support_filter_lzma},
    {"zstd", archive_read_support_filter_zstd},
};

static bool enable_filters(struct archive *a)
{
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        struct archive *probe = archive_read_new();
        if (probe == NULL)
            return false;
        int r = filters[i].fn(probe);
        archive_read_free(probe);
        if (r == ARCHIVE_OK && filters[i].fn(a) != ARCHIVE_OK)
            return false;
    }
    return true;
}

static bool enable_formats(struct archive *a)
{
    return archive_read_support_format_zip(a) == ARCHIVE_OK &&
           archive_read_support_format_7zip(a) == ARCHIVE_OK &&
           archive_read_support_format_tar(a) == ARCHIVE_OK &&
           archive_read_support_format_rar(a) == ARCHIVE_OK &&
           archive_read_support_format_rar5(a) == ARCHIVE_OK &&
           archive_read_support_format_cab(a) == ARCHIVE_OK &&
           archive_read_support_format_iso9660(a) == ARCHIVE_OK &&
           archive_read_support_format_lha(a) == ARCHIVE_OK;
}

/* NULL when libarchive cannot be set up; *rc is archive_read_open_memory's
 * result, which already includes choosing the format. */
static struct archive *open_archive(const uint8_t *data, size_t len, bool raw,
                                    const char *lha_charset, const char *passphrase, int *rc)
{
    struct archive *a = archive_read_new();
    if (a == NULL)
        return NULL;
    bool ok = enable_filters(a) &&
              (raw ? archive_read_support_format_raw(a) == ARCHIVE_OK : enable_formats(a));
    if (ok && !raw && lha_charset != NULL) {
        char opt[64];
        int n = snprintf(opt, sizeof(opt), "lha:hdrcharset=%s", lha_charset);
        ok = n > 0 && (size_t)n < sizeof(opt) && archive_read_set_options(a, opt) == ARCHIVE_OK;
    }
    if (ok && passphrase != NULL)
        ok = archive_read_add_passphrase(a, passphrase) == ARCHIVE_OK;
    if (!ok) {
        archive_read_free(a);
        return NULL;
    }
    /* libarchive never writes through the pointer; its API is not const. */
    *rc = archive_read_open_memory(a, (void *)(uintptr_t)data, len);
    return a;
}

/* libarchive's message, made safe for a report (printable ASCII, bounded). */
static void copy_error(struct archive *a, const char *prefix, char *out, size_t outlen)
{
    const char *msg = archive_error_string(a);
    if (msg == NULL)
        msg = "unknown error";
    int n = snprintf(out, outlen, "%s", prefix);
    size_t o = n > 0 && (size_t)n < outlen ? (size_t)n : 0;
    for (const char *p = msg; *p != '\0' && o + 1 < outlen; p++)
        out[o++] = (*p >= 0x20 && *p < 0x7F) ? *p : '?';
    out[o] = '\0';
}

/* libarchive reports "no passphrase" and encrypted 7z headers only as an
 * error string; has_encrypted_entries covers the formats that tell. */
static enum mg_ar_status classify_error(struct archive *a)
{
    /* has_encrypted_entries dereferences the format: only once one was chosen. */
    if (archive_format(a) != 0 && archive_read_has_encrypted_entries(a) > 0)
        return MG_AR_ENCRYPTED;
    const char *msg = archive_error_string(a);
    if (msg != NULL && (strcasestr(msg, "encrypt") != NULL || strcasestr(msg, "passphrase") != NULL ||
                        strcasestr(msg, "password") != NULL))
        return MG_AR_ENCRYPTED;
    return MG_AR_MALFORMED;
}

static enum mg_ar_kind kind_of(struct archive_entry *e)
{
    if (archive_entry_hardlink(e) != NULL)
        return MG_AR_HARDLINK;
    switch (archive_entry_filetype(e)) {
    case AE_IFREG: return MG_AR_FILE;
    case AE_IFDIR: return MG_AR_DIR;
    case AE_IFLNK: return MG_AR_SYMLINK;
    default: return MG_AR_SPECIAL;
    }
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

struct reader {
    struct archive *a;
    const struct mg_ar_limits *lim;
    const struct mg_ar_hooks *h;
    struct mg_ar_info *info;
    uint64_t ratio_cap;     /* expanded bytes allowed for the whole archive */
    uint8_t *chunk;
    bool raw;
};

static enum mg_ar_status set(struct mg_ar_info *info, enum mg_ar_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records why in info->detail and returns st. */
static enum mg_ar_status set(struct mg_ar_info *info, enum mg_ar_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->detail, sizeof(info->detail), fmt, ap);
    va_end(ap);
    return st;
}

/* Reads the current entry's data into sp under the limits. */
static enum mg_ar_status read_data(struct reader *r, struct mg_spool *sp, size_t *outlen)
{
    uint64_t n_member = 0;
    for (;;) {
        if (!r->h->time_ok(r->h->ctx))
            return set(r->info, MG_AR_LIMIT_TIME, "%s", "job time limit reached");
        la_ssize_t n = archive_read_data(r->a, r->chunk, CHUNK);
        if (n == 0)
            break;
        if (n < 0) {
            enum mg_ar_status st = classify_error(r->a);
            copy_error(r->a, "", r->info->detail, sizeof(r->info->detail));
            return st;
        }
        if ((size_t)n > CHUNK)
            return set(r->info, MG_AR_INTERNAL, "%s%llu", "libarchive returned too much: ",
                       (unsigned long long)n);
        n_member += (uint64_t)n;
        r->info->expanded += (uint64_t)n;
        if (r->lim->max_member != 0 && n_member > r->lim->max_member)
            return set(r->info, MG_AR_LIMIT_SIZE, "%s%llu bytes", "member larger than ",
                       (unsigned long long)r->lim->max_member);
        if (r->info->expanded > r->ratio_cap)
            return set(r->info, MG_AR_LIMIT_RATIO, "%s%llu bytes", "expands past ",
                       (unsigned long long)r->ratio_cap);
        if (!r->h->charge(r->h->ctx, (uint64_t)n))
            return set(r->info, MG_AR_LIMIT_SIZE, "%s%llu", "job total size limit reached at member ",
                       (unsigned long long)r->info->members);
        if (!mg_spool_write(sp, r->chunk, (size_t)n)) {
            if (mg_spool_error(sp) == EFBIG)
                return set(r->info, MG_AR_LIMIT_SIZE, "%s%llu", "member over the item size limit, ",
                           (unsigned long long)n_member);
            return set(r->info, MG_AR_RESOURCES, "%s%llu", "cannot store member data, errno ",
                       (unsigned long long)mg_spool_error(sp));
        }
    }
    if (n_member > SIZE_MAX)
        return set(r->info, MG_AR_LIMIT_SIZE, "%s%llu", "member too large: ",
                   (unsigned long long)n_member);
    *outlen = (size_t)n_member;
    return MG_AR_OK;
}

static enum mg_ar_status one_entry(struct reader *r, struct archive_entry *e)
{
    struct mg_ar_member m;
    memset(&m, 0, sizeof(m));
    m.index = r->info->members - 1;
    m.kind = kind_of(e);
    m.raw = r->raw;
    const char *name = archive_entry_pathname(e);
    if (name == NULL)
        name = archive_entry_pathname_utf8(e);
    if (name == NULL)
        name = "";
    m.raw_name = (const uint8_t *)name;
    m.raw_name_len = strlen(name);
    m.mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;

    if (m.kind != MG_AR_FILE) {
        if (archive_read_data_skip(r->a) != ARCHIVE_OK) {
            enum mg_ar_status st = classify_error(r->a);
            copy_error(r->a, "", r->info->detail, sizeof(r->info->detail));
            return st;
        }
        return r->h->member(r->h->ctx, &m);
    }
    /* Refuse on the declared size before decompressing anything. */
    if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0) {
        uint64_t declared = (uint64_t)archive_entry_size(e);
        if (r->lim->max_member != 0 && declared > r->lim->max_member)
            return set(r->info, MG_AR_LIMIT_SIZE, "%s%llu bytes", "member declares ",
                       (unsigned long long)declared);
        if (declared > r->ratio_cap || r->info->expanded + declared > r->ratio_cap)
            return set(r->info, MG_AR_LIMIT_RATIO, "%s%llu bytes", "members declare more than ",
                       (unsigned long long)r->ratio_cap);
    }
    struct mg_spool *sp = r->h->spool(r->h->ctx);
    if (sp == NULL)
        return set(r->info, MG_AR_RESOURCES, "%s%llu", "no storage for member ",
                   (unsigned long long)m.index);
    size_t len = 0;
    enum mg_ar_status st = read_data(r, sp, &len);
    if (st == MG_AR_OK) {
        size_t vlen = 0;
        m.data = mg_spool_view(sp, &vlen);
        m.len = vlen;
        if ((m.data == NULL && vlen == 0 && mg_spool_failed(sp)) || vlen != len) {
            st = set(r->info, MG_AR_RESOURCES, "%s%llu", "cannot map member ",
                     (unsigned long long)m.index);
        } else {
            if (m.data == NULL)
                m.data = (const uint8_t *)"";
            st = r->h->member(r->h->ctx, &m);
        }
    }
    if (r->h->release != NULL)
        r->h->release(r->h->ctx, sp);
    return st;
}

static void note_format(struct reader *r)
{
    const char *f = archive_format_name(r->a);
    snprintf(r->info->format, sizeof(r->info->format), "%s", f ? f : "");
    if (archive_filter_count(r->a) > 1) {
        const char *fn = archive_filter_name(r->a, 0);
        snprintf(r->info->filter, sizeof(r->info->filter), "%s", fn ? fn : "");
    }
}

static enum mg_ar_status read_all(struct reader *r, bool *unrecognized)
{
    struct archive_entry *e;
    for (;;) {
        if (!r->h->time_ok(r->h->ctx))
            return set(r->info, MG_AR_LIMIT_TIME, "%s%llu", "time limit at member ",
                       (unsigned long long)r->info->members);
        int rc = archive_read_next_header(r->a, &e);
        if (rc == ARCHIVE_EOF) {
            if (r->info->members == 0)
                note_format(r);
            return MG_AR_OK;
        }
        if (r->info->members == 0)
            note_format(r);
        /* WARN is a conversion or similar note on a usable header; RETRY
         * and worse leave no entry we could trust. */
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            enum mg_ar_status st = classify_error(r->a);
            if (st == MG_AR_MALFORMED && r->info->members == 0 && archive_format(r->a) == 0)
                *unrecognized = true;
            copy_error(r->a, "", r->info->detail, sizeof(r->info->detail));
            return st;
        }
        r->info->members++;
        if (r->lim->max_members != 0 && r->info->members > r->lim->max_members)
            return set(r->info, MG_AR_LIMIT_COUNT, "%s%llu members", "more than ",
                       (unsigned long long)r->lim->max_members);
        if (r->lim->passphrase == NULL &&
            (archive_entry_is_encrypted(e) || archive_read_has_encrypted_entries(r->a) > 0))
            return set(r->info, MG_AR_ENCRYPTED, "%s%llu", "encrypted member ",
                       (unsigned long long)r->info->members);
        enum mg_ar_status st = one_entry(r, e);
        if (st != MG_AR_OK)
            return st;
    }
}

static enum mg_ar_status run_pass(struct reader *r, const uint8_t *data, size_t len, bool raw,
                                  bool *unrecognized)
{
    int rc = ARCHIVE_FATAL;
    r->raw = raw;
    *unrecognized = false;
    r->a = open_archive(data, len, raw, r->lim->lha_charset, r->lim->passphrase, &rc);
    if (r->a == NULL)
        return set(r->info, MG_AR_RESOURCES, "%s", "cannot set up libarchive");
    enum mg_ar_status st;
    if (rc != ARCHIVE_OK) {
        /* The filters and the format are chosen when opening. */
        note_format(r);
        st = classify_error(r->a);
        *unrecognized = st == MG_AR_MALFORMED && archive_format(r->a) == 0;
        copy_error(r->a, "", r->info->detail, sizeof(r->info->detail));
    } else {
        st = read_all(r, unrecognized);
    }
    if (st == MG_AR_OK && archive_read_close(r->a) != ARCHIVE_OK) {
        st = classify_error(r->a);
        copy_error(r->a, "", r->info->detail, sizeof(r->info->detail));
    }
    archive_read_free(r->a);
    r->a = NULL;
    return st;
}

enum mg_ar_status mg_ar_read(const uint8_t *data, size_t len, const struct mg_ar_limits *lim,
                             const struct mg_ar_hooks *hooks, struct mg_ar_info *info)
{
    memset(info, 0, sizeof(*info));
    struct reader r = {.lim = lim, .h = hooks, .info = info};
    r.ratio_cap = lim->max_ratio ? mul_sat(lim->max_ratio, len) : UINT64_MAX;
    if (r.ratio_cap < lim->ratio_floor)
        r.ratio_cap = lim->ratio_floor;

    info->zip = mg_zipcheck_is_zip(data, len);
    if (info->zip) {
        enum mg_ar_status st = mg_zipcheck(data, len, lim, info->detail, sizeof(info->detail));
        if (st != MG_AR_OK)
            return st;
    }

    /* Only LC_CTYPE changes: the member callback runs the engine, whose
     * notices need the caller's LC_MESSAGES for gettext. */
    locale_t base = duplocale(uselocale((locale_t)0));
    if (base == (locale_t)0)
        return set(info, MG_AR_RESOURCES, "%s", "cannot copy the locale");
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", base);
    if (utf8 == (locale_t)0) {
        freelocale(base);
        return set(info, MG_AR_INTERNAL, "%s", "the C.UTF-8 locale is missing");
    }
    locale_t old = uselocale(utf8);
    r.chunk = malloc(CHUNK);
    enum mg_ar_status st;
    if (r.chunk == NULL) {
        st = set(info, MG_AR_RESOURCES, "%s", "out of memory");
    } else {
        bool unrecognized = false;
        st = run_pass(&r, data, len, false, &unrecognized);
        /* A compressed stream whose content is no archive: a plain .gz,
         * .bz2, .xz or .zst file, read as one member. Also when the tar
         * reader took it for an empty tar: a stream that starts with 512
         * zero bytes is a tar end marker to libarchive, and everything after
         * it would be dropped without a word. */
        bool empty_tar = st == MG_AR_OK && info->members == 0 &&
                         strstr(info->format, "tar") != NULL;
        if (((st == MG_AR_MALFORMED && unrecognized) || empty_tar) && info->members == 0 &&
            info->filter[0] != '\0') {
            char filter[sizeof(info->filter)];
            memcpy(filter, info->filter, sizeof(filter));
            memset(info, 0, sizeof(*info));
            st = run_pass(&r, data, len, true, &unrecognized);
            info->raw = true;
            memcpy(info->filter, filter, sizeof(filter));
        }
    }
    free(r.chunk);
    uselocale(old);
    freelocale(utf8);
    return st;
}
