/* The mail pipeline benchmark (issue 10): the whole engine in one process
 * over a folder of messages (tests/bench/gen_mail_corpus.py), as the SMTP
 * relay runs it, without process start-up and with libclamav off. Prints
 * messages/s, MB/s and the share of time spent in the indicator scanner.
 *     bench-mail DIR [CONFIG] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "engine/engine.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct msg {
    char *data;
    size_t len;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-mail DIR [CONFIG]\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (d == NULL) {
        perror(argv[1]);
        return 2;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".eml"))
            g_ptr_array_add(names, g_build_filename(argv[1], e->d_name, NULL));
    closedir(d);
    qsort(names->pdata, names->len, sizeof(char *), by_name);
    struct msg *msgs = calloc(names->len, sizeof(*msgs));
    size_t total = 0;
    for (guint i = 0; i < names->len; i++) {
        gsize n;
        if (!g_file_get_contents(names->pdata[i], &msgs[i].data, &n, NULL))
            return 2;
        msgs[i].len = n;
        total += n;
    }
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(argc > 2 ? argv[2] : NULL, &err);
    if (pol == NULL) {
        fprintf(stderr, "%s\n", err->message);
        return 2;
    }
    mg_log_init("bench-mail", pol->log_dest, pol->log_level);
    struct mg_engine *eng = mg_engine_new(pol, &err);
    if (eng == NULL) {
        fprintf(stderr, "%s\n", err->message);
        return 2;
    }
    /* One warm-up pass (page cache, libmagic, lazily built tables). */
    for (guint i = 0; i < names->len && i < 20; i++) {
        struct mg_job *job = mg_job_new(eng, NULL);
        mg_job_run(job, "m.eml", (const uint8_t *)msgs[i].data, msgs[i].len, MG_TC_MAIL);
        mg_job_free(job);
    }
    size_t counts[4] = { 0 };
    double scan = 0;
    double t0 = now(), c0 = cpu();
    for (guint i = 0; i < names->len; i++) {
        struct mg_job *job = mg_job_new(eng, NULL);
        struct mg_item *r = mg_job_run(job, "m.eml", (const uint8_t *)msgs[i].data, msgs[i].len, MG_TC_MAIL);
        counts[r->verdict]++;
        scan += mg_job_scan_seconds(job);
        mg_job_free(job);
    }
    double wall = now() - t0, cputime = cpu() - c0;
    printf("messages: %u, %.1f MB, average %.1f KB\n", names->len, (double)total / 1e6,
           (double)total / names->len / 1024.0);
    printf("verdicts: clean %zu, sanitized %zu, blocked %zu, tempfail %zu\n", counts[0], counts[1],
           counts[2], counts[3]);
    printf("wall %.2f s, cpu %.2f s (one thread)\n", wall, cputime);
    printf("throughput: %.0f messages/s, %.1f MB/s (cpu time: %.0f messages/s)\n",
           names->len / wall, (double)total / 1e6 / wall, names->len / cputime);
    printf("time in the indicator scanner: %.3f s = %.1f%% of cpu time\n", scan, 100.0 * scan / cputime);
    mg_engine_free(eng);
    for (guint i = 0; i < names->len; i++)
        g_free(msgs[i].data);
    free(msgs);
    g_ptr_array_free(names, TRUE);
    return 0;
}
