#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

bool mg_fd_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0) {
            errno = EIO;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool mg_dir_fsync(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    int e = errno;
    close(fd);
    errno = e;
    return ok;
}

bool mg_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    struct mg_buf tmp, dir;
    mg_buf_init(&tmp);
    mg_buf_init(&dir);
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        mg_buf_puts(&dir, ".");
    else if (slash == path)
        mg_buf_puts(&dir, "/");
    else
        mg_buf_append(&dir, path, (size_t)(slash - path));
    /* Unique per call, not per process: two threads storing the same
     * content-addressed blob at once must not share (and steal) a temp file. */
    static atomic_ulong seq;
    mg_buf_printf(&tmp, "%s.mugai-tmp-%ld-%lu", path, (long)getpid(),
                  (unsigned long)atomic_fetch_add(&seq, 1));
    if (mg_buf_failed(&tmp) || mg_buf_failed(&dir)) {
        mg_buf_free(&tmp);
        mg_buf_free(&dir);
        errno = ENOMEM;
        return false;
    }
    const char *tpath = mg_buf_cstr(&tmp);
    int fd = open(tpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    bool ok = fd >= 0;
    int e = errno;
    if (ok) {
        ok = mg_fd_write_all(fd, data, len) && fsync(fd) == 0;
        e = errno;
        if (close(fd) != 0 && ok)
            ok = false, e = errno;
        if (ok && rename(tpath, path) != 0)
            ok = false, e = errno;
        if (!ok)
            unlink(tpath);
        if (ok && !mg_dir_fsync(mg_buf_cstr(&dir)))
            ok = false, e = errno;
    }
    mg_buf_free(&tmp);
    mg_buf_free(&dir);
    errno = e;
    return ok;
}
