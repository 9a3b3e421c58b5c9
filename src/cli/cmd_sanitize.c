/* mugai sanitize: files and directories in, sanitized copies out, one job
 * per file, a notice file for each blocked one, a JSON report and a summary. */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/walk.h"
#include "core/json.h"
#include "core/log.h"
#include "engine/audit.h"
#include "engine/report.h"
#include "sandbox/sandbox.h"

static const char help[] = N_(
    "Usage: mugai sanitize [OPTIONS] -o OUTDIR INPUT...\n"
    "\n"
    "Sanitizes every file given, and every file below every directory given,\n"
    "into OUTDIR. Each file is typed by its bytes (the name is a second\n"
    "opinion), scanned, and rebuilt without active content by the sanitizer for\n"
    "its type; what cannot be made safe is removed.\n"
    "\n"
    "Output:\n"
    "  - a clean file is copied unchanged, under the same relative path;\n"
    "  - a sanitized file is written under its new name when its type changed\n"
    "    (invoice.docm -> invoice.docx, page.html -> page.txt);\n"
    "  - a blocked file becomes NAME.blocked.txt, a notice saying what was\n"
    "    removed and why.\n"
    "Files below a directory INPUT keep their path relative to that directory;\n"
    "a file INPUT is written under its base name. Inputs are never overwritten,\n"
    "and OUTDIR may not lie inside an input directory. Symbolic links are not\n"
    "followed: each leaves a notice.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR     where to write (created if missing)\n"
    "  -r, --report FILE    write the JSON report of every job to FILE\n"
    "  -c, --config FILE    configuration (default /etc/mugai/mugai.conf if\n"
    "                       present, else the built-in defaults)\n"
    "  -q, --quiet          no summary table and no progress bar\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 every file clean or sanitized, 1 at least one file\n"
    "blocked, 2 usage error or a file that could not be processed (temporary\n"
    "failure: disk full, out of memory ...).\n");

static const char *verdict_label(enum mg_verdict v)
{
    switch (v) {
    case MG_CLEAN: return _(N_("clean"));
    case MG_SANITIZED: return _(N_("sanitized"));
    case MG_BLOCKED: return _(N_("blocked"));
    default: return _(N_("error"));
    }
}

/* Pads a label to 10 terminal columns; CJK characters take two. */
static const char *pad_label(const char *s)
{
    static char buf[64];
    size_t cols = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        cols += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
    snprintf(buf, sizeof(buf), "%s%*s", s, cols < 10 ? (int)(10 - cols) : 0, "");
    return buf;
}

static bool mkdirs(const char *dir)
{
    return g_mkdir_with_parents(dir, 0755) == 0;
}

/* The output must not land on an input: same device and inode means the
 * same file whatever the path looks like. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char *unique_path(GHashTable *used, const char *path)
{
    if (!g_hash_table_contains(used, path)) {
        char *p = g_strdup(path);
        g_hash_table_add(used, g_strdup(p));
        return p;
    }
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    for (unsigned i = 2; i < 100000; i++) {
        char *p = dot ? g_strdup_printf("%.*s-%u%s", (int)(dot - path), path, i, dot)
                      : g_strdup_printf("%s-%u", path, i);
        if (!g_hash_table_contains(used, p)) {
            g_hash_table_add(used, g_strdup(p));
            return p;
        }
        g_free(p);
    }
    return NULL;
}

struct run {
    struct mg_engine *engine;
    struct mg_sandbox *sandbox;
    const char *outdir;
    struct mg_walk *walk;
    GHashTable *used;
    struct mg_buf report;
    bool report_first;
    size_t counts[4];
    GPtrArray *rows;  /* summary lines */
    bool show;
};

static void progress(const struct run *r, size_t done, size_t total)
{
    if (!r->show || total < 2 || !isatty(2))
        return;
    int width = 30;
    int fill = (int)((double)done / (double)total * width);
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu", fill, "##############################", width - fill, "",
            done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int process(struct run *r, const struct mg_walk_entry *e)
{
    const struct mg_policy *pol = mg_engine_policy(r->engine);
    char *base = g_path_get_basename(e->path);
    uint8_t *data = NULL;
    size_t len = 0;
    struct mg_sandbox_result res;
    if (e->symlink) {
        mg_sandbox_reject(r->sandbox, base, MG_R_UNREADABLE, "symbolic link, not followed", &res);
    } else if (e->special) {
        mg_sandbox_reject(r->sandbox, base, MG_R_UNREADABLE, "not a regular file", &res);
    } else {
        data = mg_cli_read_file(e->path, (size_t)pol->limits.max_item_size, &len);
        if (data == NULL) {
            int err = errno;
            mg_cli_error("%s: %s", e->path, strerror(err));
            mg_sandbox_reject(r->sandbox, base, err == EFBIG ? MG_R_LIMIT_SIZE : MG_R_UNREADABLE,
                              strerror(err), &res);
        } else if (!mg_sandbox_run(r->sandbox, base, data, len, MG_TC_UNKNOWN, &res)) {
            mg_cli_error(_("%s: the sandboxed check failed (%s); try again"), e->path,
                         res.worker_failure ? res.worker_failure : "?");
        }
    }
    enum mg_verdict v = res.verdict;

    /* Where the result goes: the same relative folder, the result's name. */
    char *reldir = g_path_get_dirname(e->rel);
    char *dir = strcmp(reldir, ".") == 0 ? g_strdup(r->outdir) : g_build_filename(r->outdir, reldir, NULL);
    char *name;
    if (v == MG_BLOCKED || v == MG_TEMPFAIL)
        name = g_strdup_printf("%s.blocked.txt", base);
    else
        name = g_strdup(res.result_name);
    /* A sanitizer-chosen name is a base name; never let it climb out. */
    if (strchr(name, '/') != NULL || strcmp(name, "..") == 0 || strcmp(name, ".") == 0 || !*name) {
        g_free(name);
        name = g_strdup_printf("%s.out", base);
    }
    char *want = g_build_filename(dir, name, NULL);
    char *out = unique_path(r->used, want);
    int rc = MG_EXIT_OK;
    if (out == NULL || !mkdirs(dir)) {
        mg_cli_error(_("%s: cannot create the output folder %s: %s"), e->path, dir, strerror(errno));
        rc = MG_EXIT_ERROR;
    } else if (same_file(out, e->path)) {
        mg_cli_error(_("%s: refusing to overwrite an input"), out);
        rc = MG_EXIT_ERROR;
    } else {
        const uint8_t *p;
        size_t plen;
        if (v == MG_BLOCKED || v == MG_TEMPFAIL) {
            p = (const uint8_t *)res.notice;
            plen = strlen(res.notice);
        } else {
            p = res.output;
            plen = res.output_len;
        }
        if (p == NULL || !mg_cli_write_file(out, p, plen)) {
            mg_cli_error(_("%s: cannot write: %s"), out, strerror(errno));
            rc = MG_EXIT_ERROR;
        }
    }
    if (v == MG_TEMPFAIL)
        rc = MG_EXIT_ERROR;

    mg_sandbox_audit(r->sandbox, &res, NULL);
    if (!r->report_first)
        mg_buf_puts(&r->report, ",\n");
    r->report_first = false;
    mg_buf_puts(&r->report, "{\"input\":");
    mg_json_escape(&r->report, e->path, strlen(e->path));
    mg_buf_puts(&r->report, ",\"output\":");
    if (out)
        mg_json_escape(&r->report, out, strlen(out));
    else
        mg_buf_puts(&r->report, "null");
    mg_buf_puts(&r->report, ",\"report\":");
    mg_buf_puts(&r->report, res.report_json);
    mg_buf_putc(&r->report, '}');

    r->counts[v]++;
    struct mg_buf why;
    mg_buf_init(&why);
    if (v == MG_BLOCKED || v == MG_TEMPFAIL) {
        mg_buf_puts(&why, res.reason_text);
        if (res.reason_detail)
            mg_buf_printf(&why, " (%s)", res.reason_detail);
    } else if (v == MG_SANITIZED) {
        mg_buf_printf(&why, "-> %s", out ? out + strlen(r->outdir) + (out[strlen(r->outdir)] == '/') : "?");
    }
    g_ptr_array_add(r->rows, g_strdup_printf("%s %s  %s", pad_label(verdict_label(v)), e->rel, mg_buf_cstr(&why)));
    mg_buf_free(&why);

    g_free(out);
    g_free(want);
    g_free(name);
    g_free(dir);
    g_free(reldir);
    g_free(base);
    free(data);
    mg_sandbox_result_clear(&res);
    return rc;
}

/* OUTDIR inside an input directory would feed outputs back as inputs. */
static bool outdir_inside_inputs(const struct mg_walk *w, const char *outdir)
{
    char real[PATH_MAX];
    if (realpath(outdir, real) == NULL)
        return false;
    for (size_t i = 0; i < w->n_dirs; i++) {
        size_t n = strlen(w->dirs[i]);
        if (strncmp(real, w->dirs[i], n) == 0 && (real[n] == '\0' || real[n] == '/'))
            return true;
    }
    return false;
}

int mg_cmd_sanitize(int argc, char **argv);
int mg_cmd_sanitize(int argc, char **argv)
{
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "report", required_argument, NULL, 'r' },
        { "config", required_argument, NULL, 'c' }, { "policy", required_argument, NULL, 'c' },
        { "quiet", no_argument, NULL, 'q' }, { 0 },
    };
    const char *outdir = NULL, *report = NULL, *config = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:r:c:q", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'r': report = optarg; break;
        case 'c': config = optarg; break;
        case 'q': quiet = true; break;
        default:
            fputs(_("Run \"mugai sanitize --help\" for usage.\n"), stderr);
            return MG_EXIT_USAGE;
        }
    }
    if (outdir == NULL || optind >= argc) {
        mg_cli_error("%s", _("sanitize needs -o OUTDIR and at least one input (see --help)"));
        return MG_EXIT_USAGE;
    }
    struct mg_walk w = { 0 };
    for (int i = optind; i < argc; i++) {
        if (!mg_walk_add(&w, argv[i])) {
            mg_cli_error("%s: %s", argv[i], strerror(errno));
            mg_walk_free(&w);
            return MG_EXIT_USAGE;
        }
    }
    if (!mkdirs(outdir)) {
        mg_cli_error(_("cannot create %s: %s"), outdir, strerror(errno));
        mg_walk_free(&w);
        return MG_EXIT_USAGE;
    }
    if (outdir_inside_inputs(&w, outdir)) {
        mg_cli_error(_("the output folder %s lies inside an input folder"), outdir);
        mg_walk_free(&w);
        return MG_EXIT_USAGE;
    }
    struct mg_engine *e = mg_cli_engine(config);
    if (e == NULL) {
        mg_walk_free(&w);
        return MG_EXIT_ERROR;
    }
    struct mg_sandbox *sb = mg_cli_sandbox(e);
    if (sb == NULL) {
        mg_walk_free(&w);
        mg_engine_free(e);
        return MG_EXIT_ERROR;
    }
    struct run r = { .engine = e, .sandbox = sb, .outdir = outdir, .walk = &w, .report_first = true,
                     .used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                     .rows = g_ptr_array_new_with_free_func(g_free), .show = !quiet };
    mg_buf_init(&r.report);
    mg_buf_puts(&r.report, "{\"schema\":\"mugai-batch/1\",\"jobs\":[\n");
    int rc = MG_EXIT_OK;
    for (size_t i = 0; i < w.n; i++) {
        if (process(&r, &w.v[i]) != MG_EXIT_OK)
            rc = MG_EXIT_ERROR;
        progress(&r, i + 1, w.n);
    }
    mg_buf_puts(&r.report, "\n]}\n");
    if (report && !mg_cli_write_file(report, r.report.data, r.report.len)) {
        mg_cli_error(_("cannot write the report %s: %s"), report, strerror(errno));
        rc = MG_EXIT_ERROR;
    }
    if (!quiet) {
        for (guint i = 0; i < r.rows->len; i++)
            printf("%s\n", (const char *)r.rows->pdata[i]);
        printf(_("%zu files: %zu clean, %zu sanitized, %zu blocked, %zu errors\n"), w.n,
               r.counts[MG_CLEAN], r.counts[MG_SANITIZED], r.counts[MG_BLOCKED], r.counts[MG_TEMPFAIL]);
    }
    if (rc == MG_EXIT_OK && r.counts[MG_BLOCKED] > 0)
        rc = MG_EXIT_BLOCKED;
    mg_buf_free(&r.report);
    g_hash_table_destroy(r.used);
    g_ptr_array_free(r.rows, TRUE);
    mg_walk_free(&w);
    mg_sandbox_free(sb);
    mg_engine_free(e);
    return rc;
}
