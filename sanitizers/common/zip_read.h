/* A bounds-checked zip reader for formats built on zip (OOXML, ODF ...), not
 * a general archive reader: the whole file is one contiguous view, every
 * entry's central-directory record is cross-checked against its local header,
 * entries may not overlap or leave the file, names must be unique, only
 * stored and deflate are read, and sizes/ratios are held to caller limits
 * before anything is inflated. Anything else is an error, never a guess. */
#ifndef MG_SANITIZERS_ZIP_READ_H
#define MG_SANITIZERS_ZIP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_zip_status {
    MG_ZIP_OK = 0,
    MG_ZIP_MALFORMED,     /* structure broken, inconsistent or unsupported */
    MG_ZIP_ENCRYPTED,     /* an entry (or the directory) is encrypted */
    MG_ZIP_LIMIT_SIZE,    /* an entry or the total exceeds the size limits */
    MG_ZIP_LIMIT_RATIO,   /* compression ratio above the limit */
    MG_ZIP_LIMIT_COUNT,   /* too many entries */
    MG_ZIP_NOMEM,
};

struct mg_zip_limits {
    uint64_t max_entries;     /* 0 = 65535*16 */
    uint64_t max_entry_size;  /* uncompressed, per entry; 0 = no limit */
    uint64_t max_total_size;  /* uncompressed, sum of entries; 0 = no limit */
    uint64_t max_ratio;       /* uncompressed/compressed; 0 = no limit */
};

/* Entries smaller than this are not held to max_ratio: deflate reaches
 * about 1000:1 on a few KB of repeated XML, which is harmless. */
#define MG_ZIP_RATIO_FLOOR ((uint64_t)1 << 20)

struct mg_zip_entry {
    char *name;               /* NUL-terminated; contains no NUL */
    size_t name_len;
    uint16_t method;          /* 0 stored, 8 deflate */
    uint16_t flags;
    uint32_t crc;
    uint64_t csize, usize;
    uint64_t lh_off;          /* local header */
    uint64_t data_off;        /* first byte of the compressed data */
    uint64_t end_off;         /* one past the data (and descriptor) */
    bool is_dir;              /* name ends in '/' */
};

struct mg_zip {
    const uint8_t *data;      /* borrowed */
    size_t len;
    struct mg_zip_entry *e;
    size_t n;
    uint64_t total_usize;
    bool zip64;
    /* Bytes that belong to no entry's data: gaps between entries, comments,
     * zip64 extensible data. A streaming zip reader could find other
     * entries there; a rebuilt zip has none. */
    uint64_t hidden;
    char err[160];            /* why, for the report */
};

/* Parses and checks the whole directory. On failure z holds no entries and
 * z->err says why; mg_zip_close is safe either way. */
enum mg_zip_status mg_zip_open(struct mg_zip *z, const uint8_t *data, size_t len,
                               const struct mg_zip_limits *lim);
void mg_zip_close(struct mg_zip *z);

/* Index of the entry with this exact name, or -1 (names are unique). */
long mg_zip_find(const struct mg_zip *z, const char *name);
/* Same, ASCII case-insensitive (OPC part names). */
long mg_zip_find_ci(const struct mg_zip *z, const char *name);

/* Inflates entry i into a new malloc'd buffer of exactly usize bytes (plus a
 * NUL not counted), checking the size and CRC. */
enum mg_zip_status mg_zip_extract(struct mg_zip *z, size_t i, uint8_t **out, size_t *outlen);

const char *mg_zip_status_name(enum mg_zip_status s);

#endif
