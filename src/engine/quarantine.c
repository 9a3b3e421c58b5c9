#include "engine/quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/fileio.h"
#include "core/log.h"
#include "engine/report.h"

void (*mg_quarantine_test_hook)(const char *step);

static void hook(const char *step)
{
    if (mg_quarantine_test_hook)
        mg_quarantine_test_hook(step);
}

/* Atomic and durable; the folder itself is fsync'd by the caller once. */
static bool write_durable(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(dir, name, NULL);
    bool ok = mg_file_write_atomic(path, data, len, 0600);
    g_free(path);
    return ok;
}

static uint64_t dir_usage(const char *dir, int depth)
{
    uint64_t sum = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        char *p = g_build_filename(dir, e->d_name, NULL);
        struct stat st;
        if (lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 2)
                sum += dir_usage(p, depth + 1);
            else if (S_ISREG(st.st_mode))
                sum += (uint64_t)st.st_size;
        }
        g_free(p);
    }
    closedir(d);
    return sum;
}

uint64_t mg_quarantine_usage(const struct mg_policy *pol)
{
    return dir_usage(pol->quarantine_dir, 0);
}

static bool id_safe(const char *id)
{
    if (id == NULL || *id == '\0' || *id == '.' || strlen(id) >= 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

bool mg_quarantine_store(const struct mg_policy *pol, const struct mg_job *job,
                         const uint8_t *data, size_t len, const char *meta_json)
{
    struct mg_buf rep;
    mg_buf_init(&rep);
    mg_report_json(job, &rep, false);
    const struct mg_item *root = mg_job_root(job);
    struct mg_quarantine_rec q = {
        .id = mg_job_id(job),
        .verdict = mg_verdict_name(mg_job_verdict(job)),
        .reason = root ? mg_reason_keyword(root->reason) : "resources",
        .name = root && root->name ? root->name : "",
        .report_json = mg_buf_cstr(&rep),
    };
    bool ok = !mg_buf_failed(&rep) && mg_quarantine_store_rec(pol, &q, data, len, meta_json);
    mg_buf_free(&rep);
    return ok;
}

bool mg_quarantine_store_rec(const struct mg_policy *pol, const struct mg_quarantine_rec *q,
                             const uint8_t *data, size_t len, const char *meta_json)
{
    const char *id = q->id;
    if (!id_safe(id)) {
        mg_log(MG_LOG_ERROR, id, NULL, "quarantine: refusing an unsafe job id");
        return false;
    }
    uint64_t max = 0;
    mg_config_get_size(pol->kf, "quarantine", "max-size", &max, NULL);
    if (max != 0 && mg_quarantine_usage(pol) + len > max) {
        mg_log(MG_LOG_ERROR, id, NULL, "quarantine: %s is full (max-size %llu bytes); "
               "purge it or raise [quarantine] max-size", pol->quarantine_dir, (unsigned long long)max);
        return false;
    }
    gchar *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    char sub[3] = { sha[0], sha[1], 0 };
    char *blobdir = g_build_filename(pol->quarantine_dir, "blobs", sub, NULL);
    char *recdir = g_build_filename(pol->quarantine_dir, "records", NULL);
    char *blob = g_build_filename(blobdir, sha, NULL);
    bool ok = g_mkdir_with_parents(blobdir, 0700) == 0 && g_mkdir_with_parents(recdir, 0700) == 0;
    /* Written even when present: a concurrent purge may be removing it. */
    if (ok)
        ok = write_durable(blobdir, sha, data, len) && mg_dir_fsync(blobdir);
    hook("blob");

    if (ok) {
        char *name = g_strdup_printf("%s.json", id);
        ok = write_durable(recdir, name, q->report_json, strlen(q->report_json));
        g_free(name);
        hook("report");
    }
    if (ok) {
        GKeyFile *kf = g_key_file_new();
        g_key_file_set_int64(kf, "record", "time", (gint64)time(NULL));
        g_key_file_set_string(kf, "record", "sha256", sha);
        g_key_file_set_uint64(kf, "record", "size", len);
        g_key_file_set_string(kf, "record", "verdict", q->verdict);
        g_key_file_set_string(kf, "record", "reason", q->reason);
        g_key_file_set_string(kf, "record", "name", q->name ? q->name : "");
        g_key_file_set_string(kf, "record", "meta", meta_json ? meta_json : "null");
        gsize klen = 0;
        gchar *text = g_key_file_to_data(kf, &klen, NULL);
        char *name = g_strdup_printf("%s.ini", id);
        ok = text != NULL && write_durable(recdir, name, text, klen) && mg_dir_fsync(recdir);
        g_free(name);
        g_free(text);
        g_key_file_free(kf);
    }
    if (!ok)
        mg_log_errno(MG_LOG_ERROR, id, NULL, "quarantine: cannot store the original in %s", pol->quarantine_dir);
    else
        mg_log(MG_LOG_INFO, id, NULL, "quarantine: original stored as %s", sha);
    g_free(blob);
    g_free(blobdir);
    g_free(recdir);
    g_free(sha);
    return ok;
}

void mg_qrecord_clear(struct mg_qrecord *r)
{
    g_free(r->name);
    g_free(r->meta);
    memset(r, 0, sizeof(*r));
}

static bool load_record(const char *recdir, const char *id, struct mg_qrecord *out, GError **err)
{
    memset(out, 0, sizeof(*out));
    char *path = g_strdup_printf("%s/%s.ini", recdir, id);
    GKeyFile *kf = g_key_file_new();
    bool ok = g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, err);
    if (ok) {
        g_strlcpy(out->id, id, sizeof(out->id));
        out->time = (time_t)g_key_file_get_int64(kf, "record", "time", NULL);
        gchar *s = g_key_file_get_string(kf, "record", "sha256", NULL);
        g_strlcpy(out->sha256, s ? s : "", sizeof(out->sha256));
        g_free(s);
        out->size = g_key_file_get_uint64(kf, "record", "size", NULL);
        s = g_key_file_get_string(kf, "record", "verdict", NULL);
        g_strlcpy(out->verdict, s ? s : "", sizeof(out->verdict));
        g_free(s);
        s = g_key_file_get_string(kf, "record", "reason", NULL);
        g_strlcpy(out->reason, s ? s : "", sizeof(out->reason));
        g_free(s);
        out->name = g_key_file_get_string(kf, "record", "name", NULL);
        out->meta = g_key_file_get_string(kf, "record", "meta", NULL);
        if (strlen(out->sha256) != 64) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no valid sha256", path);
            mg_qrecord_clear(out);
            ok = false;
        }
    }
    g_key_file_free(kf);
    g_free(path);
    return ok;
}

static gint by_time(gconstpointer a, gconstpointer b)
{
    const struct mg_qrecord *x = *(struct mg_qrecord *const *)a, *y = *(struct mg_qrecord *const *)b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void free_rec(gpointer p)
{
    mg_qrecord_clear(p);
    g_free(p);
}

GPtrArray *mg_quarantine_list(const struct mg_policy *pol, time_t since, GError **err)
{
    char *recdir = g_build_filename(pol->quarantine_dir, "records", NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func(free_rec);
    DIR *d = opendir(recdir);
    if (d == NULL) {
        if (errno != ENOENT) {
            g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", recdir, strerror(errno));
            g_ptr_array_free(out, TRUE);
            out = NULL;
        }
        g_free(recdir);
        return out;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".ini") != 0 || e->d_name[0] == '.')
            continue;
        char id[64];
        if (n - 4 >= sizeof(id))
            continue;
        memcpy(id, e->d_name, n - 4);
        id[n - 4] = '\0';
        struct mg_qrecord *r = g_new0(struct mg_qrecord, 1);
        if (load_record(recdir, id, r, NULL) && r->time >= since)
            g_ptr_array_add(out, r);
        else
            free_rec(r);
    }
    closedir(d);
    g_ptr_array_sort(out, by_time);
    g_free(recdir);
    return out;
}

bool mg_quarantine_get(const struct mg_policy *pol, const char *id, struct mg_qrecord *out, GError **err)
{
    if (!id_safe(id)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a job id: %s", id);
        return false;
    }
    char *recdir = g_build_filename(pol->quarantine_dir, "records", NULL);
    bool ok = load_record(recdir, id, out, err);
    g_free(recdir);
    return ok;
}

uint8_t *mg_quarantine_original(const struct mg_policy *pol, const struct mg_qrecord *r,
                                size_t *len, GError **err)
{
    char sub[3] = { r->sha256[0], r->sha256[1], 0 };
    char *path = g_build_filename(pol->quarantine_dir, "blobs", sub, r->sha256, NULL);
    gchar *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, &data, &n, err)) {
        g_free(path);
        return NULL;
    }
    gchar *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, n);
    if (strcmp(sha, r->sha256) != 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: content does not match its SHA-256", path);
        g_free(data);
        data = NULL;
    }
    g_free(sha);
    g_free(path);
    *len = n;
    return (uint8_t *)data;
}

char *mg_quarantine_report(const struct mg_policy *pol, const char *id, GError **err)
{
    if (!id_safe(id)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a job id: %s", id);
        return NULL;
    }
    char *path = g_strdup_printf("%s/records/%s.json", pol->quarantine_dir, id);
    gchar *data = NULL;
    g_file_get_contents(path, &data, NULL, err);
    g_free(path);
    return data;
}

/* A writer killed between write and rename leaves "NAME.mugai-tmp-PID"
 * (core/fileio): never read (list wants ".ini", blobs are 64 hex digits),
 * removed by purge once older than an hour, so a store in progress is
 * never touched. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    time_t cutoff = time(NULL) - 3600;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".mugai-tmp-") == NULL)
            continue;
        char *p = g_build_filename(dir, e->d_name, NULL);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < cutoff)
            unlink(p);
        g_free(p);
    }
    closedir(d);
}

bool mg_quarantine_purge(const struct mg_policy *pol, double age, unsigned *removed, GError **err)
{
    *removed = 0;
    GPtrArray *all = mg_quarantine_list(pol, 0, err);
    if (all == NULL)
        return false;
    time_t cutoff = time(NULL) - (time_t)age;
    GHashTable *keep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < all->len; i++) {
        struct mg_qrecord *r = all->pdata[i];
        if (r->time < cutoff) {
            /* The record goes first: a crash between the two leaves an
             * orphan blob (removed next time), never a record without data. */
            char *ini = g_strdup_printf("%s/records/%s.ini", pol->quarantine_dir, r->id);
            char *json = g_strdup_printf("%s/records/%s.json", pol->quarantine_dir, r->id);
            if (unlink(ini) == 0)
                (*removed)++;
            unlink(json);
            g_free(ini);
            g_free(json);
        } else {
            g_hash_table_add(keep, g_strdup(r->sha256));
        }
    }
    char *recdir = g_build_filename(pol->quarantine_dir, "records", NULL);
    remove_stale_tmp(recdir);
    g_free(recdir);
    char *blobs = g_build_filename(pol->quarantine_dir, "blobs", NULL);
    DIR *d = opendir(blobs);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char *sub = g_build_filename(blobs, e->d_name, NULL);
            remove_stale_tmp(sub);
            DIR *s = opendir(sub);
            if (s != NULL) {
                struct dirent *f;
                while ((f = readdir(s)) != NULL) {
                    if (strlen(f->d_name) == 64 && !g_hash_table_contains(keep, f->d_name)) {
                        char *p = g_build_filename(sub, f->d_name, NULL);
                        unlink(p);
                        g_free(p);
                    }
                }
                closedir(s);
            }
            g_free(sub);
        }
        closedir(d);
    }
    g_free(blobs);
    g_hash_table_destroy(keep);
    g_ptr_array_free(all, TRUE);
    return true;
}

static bool changed(const struct mg_item *it, unsigned depth)
{
    if (it->n_actions > 0 || it->verdict == MG_BLOCKED || it->verdict == MG_TEMPFAIL)
        return true;
    for (size_t i = 0; depth < 64 && i < it->n_children; i++)
        if (changed(it->children[i], depth + 1))
            return true;
    return false;
}

bool mg_quarantine_wanted(const struct mg_job *job)
{
    const struct mg_item *root = mg_job_root(job);
    return root != NULL && mg_job_verdict(job) != MG_TEMPFAIL && changed(root, 0);
}
