/* mugai quarantine unlock (dispatched from cmd_quarantine.c): an
 * administrator who learned the password of a quarantined password-protected
 * archive (PPAP) decrypts it and gets the sanitized result. The archive is
 * decrypted into a plain tar under the usual limits
 * (sanitizers/archive/archive_unlock.h) in a sandboxed worker, and that tar
 * runs through the engine
 * as a new job, so every member is checked as if the archive had arrived
 * without a password. The password is read from a file (never from the
 * command line, where `ps` would show it) and never logged. */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sandbox/sandbox.h"
#include "cli/quarantine_unlock.h"
#include "core/log.h"
#include "engine/audit.h"
#include "engine/quarantine.h"
#include "engine/report.h"
#include "sanitizers/archive/archive_unlock.h"

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
    char *name = NULL;
    char *pw = NULL;
    struct mg_sandbox_xresult tar;
    memset(&tar, 0, sizeof(tar));
    struct mg_sandbox *sb = NULL;
    size_t len = 0;
    uint8_t *data = NULL;
    struct mg_qrecord rec;
    memset(&rec, 0, sizeof(rec));
    GError *err = NULL;
    if (!mg_quarantine_get(pol, id, &rec, &err)) {
        mg_cli_error(_("no quarantine record %s: %s"), id, err ? err->message : "");
        g_clear_error(&err);
        rc = MG_EXIT_BLOCKED;
        goto out;
    }
    /* The original, checked against its recorded SHA-256. */
    data = mg_quarantine_original(pol, &rec, &len, &err);
    if (data == NULL) {
        mg_cli_error("%s", err ? err->message : "?");
        g_clear_error(&err);
        goto out;
    }
    if (name_opt != NULL)
        name = g_strdup(name_opt);
    else if (rec.name != NULL && rec.name[0] != '\0' && strchr(rec.name, '/') == NULL &&
             rec.name[0] != '.')
        name = g_strdup(rec.name);
    else
        name = g_strdup_printf("%s.zip", id);
    pw = read_password(pwfile);
    if (pw == NULL) {
        mg_cli_error(_("%s: no password in the file"), pwfile);
        rc = MG_EXIT_USAGE;
        goto out;
    }
    /* The decryption runs libarchive on the quarantined bytes, which an
     * attacker wrote: in a sandboxed worker like any parsing, so a
     * malformed archive costs this command, never more. */
    sb = mg_cli_sandbox(e);
    if (sb == NULL) {
        rc = MG_EXIT_ERROR;
        goto out;
    }
    uint64_t max_tar = pol->limits.max_total_size;
    bool decrypted = mg_sandbox_transform(sb, MG_XFORM_ARCHIVE_DECRYPT, pw, data, len, max_tar, &tar);
    explicit_bzero(pw, strlen(pw));
    const char *detail = tar.detail ? tar.detail : "";
    if (!decrypted) {
        mg_cli_error(_("%s: cannot unlock: %s (%s)"), id, tar.poison ? "poison" : "internal",
                     tar.worker_failure ? tar.worker_failure : "?");
        mg_log(MG_LOG_NOTICE, id, NULL, "quarantine unlock failed: %s",
               tar.worker_failure ? tar.worker_failure : "sandbox worker failed");
        rc = tar.poison ? MG_EXIT_BLOCKED : MG_EXIT_ERROR;
        goto out;
    }
    enum mg_ar_status st = (enum mg_ar_status)tar.status;
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
    /* The decrypted archive is untrusted like any input: a sandboxed worker
     * sanitizes it. */
    struct mg_sandbox_result res;
    if (!mg_sandbox_run(sb, name, tar.out ? tar.out : (const uint8_t *)"", tar.out_len, MG_TC_ARCHIVE, &res))
        mg_cli_error(_("%s: the sandboxed check failed (%s); try again"), id,
                     res.worker_failure ? res.worker_failure : "?");
    mg_log(MG_LOG_NOTICE, id, NULL, "quarantine unlock: decrypted, sanitized as job %s", res.job_id);
    enum mg_verdict v = res.verdict;
    char *outname = v == MG_BLOCKED || v == MG_TEMPFAIL ? g_strdup_printf("%s.blocked.txt", name)
                                                        : g_strdup(res.result_name);
    if (strchr(outname, '/') != NULL || outname[0] == '.') {
        g_free(outname);
        outname = g_strdup_printf("%s.out", id);
    }
    char *outpath = g_build_filename(outdir, outname, NULL);
    const uint8_t *p;
    size_t plen = 0;
    if (v == MG_BLOCKED || v == MG_TEMPFAIL) {
        p = (const uint8_t *)res.notice;
        plen = strlen(res.notice);
    } else {
        p = res.output;
        plen = res.output_len;
    }
    if (g_mkdir_with_parents(outdir, 0755) != 0 || p == NULL || !mg_cli_write_file(outpath, p, plen)) {
        mg_cli_error(_("%s: cannot write: %s"), outpath, strerror(errno));
        rc = MG_EXIT_ERROR;
    } else {
        printf("%s  %s -> %s  (%s)\n", id, name, outpath, res.job_id);
        rc = v == MG_TEMPFAIL ? MG_EXIT_ERROR : v == MG_BLOCKED ? MG_EXIT_BLOCKED : MG_EXIT_OK;
    }
    mg_sandbox_audit(sb, &res, NULL);
    mg_sandbox_result_clear(&res);
    g_free(outpath);
    g_free(outname);
out:
    mg_sandbox_free(sb);
    g_free(pw);
    g_free(data);
    mg_sandbox_xresult_clear(&tar);
    g_free(name);
    mg_qrecord_clear(&rec);
    mg_engine_free(e);
    return rc;
}

int mg_quarantine_unlock(const char *config, int argc, char **argv)
{
    static const struct option opts[] = {
        { "password-file", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' },
        { "name", required_argument, NULL, 'n' },
        { "config", required_argument, NULL, 'c' },
        { 0 },
    };
    const char *outdir = ".", *pwfile = NULL, *name = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:o:n:c:", opts, NULL)) != -1) {
        switch (c) {
        case 'p': pwfile = optarg; break;
        case 'o': outdir = optarg; break;
        case 'n': name = optarg; break;
        case 'c': config = optarg; break;
        default: return MG_EXIT_USAGE;
        }
    }
    if (pwfile == NULL || optind + 1 != argc) {
        mg_cli_error("%s", _("usage: mugai quarantine unlock [OPTIONS] --password-file FILE JOB_ID"));
        return MG_EXIT_USAGE;
    }
    if (name != NULL && (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')) {
        mg_cli_error(_("not a file name: %s"), name);
        return MG_EXIT_USAGE;
    }
    return unlock(config, outdir, pwfile, name, argv[optind]);
}
