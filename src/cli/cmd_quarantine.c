/* mugai quarantine: list, show, release and purge quarantined originals. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/quarantine_unlock.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "engine/quarantine.h"

static const char help[] = N_(
    "Usage: mugai quarantine [-c CONFIG] COMMAND [ARGS]\n"
    "\n"
    "Originals of every job in which something was removed or blocked are\n"
    "kept in the quarantine folder ([general] quarantine-dir) under the job\n"
    "id that the notice, the X-Mugai-Report header and the audit log name.\n"
    "\n"
    "Commands:\n"
    "  list [--since YYYY-MM-DD] [--json]\n"
    "                     the records, oldest first: job id, time, verdict,\n"
    "                     reason, size and name\n"
    "  show ID            the record and the job's JSON report\n"
    "  release ID -o FILE write the ORIGINAL (unsanitized) to FILE; the release\n"
    "                     is logged with the operator's user name\n"
    "  purge [--older-than DAYS]\n"
    "                     remove records older than DAYS (default: [quarantine]\n"
    "                     retention) and the originals no record uses\n"
    "  unlock ID --password-file FILE [-o DIR] [-n NAME]\n"
    "                     decrypt a password-protected archive (PPAP zip) with\n"
    "                     the password in the first line of FILE and write it\n"
    "                     SANITIZED to DIR (default: the current folder); the\n"
    "                     password is never shown or logged\n"
    "\n"
    "Exit status: 0 done, 1 no such record (or wrong password, or the\n"
    "unlocked archive was blocked), 2 usage or error.\n");

static void print_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static int cmd_list(const struct mg_policy *pol, int argc, char **argv)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' }, { 0 },
    };
    time_t since = 0;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:j", opts, NULL)) != -1) {
        if (c == 's') {
            struct tm tm = { 0 };
            const char *end = strptime(optarg, "%Y-%m-%d", &tm);
            if (end == NULL || *end != '\0') {
                mg_cli_error(_("--since wants a date such as 2026-04-01, not \"%s\""), optarg);
                return MG_EXIT_USAGE;
            }
            tm.tm_isdst = -1;
            since = mktime(&tm);
        } else if (c == 'j') {
            json = true;
        } else {
            return MG_EXIT_USAGE;
        }
    }
    GError *err = NULL;
    GPtrArray *all = mg_quarantine_list(pol, since, &err);
    if (all == NULL) {
        mg_cli_error("%s", err->message);
        g_clear_error(&err);
        return MG_EXIT_ERROR;
    }
    struct mg_buf out;
    mg_buf_init(&out);
    struct mg_json j;
    mg_json_init(&j, &out);
    if (json)
        mg_json_arr_begin(&j, NULL);
    for (guint i = 0; i < all->len; i++) {
        const struct mg_qrecord *r = all->pdata[i];
        char ts[32];
        print_time(r->time, ts, sizeof(ts));
        if (json) {
            mg_json_obj_begin(&j, NULL);
            mg_json_str(&j, "id", r->id);
            mg_json_int(&j, "time", (int64_t)r->time);
            mg_json_str(&j, "sha256", r->sha256);
            mg_json_uint(&j, "size", r->size);
            mg_json_str(&j, "verdict", r->verdict);
            mg_json_str(&j, "reason", r->reason);
            mg_json_str(&j, "name", r->name);
            mg_json_obj_end(&j);
        } else {
            mg_buf_printf(&out, "%s  %s  %-9s %-14s %10llu  %s\n", r->id, ts, r->verdict, r->reason,
                          (unsigned long long)r->size, r->name ? r->name : "");
        }
    }
    if (json) {
        mg_json_arr_end(&j);
        mg_buf_putc(&out, '\n');
    }
    fputs(mg_buf_cstr(&out), stdout);
    mg_buf_free(&out);
    g_ptr_array_free(all, TRUE);
    return MG_EXIT_OK;
}

static int cmd_show(const struct mg_policy *pol, const char *id)
{
    struct mg_qrecord r;
    GError *err = NULL;
    if (!mg_quarantine_get(pol, id, &r, &err)) {
        mg_cli_error(_("no quarantine record %s: %s"), id, err ? err->message : "");
        g_clear_error(&err);
        return MG_EXIT_BLOCKED;
    }
    char ts[32];
    print_time(r.time, ts, sizeof(ts));
    printf("id:      %s\ntime:    %s\nsha256:  %s\nsize:    %llu\nverdict: %s\nreason:  %s\nname:    %s\nmeta:    %s\n",
           r.id, ts, r.sha256, (unsigned long long)r.size, r.verdict, r.reason, r.name ? r.name : "",
           r.meta ? r.meta : "null");
    char *rep = mg_quarantine_report(pol, id, NULL);
    if (rep) {
        printf("report:  %s\n", rep);
        g_free(rep);
    }
    mg_qrecord_clear(&r);
    return MG_EXIT_OK;
}

static int cmd_release(const struct mg_policy *pol, int argc, char **argv)
{
    static const struct option opts[] = { { "output", required_argument, NULL, 'o' }, { 0 } };
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else
            return MG_EXIT_USAGE;
    }
    if (optind >= argc || out == NULL) {
        mg_cli_error("%s", _("release needs a job id and -o FILE (see --help)"));
        return MG_EXIT_USAGE;
    }
    const char *id = argv[optind];
    struct mg_qrecord r;
    GError *err = NULL;
    if (!mg_quarantine_get(pol, id, &r, &err)) {
        mg_cli_error(_("no quarantine record %s: %s"), id, err ? err->message : "");
        g_clear_error(&err);
        return MG_EXIT_BLOCKED;
    }
    size_t len = 0;
    uint8_t *data = mg_quarantine_original(pol, &r, &len, &err);
    int rc = MG_EXIT_OK;
    if (data == NULL) {
        mg_cli_error("%s", err ? err->message : "?");
        g_clear_error(&err);
        rc = MG_EXIT_ERROR;
    } else if (!mg_cli_write_file(out, data, len)) {
        mg_cli_error(_("%s: cannot write: %s"), out, strerror(errno));
        rc = MG_EXIT_ERROR;
    } else {
        const char *who = getenv("SUDO_USER") ? getenv("SUDO_USER") : g_get_user_name();
        /* Releasing unsanitized content is an auditable act. */
        mg_log(MG_LOG_NOTICE, id, NULL, "quarantine: original released to %s by %s", out, who);
    }
    g_free(data);
    mg_qrecord_clear(&r);
    return rc;
}

static int cmd_purge(const struct mg_policy *pol, int argc, char **argv)
{
    static const struct option opts[] = { { "older-than", required_argument, NULL, 'd' }, { 0 } };
    double age = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
        if (c != 'd')
            return MG_EXIT_USAGE;
        char *end;
        double days = strtod(optarg, &end);
        if (*end != '\0' || days < 0) {
            mg_cli_error(_("--older-than wants a number of days, not \"%s\""), optarg);
            return MG_EXIT_USAGE;
        }
        age = days * 86400.0;
    }
    GError *err = NULL;
    if (age < 0) {
        if (!mg_config_get_duration(pol->kf, "quarantine", "retention", &age, &err)) {
            mg_cli_error("%s", err->message);
            g_clear_error(&err);
            return MG_EXIT_USAGE;
        }
        if (age == 0) {
            printf("%s", _("retention is 0: nothing is purged\n"));
            return MG_EXIT_OK;
        }
    }
    unsigned removed = 0;
    if (!mg_quarantine_purge(pol, age, &removed, &err)) {
        mg_cli_error("%s", err ? err->message : "?");
        g_clear_error(&err);
        return MG_EXIT_ERROR;
    }
    mg_log(MG_LOG_NOTICE, NULL, NULL, "quarantine: purged %u records older than %.0f days", removed, age / 86400.0);
    printf(_("%u records removed\n"), removed);
    return MG_EXIT_OK;
}

int mg_cmd_quarantine(int argc, char **argv);
int mg_cmd_quarantine(int argc, char **argv)
{
    if (mg_cli_wants_help(argc, argv, help))
        return MG_EXIT_OK;
    const char *config = NULL;
    int i = 1;
    if (i + 1 < argc && (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)) {
        config = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        mg_cli_error("%s", _("quarantine needs a command: list, show, release or purge (see --help)"));
        return MG_EXIT_USAGE;
    }
    const char *sub = argv[i];
    GError *err = NULL;
    (void)mg_cli_gettext("");
    struct mg_policy *pol = mg_policy_load(config, &err);
    if (pol == NULL) {
        mg_cli_error(_("configuration error: %s"), err ? err->message : "?");
        g_clear_error(&err);
        return MG_EXIT_USAGE;
    }
    mg_log_init("mugai", pol->log_dest, MG_LOG_NOTICE);
    int rc;
    if (strcmp(sub, "list") == 0)
        rc = cmd_list(pol, argc - i, argv + i);
    else if (strcmp(sub, "show") == 0 && i + 1 < argc)
        rc = cmd_show(pol, argv[i + 1]);
    else if (strcmp(sub, "release") == 0)
        rc = cmd_release(pol, argc - i, argv + i);
    else if (strcmp(sub, "purge") == 0)
        rc = cmd_purge(pol, argc - i, argv + i);
    else if (strcmp(sub, "unlock") == 0)
        rc = mg_quarantine_unlock(config, argc - i, argv + i);
    else {
        mg_cli_error(_("unknown quarantine command \"%s\" (see --help)"), sub);
        rc = MG_EXIT_USAGE;
    }
    mg_policy_free(pol);
    return rc;
}
