#include "core/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"

struct mg_spool {
    struct mg_buf mem;
    size_t threshold;
    size_t max_size;
    char *tmpdir;
    int fd;            /* -1 while in memory */
    size_t size;
    void *map;         /* current mapping of the file, or NULL */
    size_t map_len;
    int error;         /* 0, or errno of the first failure (sticky) */
};

static const char *dir_override;

void mg_spool_set_dir_override(const char *dir)
{
    dir_override = dir;
}

struct mg_spool *mg_spool_new(size_t threshold, size_t max_size, const char *tmpdir)
{
    struct mg_spool *sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return NULL;
    mg_buf_init(&sp->mem);
    sp->threshold = threshold;
    sp->max_size = max_size;
    sp->fd = -1;
    if (dir_override != NULL)
        tmpdir = dir_override;
    if (tmpdir == NULL || *tmpdir == '\0')
        tmpdir = getenv("TMPDIR");
    if (tmpdir == NULL || *tmpdir == '\0')
        tmpdir = "/tmp";
    sp->tmpdir = strdup(tmpdir);
    if (sp->tmpdir == NULL) {
        free(sp);
        return NULL;
    }
    return sp;
}

static void unmap(struct mg_spool *sp)
{
    if (sp->map != NULL) {
        munmap(sp->map, sp->map_len);
        sp->map = NULL;
        sp->map_len = 0;
    }
}

void mg_spool_free(struct mg_spool *sp)
{
    if (sp == NULL)
        return;
    unmap(sp);
    if (sp->fd >= 0)
        close(sp->fd);
    mg_buf_free(&sp->mem);
    free(sp->tmpdir);
    free(sp);
}

static void fail(struct mg_spool *sp, int err)
{
    if (sp->error == 0)
        sp->error = err ? err : EIO;
}

static int open_tmp(const char *dir)
{
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
#endif
    /* Fallback for filesystems without O_TMPFILE: create, then unlink at once. */
    struct mg_buf path;
    mg_buf_init(&path);
    if (!mg_buf_printf(&path, "%s/mugai-spool-XXXXXX", dir)) {
        mg_buf_free(&path);
        errno = ENOMEM;
        return -1;
    }
    char *name = (char *)path.data;
    int fd2 = mkostemp(name, O_CLOEXEC);
    if (fd2 >= 0)
        unlink(name);
    int saved = errno;
    mg_buf_free(&path);
    errno = saved;
    return fd2;
}

static bool spill(struct mg_spool *sp)
{
    int fd = open_tmp(sp->tmpdir);
    if (fd < 0) {
        fail(sp, errno);
        return false;
    }
    if (!mg_fd_write_all(fd, sp->mem.data, sp->mem.len)) {
        fail(sp, errno);
        close(fd);
        return false;
    }
    sp->fd = fd;
    mg_buf_free(&sp->mem);
    return true;
}

bool mg_spool_write(struct mg_spool *sp, const void *data, size_t len)
{
    if (sp->error != 0)
        return false;
    if (len == 0)
        return true;
    if (len > SIZE_MAX - sp->size || (sp->max_size != 0 && sp->size + len > sp->max_size)) {
        fail(sp, EFBIG);
        return false;
    }
    unmap(sp);
    if (sp->fd < 0 && sp->size + len > sp->threshold && !spill(sp))
        return false;
    if (sp->fd < 0) {
        if (!mg_buf_append(&sp->mem, data, len)) {
            fail(sp, ENOMEM);
            return false;
        }
    } else if (!mg_fd_write_all(sp->fd, data, len)) {
        fail(sp, errno);
        return false;
    }
    sp->size += len;
    return true;
}

size_t mg_spool_size(const struct mg_spool *sp) { return sp->size; }
bool mg_spool_failed(const struct mg_spool *sp) { return sp->error != 0; }
int mg_spool_error(const struct mg_spool *sp) { return sp->error; }
bool mg_spool_on_disk(const struct mg_spool *sp) { return sp->fd >= 0; }

const uint8_t *mg_spool_view(struct mg_spool *sp, size_t *len)
{
    *len = 0;
    if (sp->error != 0 || sp->size == 0)
        return NULL;
    if (sp->fd < 0) {
        *len = sp->mem.len;
        return sp->mem.data;
    }
    if (sp->map == NULL) {
        void *m = mmap(NULL, sp->size, PROT_READ, MAP_SHARED, sp->fd, 0);
        if (m == MAP_FAILED) {
            fail(sp, errno);
            return NULL;
        }
        sp->map = m;
        sp->map_len = sp->size;
    }
    *len = sp->size;
    return sp->map;
}

void mg_spool_truncate(struct mg_spool *sp)
{
    unmap(sp);
    if (sp->fd >= 0) {
        close(sp->fd);
        sp->fd = -1;
    }
    mg_buf_free(&sp->mem);
    sp->size = 0;
    sp->error = 0;
}

bool mg_spool_copy_to_fd(struct mg_spool *sp, int fd)
{
    size_t len;
    const uint8_t *p = mg_spool_view(sp, &len);
    if (p == NULL)
        return sp->error == 0;
    return mg_fd_write_all(fd, p, len);
}
