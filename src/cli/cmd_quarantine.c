/* mugai quarantine unlock: an administrator who learned the password of a
 * quarantined password-protected archive (PPAP) decrypts it and gets the
 * sanitized result. The archive is decrypted into a plain tar under the
 * usual limits (sanitizers/archive/archive_unlock.h) and that tar runs
 * through the engine as a new job, so every member is checked as if the
 * archive had arrived without a password. The password is read from a file
 * (never from the command line, where `ps` would show it) and never logged. */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "engine/audit.h"
#include "engine/report.h"
#include "sanitizers/archive/archive_unlock.h"

static const char help[] = N_(
    "Usage: mugai quarantine unlock [OPTIONS] --password-file FILE JOB_ID\n"
    "\n"
    "Decrypts the password-protected archive that job JOB_ID put in quarantine\n"
    "(quarantine-dir/JOB_ID/original), with the password in the first line of\n"
    "FILE, and sanitizes it as a new job: the result is a zip of the checked\n"
    "members, written to OUTDIR under the archive's original name. The\n"
    "password is never shown or logged.\n"
    "\n"
    "Options:\n"
    "  -p, --password-file FILE  the password (first line; keep the file private)\n"
    "  -o, --output DIR          where to write (default: the current folder)\n"
    "  -n, --name NAME           name of the archive (default: from the record)\n"
    "  -c, --config FILE         configuration (default /etc/mugai/mugai.conf if\n"
    "                            present, else the built-in defaults)\n"
    "  -h, --help                this text\n"
    "\n"
    "Exit status: 0 unlocked and sanitized, 1 wrong password or the archive\n"
    "was blocked, 2 usage error or failure.\n");

/* Job ids are made by mg_job_new (time + random); anything else could
 * name a path outside the quarantine. */
static bool valid_job_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64 || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
            return false;
    }
    return strstr(id, "..") == NULL;
}

/* The original's name from record.json ("root": {"path": ..., "name": "x"}),
 * when it is a plain JSON string without escapes; NULL otherwise. */
static char *name_from_record(const char *dir)
{
    char *path = g_build_filename(dir, "record.json", NULL);
    size_t len = 0;
    char *rec = (char *)mg_cli_read_file(path, 16u << 20, &len);
    g_free(path);
    if (rec == NULL)
        return NULL;
    char *r = NULL;
    char *end = rec + len;
    char *root = g_strstr_len(rec, (gssize)len, "\"root\":");
    char *key = root ? g_strstr_len(root, end - root, "\"name\":\"") : NULL;
    if (key != NULL) {
        char *s = key + 8;
        char *q = memchr(s, '"', (size_t)(end - s));
        if (q != NULL && q > s && memchr(s, '\\', (size_t)(q - s)) == NULL &&
            memchr(s, '/', (size_t)(q - s)) == NULL)
            r = g_strndup(s, (gsize)(q - s));
    }
    free(rec);
    if (r != NULL && (!g_utf8_validate(r, -1, NULL) || strcmp(r, "..") == 0 || strcmp(r, ".") == 0)) {
        g_free(r);
        r = NULL;
    }
    return r;
}

/* First line of the file, without its line end; NULL when unreadable or empty. */
static char *read_password(const char *path)
{
    size_t len = 0;
    uint8_t *raw = mg_cli_read_file(path, 4096, &len);
    if (raw == NULL)
        return NULL;
    size_t n = 0;
    while (n < len && raw[n] != '\n' && raw[n] != '\r' && raw[n] != '\0')
        n++;
    char *pw = n > 0 ? g_strndup((const char *)raw, n) : NULL;
    explicit_bzero(raw, len);
    free(raw);
    return pw;
}

static int unlock(const char *config, const char *outdir, const char *pwfile, const char *name_opt,
                  const char *id)
{
    if (!valid_job_id(id)) {
        mg_cli_error(_("not a job id: %s"), id);
        return MG_EXIT_USAGE;
    }
    struct mg_engine *e = mg_cli_engine(config);
    if (e == NULL)
        return MG_EXIT_ERROR;
    const struct mg_policy *pol = mg_engine_policy(e);
    int rc = MG_EXIT_ERROR;
    char *dir = g_build_filename(pol->quarantine_dir, id, NULL);
    char *orig_path = g_build_filename(dir, "original", NULL);
    char *name = name_opt ? g_strdup(name_opt) : name_from_record(dir);
    if (name == NULL)
        name = g_strdup_printf("%s.zip", id);
    char *pw = NULL;
    struct mg_buf tar;
    mg_buf_init(&tar);
    mg_buf_set_limit(&tar, pol->limits.max_total_size > SIZE_MAX ? SIZE_MAX
                                                                 : (size_t)pol->limits.max_total_size);
    struct mg_job *job = NULL;
    size_t len = 0;
    uint8_t *data = mg_cli_read_file(orig_path, (size_t)pol->limits.max_item_size, &len);
    if (data == NULL) {
        mg_cli_error(_("%s: cannot read the quarantined original: %s"), orig_path, strerror(errno));
        goto out;
    }
    pw = read_password(pwfile);
    if (pw == NULL) {
        mg_cli_error(_("%s: no password in the file"), pwfile);
        rc = MG_EXIT_USAGE;
        goto out;
    }
    char detail[200] = "";
    enum mg_ar_status st = mg_archive_decrypt(pol, data, len, pw, &tar, detail, sizeof(detail));
    explicit_bzero(pw, strlen(pw));
    if (st == MG_AR_ENCRYPTED) {
        mg_cli_error(_("%s: the password is wrong or the encryption is not supported (%s)"), id, detail);
        mg_log(MG_LOG_NOTICE, id, NULL, "quarantine unlock failed: %s", mg_ar_status_name(st));
        rc = MG_EXIT_BLOCKED;
        goto out;
    }
    if (st != MG_AR_OK) {
        mg_cli_error(_("%s: cannot unlock: %s (%s)"), id, mg_ar_status_name(st), detail);
        mg_log(MG_LOG_NOTICE, id, NULL, "quarantine unlock failed: %s", mg_ar_status_name(st));
        rc = st == MG_AR_RESOURCES || st == MG_AR_INTERNAL ? MG_EXIT_ERROR : MG_EXIT_BLOCKED;
        goto out;
    }
    job = mg_job_new(e, NULL);
    if (job == NULL) {
        mg_cli_error("%s", _("cannot start a job"));
        goto out;
    }
    mg_log(MG_LOG_NOTICE, id, NULL, "quarantine unlock: decrypted, sanitizing as job %s", mg_job_id(job));
    struct mg_item *root = mg_job_run(job, name, tar.data ? tar.data : (const uint8_t *)"", tar.len,
                                      MG_TC_ARCHIVE);
    enum mg_verdict v = root->verdict;
    char *outname = v == MG_BLOCKED || v == MG_TEMPFAIL ? g_strdup_printf("%s.blocked.txt", name)
                                                        : g_strdup(mg_item_result_name(root));
    if (strchr(outname, '/') != NULL || outname[0] == '.') {
        g_free(outname);
        outname = g_strdup_printf("%s.out", id);
    }
    char *outpath = g_build_filename(outdir, outname, NULL);
    struct mg_buf notice;
    mg_buf_init(&notice);
    const uint8_t *p;
    size_t plen = 0;
    if (v == MG_BLOCKED || v == MG_TEMPFAIL) {
        mg_report_notice(job, &notice);
        p = notice.data;
        plen = notice.len;
    } else {
        p = mg_item_result(root, &plen);
    }
    if (g_mkdir_with_parents(outdir, 0755) != 0 || p == NULL || !mg_cli_write_file(outpath, p, plen)) {
        mg_cli_error(_("%s: cannot write: %s"), outpath, strerror(errno));
        rc = MG_EXIT_ERROR;
    } else {
        printf("%s  %s -> %s  (%s)\n", id, name, outpath, mg_job_id(job));
        rc = v == MG_TEMPFAIL ? MG_EXIT_ERROR : v == MG_BLOCKED ? MG_EXIT_BLOCKED : MG_EXIT_OK;
    }
    mg_audit_job(pol, job);
    mg_buf_free(&notice);
    g_free(outpath);
    g_free(outname);
out:
    if (job != NULL)
        mg_job_free(job);
    g_free(pw);
    if (data != NULL)
        free(data);
    mg_buf_free(&tar);
    g_free(name);
    g_free(orig_path);
    g_free(dir);
    mg_engine_free(e);
    return rc;
}

int mg_cmd_quarantine(int argc, char **argv);
int mg_cmd_quarantine(int argc, char **argv)
{
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    if (argc < 2 || strcmp(argv[1], "unlock") != 0) {
        mg_cli_error("%s", _("usage: mugai quarantine unlock [OPTIONS] --password-file FILE JOB_ID"));
        return MG_EXIT_USAGE;
    }
    static const struct option opts[] = {
        { "password-file", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' },
        { "name", required_argument, NULL, 'n' },
        { "config", required_argument, NULL, 'c' },
        { 0 },
    };
    const char *config = NULL, *outdir = ".", *pwfile = NULL, *name = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "p:o:n:c:", opts, NULL)) != -1) {
        switch (c) {
        case 'p': pwfile = optarg; break;
        case 'o': outdir = optarg; break;
        case 'n': name = optarg; break;
        case 'c': config = optarg; break;
        default: return MG_EXIT_USAGE;
        }
    }
    if (pwfile == NULL || optind + 1 != argc - 1) {
        mg_cli_error("%s", _("usage: mugai quarantine unlock [OPTIONS] --password-file FILE JOB_ID"));
        return MG_EXIT_USAGE;
    }
    if (name != NULL && (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')) {
        mg_cli_error(_("not a file name: %s"), name);
        return MG_EXIT_USAGE;
    }
    return unlock(config, outdir, pwfile, name, argv[1 + optind]);
}
