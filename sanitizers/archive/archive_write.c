/* Zip writer on libarchive (see archive_write.h). */
#include "sanitizers/archive/archive_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mg_arw {
    struct archive *a;
    struct mg_sink *out;
    bool failed;
    char error[160];
};

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
    (void)a;
    struct mg_arw *w = ctx;
    if (!mg_sink_write(w->out, buf, len))
        return -1;
    return (la_ssize_t)len;
}

static void fail(struct mg_arw *w, const char *what)
{
    if (w->failed)
        return;
    w->failed = true;
    const char *msg = archive_error_string(w->a);
    snprintf(w->error, sizeof(w->error), "%s: %s", what, msg ? msg : "failed");
}

struct mg_arw *mg_arw_new(struct mg_sink *out)
{
    struct mg_arw *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->out = out;
    w->a = archive_write_new();
    if (w->a == NULL) {
        free(w);
        return NULL;
    }
    /* hdrcharset=UTF-8 makes libarchive store the names as given and set
     * the UTF-8 flag; without it, it would convert to the locale's charset. */
    if (archive_write_set_format_zip(w->a) != ARCHIVE_OK ||
        archive_write_set_options(w->a, "zip:compression=deflate,zip:hdrcharset=UTF-8") != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
        archive_write_open2(w->a, w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
        archive_write_free(w->a);
        free(w);
        return NULL;
    }
    return w;
}

bool mg_arw_add(struct mg_arw *w, const char *path, const uint8_t *data, size_t len, time_t mtime)
{
    if (w->failed)
        return false;
    /* 1980-01-01 and 2107-12-31 in UTC, the ends of a DOS date. */
    if (mtime < 315532800)
        mtime = 315532800;
    if (mtime > 4354819199)
        mtime = 4354819199;
    struct archive_entry *e = archive_entry_new();
    if (e == NULL) {
        fail(w, "entry");
        return false;
    }
    archive_entry_set_pathname_utf8(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, mtime, 0);
    bool ok = archive_write_header(w->a, e) == ARCHIVE_OK;
    archive_entry_free(e);
    if (!ok) {
        fail(w, "header");
        return false;
    }
    size_t done = 0;
    while (done < len) {
        la_ssize_t n = archive_write_data(w->a, data + done, len - done);
        if (n <= 0 || (size_t)n > len - done) {
            fail(w, "data");
            return false;
        }
        done += (size_t)n;
    }
    if (archive_write_finish_entry(w->a) != ARCHIVE_OK) {
        fail(w, "entry end");
        return false;
    }
    return true;
}

bool mg_arw_finish(struct mg_arw *w)
{
    if (w->failed)
        return false;
    if (archive_write_close(w->a) != ARCHIVE_OK) {
        fail(w, "close");
        return false;
    }
    return !w->out->failed;
}

const char *mg_arw_error(const struct mg_arw *w)
{
    return w->error;
}

void mg_arw_free(struct mg_arw *w)
{
    if (w == NULL)
        return;
    archive_write_free(w->a);
    free(w);
}
