/* PPAP unlock: encrypted archive -> plain tar (see archive_unlock.h). */
#include "sanitizers/archive/archive_unlock.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "sanitizers/archive/archive_conf.h"

struct unlock_ctx {
    const struct mg_policy *pol;
    struct archive *w;
    struct mg_buf *out;
    gint64 deadline;          /* g_get_monotonic_time() microseconds */
    uint64_t inflated;
    bool write_failed;
};

static la_ssize_t tar_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
    (void)a;
    struct unlock_ctx *c = ctx;
    if (!mg_buf_append(c->out, buf, len))
        return -1;
    return (la_ssize_t)len;
}

static bool u_time_ok(void *ctx)
{
    struct unlock_ctx *c = ctx;
    return g_get_monotonic_time() < c->deadline;
}

static bool u_charge(void *ctx, uint64_t n)
{
    struct unlock_ctx *c = ctx;
    uint64_t max = c->pol->limits.max_total_size;
    c->inflated = n > UINT64_MAX - c->inflated ? UINT64_MAX : c->inflated + n;
    return max == 0 || c->inflated <= max;
}

static struct mg_spool *u_spool(void *ctx)
{
    struct unlock_ctx *c = ctx;
    return mg_spool_new(c->pol->spool_threshold ? (size_t)c->pol->spool_threshold
                                                : MG_SPOOL_DEFAULT_THRESHOLD,
                        (size_t)c->pol->limits.max_item_size, c->pol->tmpdir);
}

static void u_release(void *ctx, struct mg_spool *sp)
{
    (void)ctx;
    mg_spool_free(sp);
}

/* Every entry goes into the tar with its stored name; links and special
 * files keep only their kind (the sanitizer replaces them by notices). */
static enum mg_ar_status u_member(void *ctx, const struct mg_ar_member *m)
{
    struct unlock_ctx *c = ctx;
    struct archive_entry *e = archive_entry_new();
    if (e == NULL)
        return MG_AR_RESOURCES;
    char *name = g_strndup((const char *)m->raw_name, m->raw_name_len);
    archive_entry_copy_pathname(e, name[0] ? name : "unnamed");
    g_free(name);
    archive_entry_set_mtime(e, m->mtime, 0);
    switch (m->kind) {
    case MG_AR_FILE:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)m->len);
        break;
    case MG_AR_DIR:
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        break;
    case MG_AR_SYMLINK:
    case MG_AR_HARDLINK:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_perm(e, 0777);
        archive_entry_set_symlink(e, "(link)");
        break;
    case MG_AR_SPECIAL:
        archive_entry_set_filetype(e, AE_IFIFO);
        archive_entry_set_perm(e, 0644);
        break;
    }
    bool ok = archive_write_header(c->w, e) == ARCHIVE_OK;
    archive_entry_free(e);
    for (size_t done = 0; ok && m->kind == MG_AR_FILE && done < m->len;) {
        la_ssize_t n = archive_write_data(c->w, m->data + done, m->len - done);
        ok = n > 0 && (size_t)n <= m->len - done;
        if (ok)
            done += (size_t)n;
    }
    if (!ok) {
        c->write_failed = true;
        return mg_buf_failed(c->out) ? MG_AR_LIMIT_SIZE : MG_AR_INTERNAL;
    }
    return MG_AR_OK;
}

enum mg_ar_status mg_archive_decrypt(const struct mg_policy *pol, const uint8_t *data, size_t len,
                                     const char *passphrase, struct mg_buf *out, char *detail,
                                     size_t detlen)
{
    struct mg_archive_conf conf;
    GError *err = NULL;
    if (!mg_archive_conf_load(pol, &conf, &err)) {
        snprintf(detail, detlen, "%s", err ? err->message : "configuration");
        g_clear_error(&err);
        return MG_AR_INTERNAL;
    }
    struct unlock_ctx c = {
        .pol = pol, .out = out,
        .deadline = pol->limits.max_seconds > 0
                        ? g_get_monotonic_time() + (gint64)(pol->limits.max_seconds * 1e6)
                        : G_MAXINT64,
    };
    struct mg_ar_limits lim = {
        .max_member = pol->limits.max_item_size,
        .max_members = conf.max_members,
        .max_ratio = conf.max_ratio,
        .ratio_floor = conf.ratio_floor,
        .lha_charset = conf.lha_charset,
        .passphrase = passphrase,
    };
    struct mg_ar_hooks h = {
        .ctx = &c, .time_ok = u_time_ok, .charge = u_charge, .spool = u_spool,
        .release = u_release, .member = u_member,
    };
    enum mg_ar_status st = MG_AR_INTERNAL;
    c.w = archive_write_new();
    if (c.w == NULL || archive_write_set_format_gnutar(c.w) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(c.w, 1) != ARCHIVE_OK ||
        archive_write_open2(c.w, &c, NULL, tar_write, NULL, NULL) != ARCHIVE_OK) {
        snprintf(detail, detlen, "cannot set up the tar writer");
    } else {
        struct mg_ar_info info;
        st = mg_ar_read(data, len, &lim, &h, &info);
        if (st != MG_AR_OK)
            snprintf(detail, detlen, "%s", info.detail);
        else if (archive_write_close(c.w) != ARCHIVE_OK || mg_buf_failed(out)) {
            st = mg_buf_failed(out) ? MG_AR_LIMIT_SIZE : MG_AR_INTERNAL;
            snprintf(detail, detlen, "cannot finish the tar");
        }
    }
    if (c.w != NULL)
        archive_write_free(c.w);
    mg_archive_conf_clear(&conf);
    return st;
}
