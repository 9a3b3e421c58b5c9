#include "cli/walk.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool push(struct mg_walk *w, const char *path, const char *rel, bool symlink, bool special)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct mg_walk_entry *v = realloc(w->v, cap * sizeof(*v));
        if (v == NULL)
            return false;
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = (struct mg_walk_entry){ .path = g_strdup(path), .rel = g_strdup(rel),
                                           .symlink = symlink, .special = special };
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks one directory tree. Names are sorted so that runs are repeatable. */
static bool walk_dir(struct mg_walk *w, const char *root)
{
    GPtrArray *stack = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(stack, g_strdup(""));
    bool ok = true;
    while (ok && stack->len > 0) {
        char *rel = g_ptr_array_steal_index(stack, stack->len - 1);
        char *dirpath = *rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
        DIR *d = opendir(dirpath);
        if (d == NULL) {
            /* An unreadable subdirectory is reported as one unreadable entry. */
            push(w, dirpath, *rel ? rel : ".", false, false);
            g_free(dirpath);
            g_free(rel);
            continue;
        }
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            g_ptr_array_add(names, g_strdup(e->d_name));
        }
        closedir(d);
        qsort(names->pdata, names->len, sizeof(char *), cmp_str);
        /* Subdirectories go on the stack in reverse so they pop in order. */
        for (guint i = names->len; ok && i-- > 0;) {
            const char *name = names->pdata[i];
            char *path = g_build_filename(dirpath, name, NULL);
            char *crel = *rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                g_ptr_array_add(stack, g_strdup(crel));
            g_free(path);
            g_free(crel);
        }
        for (guint i = 0; ok && i < names->len; i++) {
            const char *name = names->pdata[i];
            char *path = g_build_filename(dirpath, name, NULL);
            char *crel = *rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
            struct stat st;
            if (lstat(path, &st) != 0)
                ok = push(w, path, crel, false, false);
            else if (S_ISLNK(st.st_mode))
                ok = push(w, path, crel, true, false);
            else if (S_ISREG(st.st_mode))
                ok = push(w, path, crel, false, false);
            else if (!S_ISDIR(st.st_mode))
                ok = push(w, path, crel, false, true);
            g_free(path);
            g_free(crel);
        }
        g_ptr_array_free(names, TRUE);
        g_free(dirpath);
        g_free(rel);
    }
    g_ptr_array_free(stack, TRUE);
    return ok;
}

bool mg_walk_add(struct mg_walk *w, const char *arg)
{
    struct stat st;
    if (lstat(arg, &st) != 0)
        return false;
    char *base = g_path_get_basename(arg);
    bool ok;
    if (S_ISDIR(st.st_mode)) {
        char real[PATH_MAX];
        if (realpath(arg, real) == NULL) {
            g_free(base);
            return false;
        }
        char **dirs = realloc(w->dirs, (w->n_dirs + 1) * sizeof(*dirs));
        if (dirs == NULL) {
            g_free(base);
            errno = ENOMEM;
            return false;
        }
        w->dirs = dirs;
        w->dirs[w->n_dirs++] = g_strdup(real);
        ok = walk_dir(w, arg);
    } else {
        ok = push(w, arg, base, S_ISLNK(st.st_mode), !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode));
    }
    g_free(base);
    if (!ok)
        errno = ENOMEM;
    return ok;
}

void mg_walk_free(struct mg_walk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        g_free(w->v[i].path);
        g_free(w->v[i].rel);
    }
    free(w->v);
    for (size_t i = 0; i < w->n_dirs; i++)
        g_free(w->dirs[i]);
    free(w->dirs);
    memset(w, 0, sizeof(*w));
}
