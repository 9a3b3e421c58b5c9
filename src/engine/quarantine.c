#include "engine/quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "engine/report.h"

static bool write_durable(const char *dir, const char *name, const void *data, size_t len)
{
    char *tmp = g_strdup_printf("%s/.%s.tmp", dir, name);
    char *dst = g_strdup_printf("%s/%s", dir, name);
    bool ok = false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        const uint8_t *p = data;
        size_t left = len;
        ok = true;
        while (ok && left > 0) {
            ssize_t n = write(fd, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                ok = false;
            else
                p += n, left -= (size_t)n;
        }
        ok = ok && fsync(fd) == 0;
        ok = (close(fd) == 0) && ok;
        ok = ok && rename(tmp, dst) == 0;
        if (!ok)
            unlink(tmp);
    }
    g_free(tmp);
    g_free(dst);
    return ok;
}

static bool fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

bool mg_quarantine_store(const struct mg_policy *pol, const struct mg_job *job,
                         const uint8_t *data, size_t len, const char *meta_json)
{
    const char *id = mg_job_id(job);
    char *dir = g_build_filename(pol->quarantine_dir, id, NULL);
    bool ok = g_mkdir_with_parents(dir, 0700) == 0;
    if (ok)
        ok = write_durable(dir, "original", data, len);
    if (ok) {
        struct mg_buf meta;
        mg_buf_init(&meta);
        mg_buf_puts(&meta, "{\"meta\":");
        mg_buf_puts(&meta, meta_json && *meta_json ? meta_json : "null");
        mg_buf_puts(&meta, ",\"report\":");
        mg_report_json(job, &meta, false);
        mg_buf_puts(&meta, "}\n");
        ok = !mg_buf_failed(&meta) && write_durable(dir, "record.json", meta.data, meta.len);
        mg_buf_free(&meta);
    }
    ok = ok && fsync_dir(dir) && fsync_dir(pol->quarantine_dir);
    if (!ok)
        mg_log_errno(MG_LOG_ERROR, id, NULL, "quarantine: cannot store the original in %s", dir);
    else
        mg_log(MG_LOG_INFO, id, NULL, "quarantine: original stored in %s", dir);
    g_free(dir);
    return ok;
}
