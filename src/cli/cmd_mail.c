/* `mugai mail IN.eml [-o OUT.eml] [--report FILE.json] [-c CONFIG]`: one
 * message through the mail sanitizer. Reads stdin and writes stdout when no
 * file is named. Output files are written whole or not at all (temporary
 * file, then rename). Exit codes as in cli.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/report.h"

int mg_cmd_mail(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "%s\n",
            _("Usage: mugai mail [IN.eml|-] [-o OUT.eml] [--report FILE.json] [-c CONFIG]"));
}

static bool write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Writes path atomically ("-" or NULL: stdout). */
static bool write_file(const char *path, const uint8_t *p, size_t len)
{
    if (path == NULL || strcmp(path, "-") == 0)
        return write_all(STDOUT_FILENO, p, len);
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (tmp == NULL)
        return false;
    snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return false;
    }
    bool ok = write_all(fd, p, len) && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok;
}

static bool any_blocked(const struct mg_item *it, unsigned depth)
{
    if (it->verdict == MG_BLOCKED)
        return true;
    for (size_t i = 0; depth < 64 && i < it->n_children; i++) {
        if (any_blocked(it->children[i], depth + 1))
            return true;
    }
    return false;
}

int mg_cmd_mail(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"report", required_argument, NULL, 'r'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL, *report_path = NULL, *conf = NULL;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:r:c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out_path = optarg;
            break;
        case 'r':
            report_path = optarg;
            break;
        case 'c':
            conf = optarg;
            break;
        case 'h':
            usage(stdout);
            return MG_EXIT_OK;
        default:
            usage(stderr);
            return MG_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return MG_EXIT_USAGE;
    }
    const char *in_path = optind < argc ? argv[optind] : "-";

    struct mg_engine *eng = mg_cli_engine(conf);
    if (eng == NULL)
        return MG_EXIT_USAGE;
    const struct mg_policy *pol = mg_engine_policy(eng);
    size_t max = pol->limits.max_item_size > SIZE_MAX ? SIZE_MAX
                                                        : (size_t)pol->limits.max_item_size;
    size_t len = 0;
    /* One byte over the limit is enough to know it is too big. */
    uint8_t *data = mg_cli_read_file(in_path, max == SIZE_MAX ? max : max + 1, &len);
    if (data == NULL) {
        mg_cli_error("%s: %s", in_path, strerror(errno));
        mg_engine_free(eng);
        return errno == EFBIG ? MG_EXIT_BLOCKED : MG_EXIT_USAGE;
    }
    struct mg_job *job = mg_job_new(eng, NULL);
    if (job == NULL) {
        mg_cli_error("%s", _("cannot start a job for the message"));
        free(data);
        mg_engine_free(eng);
        return MG_EXIT_TEMPFAIL;
    }
    const char *slash = strrchr(in_path, '/');
    const char *name = strcmp(in_path, "-") == 0 ? "message.eml" : slash ? slash + 1 : in_path;
    struct mg_item *root = mg_job_run(job, name, data, len, MG_TC_MAIL);
    enum mg_verdict v = mg_job_verdict(job);
    int rc = MG_EXIT_OK;

    if (report_path != NULL) {
        struct mg_buf rep;
        mg_buf_init(&rep);
        mg_report_json(job, &rep, true);
        if (mg_buf_failed(&rep) || !write_file(report_path, rep.data, rep.len)) {
            mg_cli_error("%s: %s", report_path, _("cannot write the mail report"));
            rc = MG_EXIT_TEMPFAIL;
        }
        mg_buf_free(&rep);
    }
    if (v == MG_CLEAN || v == MG_SANITIZED) {
        size_t olen = 0;
        const uint8_t *o = mg_item_result(root, &olen);
        if ((o == NULL && olen > 0) || !write_file(out_path, o ? o : (const uint8_t *)"", olen)) {
            mg_cli_error("%s: %s", out_path ? out_path : "stdout", strerror(errno));
            rc = MG_EXIT_TEMPFAIL;
        } else if (rc == MG_EXIT_OK && any_blocked(root, 0)) {
            rc = MG_EXIT_BLOCKED;
        }
    } else {
        /* No message is written for a blocked or deferred job: it is not
         * relayed in pieces. The reason goes to stderr and the report. */
        mg_cli_error("%s: %s (%s)%s%s", in_path, mg_verdict_name(v),
                     mg_reason_keyword(root->reason), root->reason_detail ? ": " : "",
                     root->reason_detail ? root->reason_detail : "");
        rc = v == MG_TEMPFAIL ? MG_EXIT_TEMPFAIL : MG_EXIT_BLOCKED;
    }
    mg_job_free(job);
    free(data);
    mg_engine_free(eng);
    return rc;
}
