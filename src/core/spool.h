/* A byte store that stays in memory up to a threshold and then moves to an
 * unlinked temporary file (the c-icap cached-file idea). Memory per item is
 * bounded by the threshold, not by the input. Readers get the whole content
 * as one contiguous view (memory or mmap) so that random-access parsers
 * (zip, CFB, PDF) work on both. Errors are sticky. */
#ifndef MG_CORE_SPOOL_H
#define MG_CORE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_spool;

/* threshold: bytes kept in memory before spilling; tmpdir NULL = $TMPDIR or /tmp.
 * max_size: hard cap on the content (0 = none); writing past it fails. */
struct mg_spool *mg_spool_new(size_t threshold, size_t max_size, const char *tmpdir);
void mg_spool_free(struct mg_spool *sp);

bool mg_spool_write(struct mg_spool *sp, const void *data, size_t len);
size_t mg_spool_size(const struct mg_spool *sp);
bool mg_spool_failed(const struct mg_spool *sp);
/* errno-style reason of the first failure: ENOSPC, EFBIG (over max_size), ENOMEM ... */
int mg_spool_error(const struct mg_spool *sp);
bool mg_spool_on_disk(const struct mg_spool *sp);

/* Contiguous read-only view of the whole content, valid until the next write
 * or mg_spool_free. Returns NULL with *len = 0 for an empty spool, and NULL
 * with the spool marked failed when mapping fails. */
const uint8_t *mg_spool_view(struct mg_spool *sp, size_t *len);

/* Drops the content, keeps the settings. */
void mg_spool_truncate(struct mg_spool *sp);

/* Copies the content to fd (a file being written), checking every write. */
bool mg_spool_copy_to_fd(struct mg_spool *sp, int fd);

/* Process-wide: every spool created afterwards spills into dir instead of
 * its own tmpdir (a sandbox worker may only write in its scratch folder).
 * NULL restores the normal behaviour. The string must outlive the spools. */
void mg_spool_set_dir_override(const char *dir);

/* Default threshold used when config gives none. */
#define MG_SPOOL_DEFAULT_THRESHOLD ((size_t)1 << 20)

#endif
