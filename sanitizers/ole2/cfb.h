/* Compound File Binary (MS-CFB) reader and writer of our own. The reader
 * treats every number in the file as hostile: sector numbers are range
 * checked, every sector may belong to one chain only (loops and cross-links
 * are malformed), the directory tree is walked iteratively with a visited
 * set, entry counts and storage depth are capped. The result is a plain tree
 * (entries with parent/child/sibling indices, stream bytes copied out); the
 * writer makes a fresh version-3 file from the entries not marked removed. */
#ifndef MG_SANITIZERS_CFB_H
#define MG_SANITIZERS_CFB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MG_CFB_NONE SIZE_MAX

enum mg_cfb_type { MG_CFB_STORAGE = 1, MG_CFB_STREAM = 2, MG_CFB_ROOT = 5 };

struct mg_cfb_entry {
    uint16_t name[32];       /* UTF-16 code units, not NUL-terminated */
    size_t name_len;         /* code units, at most 31 */
    enum mg_cfb_type type;
    uint8_t clsid[16];
    uint32_t state;
    uint64_t ctime, mtime;
    uint8_t *data;           /* stream bytes (malloc'd), NULL for storages */
    size_t size;
    size_t parent;           /* MG_CFB_NONE for the root */
    size_t first_child;      /* model links, not the file's tree */
    size_t next_sibling;
    unsigned depth;          /* root 0 */
    bool removed;            /* set by the caller; the writer skips the subtree */
};

struct mg_cfb {
    struct mg_cfb_entry *e;  /* e[0] is the root */
    size_t n;
    unsigned major;          /* version of the input (3 or 4) */
};

struct mg_cfb_limits {
    size_t max_entries;      /* directory entries read */
    unsigned max_depth;      /* storage nesting */
};

enum mg_cfb_status { MG_CFB_OK = 0, MG_CFB_MALFORMED, MG_CFB_LIMIT, MG_CFB_NOMEM };

/* Parses data[len]. On failure err says why (for the report) and *c is empty. */
enum mg_cfb_status mg_cfb_read(const uint8_t *data, size_t len, const struct mg_cfb_limits *lim,
                               struct mg_cfb *c, char *err, size_t errlen);
void mg_cfb_free(struct mg_cfb *c);

/* Writes the kept entries as a version-3 compound file (512-byte sectors,
 * miniFAT for streams under 4096 bytes). MALFORMED when two kept siblings
 * have the same name (the tree would be ambiguous), NOMEM/LIMIT from out. */
enum mg_cfb_status mg_cfb_write(const struct mg_cfb *c, struct mg_buf *out, char *err, size_t errlen);

/* CFB name order: shorter first, then code unit by code unit upper-cased. */
int mg_cfb_name_cmp(const uint16_t *a, size_t alen, const uint16_t *b, size_t blen);
/* Case-insensitive equality of an entry name with an ASCII string. */
bool mg_cfb_name_is(const struct mg_cfb_entry *e, const char *ascii);
/* Does the name start with the ASCII prefix (case-insensitive)? */
bool mg_cfb_name_has_prefix(const struct mg_cfb_entry *e, const char *ascii);
/* Printable UTF-8 form for reports ("\x01Ole10Native" for control units). */
void mg_cfb_name_utf8(const struct mg_cfb_entry *e, char *buf, size_t buflen);
/* Child of storage `parent` with that ASCII name, or MG_CFB_NONE. */
size_t mg_cfb_child(const struct mg_cfb *c, size_t parent, const char *ascii);

#endif
