/* Reading an archive with libarchive under mugai's limits. libarchive's
 * output is untrusted (STYLE.md 8): every member is read with a cap on its
 * size, on the archive's total and on the expansion ratio, the member count
 * is capped, and only the formats and built-in filters listed here are
 * enabled (never an external decompressor program, never mtree, which
 * reads files from the disk). The reader knows nothing of the engine: the
 * caller supplies storage and a callback per member through hooks. */
#ifndef MG_SANITIZERS_ARCHIVE_READ_H
#define MG_SANITIZERS_ARCHIVE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/spool.h"

enum mg_ar_status {
    MG_AR_OK = 0,
    MG_AR_MALFORMED,
    MG_AR_ENCRYPTED,
    MG_AR_LIMIT_SIZE,   /* a member over max_member, or the job's total */
    MG_AR_LIMIT_COUNT,
    MG_AR_LIMIT_RATIO,
    MG_AR_LIMIT_TIME,
    MG_AR_LIMIT_DEPTH,  /* only passed through from the member callback */
    MG_AR_RESOURCES,    /* out of memory or disk: a temporary failure */
    MG_AR_INTERNAL,
};

struct mg_ar_limits {
    uint64_t max_member;   /* bytes of one member */
    uint64_t max_members;  /* entries of any kind */
    uint64_t max_ratio;    /* expanded bytes / archive bytes; 0 = no ratio check */
    uint64_t ratio_floor;  /* ratio checks only above this many expanded bytes */
    /* Not a limit: the iconv name of the legacy charset for LHA names
     * ("CP932"), or NULL for libarchive's default (see archive_read.c). */
    const char *lha_charset;
    /* Not a limit either: a passphrase for `mugai quarantine unlock`. NULL
     * (always, for normal traffic) refuses any encryption; set, encrypted
     * entries are decrypted and everything else stays the same. */
    const char *passphrase;
};

enum mg_ar_kind { MG_AR_FILE, MG_AR_DIR, MG_AR_SYMLINK, MG_AR_HARDLINK, MG_AR_SPECIAL };

struct mg_ar_member {
    size_t index;              /* 0-based entry number */
    enum mg_ar_kind kind;
    const uint8_t *raw_name;   /* bytes as stored (see archive_read.c on charsets) */
    size_t raw_name_len;
    const uint8_t *data;       /* MG_AR_FILE only; valid while the spool lives */
    size_t len;
    time_t mtime;              /* 0 when unknown */
    bool raw;                  /* the one member of a plain compressed file (name "data") */
};

struct mg_ar_hooks {
    void *ctx;
    /* Called between chunks; false stops with MG_AR_LIMIT_TIME. */
    bool (*time_ok)(void *ctx);
    /* Counts n expanded bytes against the job's budget; false stops with
     * MG_AR_LIMIT_SIZE. */
    bool (*charge)(void *ctx, uint64_t n);
    /* Storage for one member's bytes (NULL: MG_AR_RESOURCES). */
    struct mg_spool *(*spool)(void *ctx);
    /* Called after the member callback; NULL when the ctx owns the spools. */
    void (*release)(void *ctx, struct mg_spool *sp);
    /* Called once per entry; anything but MG_AR_OK stops the reading and
     * is returned (with the callback's own detail). */
    enum mg_ar_status (*member)(void *ctx, const struct mg_ar_member *m);
};

struct mg_ar_info {
    char format[48];           /* libarchive's format name ("ZIP 2.0 (deflation)") */
    char filter[24];           /* outermost compression filter ("gzip"), "" when none */
    bool raw;                  /* a plain compressed file (one member) */
    bool zip;                  /* input is a zip */
    size_t members;
    uint64_t expanded;
    char detail[200];          /* why, when the status is not OK (UTF-8) */
};

/* Reads every entry of data[len]. Needs a UTF-8 LC_CTYPE for libarchive's
 * conversions; it switches the calling thread to C.UTF-8 and back. */
enum mg_ar_status mg_ar_read(const uint8_t *data, size_t len, const struct mg_ar_limits *lim,
                             const struct mg_ar_hooks *hooks, struct mg_ar_info *info);

const char *mg_ar_status_name(enum mg_ar_status s);

#endif
