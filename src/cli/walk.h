/* Expands the command line's files and directories into a list of files to
 * process, each with the relative path its output keeps. Directories are
 * walked with an explicit stack; symbolic links are listed, never followed. */
#ifndef MG_CLI_WALK_H
#define MG_CLI_WALK_H

#include <stdbool.h>
#include <stddef.h>

struct mg_walk_entry {
    char *path;      /* as given or joined: what to open */
    char *rel;       /* relative output path ("dir/sub/a.docx" or "a.docx") */
    bool symlink;    /* listed so that its notice says why it was not read */
    bool special;    /* device, fifo, socket */
};

struct mg_walk {
    struct mg_walk_entry *v;
    size_t n, cap;
    char **dirs;     /* real paths of the directories given (to keep the output out of them) */
    size_t n_dirs;
};

/* Appends arg's files. False with errno set when arg cannot be read at all. */
bool mg_walk_add(struct mg_walk *w, const char *arg);
void mg_walk_free(struct mg_walk *w);

#endif
