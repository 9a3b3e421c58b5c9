/* How many workers each input killed in a row, kept across restarts: an
 * upstream MTA retries a deferred message for days, and a mugai restart in
 * between must not give a poison message fresh attempts. The state is a
 * small text file beside the quarantine ("<sha256> <kills> <unix time>"
 * per line), replaced atomically on every change, bounded in entries and
 * forgetting entries older than MG_POISON_EXPIRE. Each change re-reads the
 * file first, so two processes sharing the quarantine (serve, the CLI, the
 * pools of two engine generations) add up their counts instead of
 * overwriting each other's. */
#include "sandbox/poison.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/log.h"

struct rec {
    uint64_t kills;
    int64_t when;     /* unix time of the last kill */
};

struct mg_poison {
    char *dir;        /* created at the first write */
    char *path;       /* NULL: in memory only */
    GHashTable *t;    /* sha256 hex -> struct rec */
};

static bool is_sha(const char *s, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
            return false;
    return true;
}

/* Parses the file into t (entries already in t are kept when larger). A
 * line that does not parse, or a file over the size bound, is ignored
 * with a warning: losing counts costs a poison message a few more
 * attempts, never a wrong verdict. */
static void load(struct mg_poison *p, GHashTable *t, int64_t now)
{
    gchar *text = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(p->path, &text, &len, &err)) {
        /* None yet, or a quarantine this user cannot read (a developer's
         * CLI run): nothing to count from. */
        if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            mg_log(g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_ACCES) ? MG_LOG_INFO : MG_LOG_WARN, NULL,
                   NULL, "sandbox: poison counts not read: %s", err->message);
        g_error_free(err);
        return;
    }
    if (len > MG_POISON_MAX_FILE) {
        mg_log(MG_LOG_WARN, NULL, NULL, "sandbox: poison counts %s larger than %u bytes: ignored", p->path,
               (unsigned)MG_POISON_MAX_FILE);
        g_free(text);
        return;
    }
    size_t bad = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *sp1 = strchr(line, ' ');
        char *end1 = NULL, *end2 = NULL;
        if (sp1 == NULL || !is_sha(line, (size_t)(sp1 - line)) || !g_ascii_isdigit(sp1[1])) {
            bad++;
            continue;
        }
        errno = 0;
        uint64_t kills = g_ascii_strtoull(sp1 + 1, &end1, 10);
        if (errno || *end1 != ' ' || !g_ascii_isdigit(end1[1]) || kills == 0 || kills > 1000000) {
            bad++;
            continue;
        }
        int64_t when = g_ascii_strtoll(end1 + 1, &end2, 10);
        if (errno || *end2 != '\0' || when > now + 3600) {
            bad++;
            continue;
        }
        if (now - when > MG_POISON_EXPIRE)
            continue;
        if (g_hash_table_size(t) >= MG_POISON_MAX_ENTRIES)
            break;
        *sp1 = '\0';
        struct rec *old = g_hash_table_lookup(t, line);
        if (old != NULL && old->kills >= kills)
            continue;
        struct rec *r = g_new(struct rec, 1);
        r->kills = kills;
        r->when = when;
        g_hash_table_replace(t, g_strdup(line), r);
    }
    if (bad)
        mg_log(MG_LOG_WARN, NULL, NULL, "sandbox: %zu malformed line(s) in %s ignored", bad, p->path);
    g_free(text);
}

static gint newest_first(gconstpointer a, gconstpointer b, gpointer t)
{
    const struct rec *ra = g_hash_table_lookup(t, a), *rb = g_hash_table_lookup(t, b);
    return ra->when < rb->when ? 1 : ra->when > rb->when ? -1 : strcmp(a, b);
}

/* Writes t (the newest MG_POISON_MAX_ENTRIES, none expired). */
static void save(struct mg_poison *p, GHashTable *t, int64_t now)
{
    GList *keys = g_list_sort_with_data(g_hash_table_get_keys(t), newest_first, t);
    struct mg_buf b;
    mg_buf_init(&b);
    size_t n = 0;
    for (GList *k = keys; k != NULL && n < MG_POISON_MAX_ENTRIES; k = k->next) {
        const struct rec *r = g_hash_table_lookup(t, k->data);
        if (now - r->when > MG_POISON_EXPIRE)
            continue;
        mg_buf_printf(&b, "%s %" PRIu64 " %" PRId64 "\n", (const char *)k->data, r->kills, r->when);
        n++;
    }
    g_list_free(keys);
    if (mg_buf_failed(&b) || g_mkdir_with_parents(p->dir, 0700) != 0 || !mg_file_write_atomic(p->path, b.data ? b.data : (const uint8_t *)"", b.len, 0600))
        mg_log(MG_LOG_ERROR, NULL, NULL, "sandbox: cannot write the poison counts %s: %s", p->path,
               g_strerror(errno));
    mg_buf_free(&b);
}

static GHashTable *table_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

struct mg_poison *mg_poison_open(const char *dir)
{
    struct mg_poison *p = g_new0(struct mg_poison, 1);
    p->t = table_new();
    if (dir != NULL && *dir != '\0') {
        p->dir = g_strdup(dir);
        p->path = g_build_filename(dir, MG_POISON_FILE, NULL);
    }
    if (p->path != NULL)
        load(p, p->t, (int64_t)time(NULL));
    return p;
}

void mg_poison_free(struct mg_poison *p)
{
    if (p == NULL)
        return;
    g_hash_table_destroy(p->t);
    g_free(p->path);
    g_free(p->dir);
    g_free(p);
}

bool mg_poison_any(const struct mg_poison *p)
{
    return g_hash_table_size(p->t) > 0;
}

uint64_t mg_poison_count(struct mg_poison *p, const char *sha)
{
    if (sha == NULL)
        return 0;
    const struct rec *r = g_hash_table_lookup(p->t, sha);
    if (r == NULL)
        return 0;
    if ((int64_t)time(NULL) - r->when > MG_POISON_EXPIRE) {
        g_hash_table_remove(p->t, sha);
        return 0;
    }
    return r->kills;
}

/* The file's view merged into ours, so another process's kills count. */
static void refresh(struct mg_poison *p, int64_t now)
{
    if (p->path == NULL)
        return;
    GHashTable *disk = table_new();
    load(p, disk, now);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, disk);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        struct rec *mine = g_hash_table_lookup(p->t, k);
        const struct rec *theirs = v;
        if (mine == NULL) {
            struct rec *r = g_new(struct rec, 1);
            *r = *theirs;
            g_hash_table_replace(p->t, g_strdup(k), r);
        } else if (theirs->kills > mine->kills) {
            *mine = *theirs;
        }
    }
    g_hash_table_destroy(disk);
}

uint64_t mg_poison_killed(struct mg_poison *p, const char *sha)
{
    int64_t now = (int64_t)time(NULL);
    refresh(p, now);
    struct rec *r = g_hash_table_lookup(p->t, sha);
    if (r == NULL || now - r->when > MG_POISON_EXPIRE) {
        /* Bounded memory: forget everything rather than grow. */
        if (r == NULL && g_hash_table_size(p->t) >= MG_POISON_MAX_ENTRIES)
            g_hash_table_remove_all(p->t);
        r = g_new0(struct rec, 1);
        g_hash_table_replace(p->t, g_strdup(sha), r);
    }
    r->kills++;
    r->when = now;
    uint64_t kills = r->kills;
    if (p->path != NULL)
        save(p, p->t, now);
    return kills;
}

void mg_poison_forget(struct mg_poison *p, const char *sha)
{
    if (sha == NULL || !g_hash_table_remove(p->t, sha) || p->path == NULL)
        return;
    int64_t now = (int64_t)time(NULL);
    refresh(p, now);
    g_hash_table_remove(p->t, sha);
    save(p, p->t, now);
}
