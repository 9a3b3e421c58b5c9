/* File writing that reports every failure: whole writes across EINTR and
 * short writes, and atomic replacement (temporary name in the same folder,
 * fsync, rename, fsync of the folder) for anything that must survive a
 * crash whole or not at all. */
#ifndef MG_CORE_FILEIO_H
#define MG_CORE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes all len bytes; false with errno set on any failure. */
bool mg_fd_write_all(int fd, const void *data, size_t len);
/* Replaces path with data atomically and durably; mode for a new file.
 * false with errno set; no temporary file is left behind. */
bool mg_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* fsync of a folder, so that a rename in it is durable. */
bool mg_dir_fsync(const char *dir);

#endif
