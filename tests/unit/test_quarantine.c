/* Quarantine: store, list, get, original (hash-checked), purge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/quarantine.h"
#include "engine_fixture.h"

static void rm_rf(const char *dir)
{
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    int rc = system(cmd);
    (void)rc;
    g_free(cmd);
}

/* An engine whose quarantine is DIR/store (DIR made here), libclamav off. */
static struct mg_engine *store_engine(char *dir, const char *extra)
{
    assert_non_null(mkdtemp(dir));
    char text[512];
    snprintf(text, sizeof(text), "[general]\nquarantine-dir = %s/store\n[clamav]\nmode = off\n%s", dir, extra);
    return mg_test_engine(text);
}

static void test_round_trip_and_purge(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-q-XXXXXX";
    struct mg_engine *e = store_engine(dir, "");
    GError *err = NULL;
    const struct mg_policy *pol = mg_engine_policy(e);

    const char *orig = "MZ this original is kept byte for byte\n";
    for (int i = 0; i < 2; i++) {
        struct mg_job *job = mg_job_new(e, i == 0 ? "job-a" : "job-b");
        mg_job_run(job, "x.exe", (const uint8_t *)orig, strlen(orig), MG_TC_UNKNOWN);
        assert_true(mg_quarantine_store(pol, job, (const uint8_t *)orig, strlen(orig), "{\"from\":\"a@example.jp\"}"));
        mg_job_free(job);
    }
    GPtrArray *all = mg_quarantine_list(pol, 0, &err);
    assert_non_null(all);
    assert_int_equal(all->len, 2);
    g_ptr_array_free(all, TRUE);

    struct mg_qrecord r;
    assert_true(mg_quarantine_get(pol, "job-a", &r, &err));
    assert_string_equal(r.verdict, "blocked");
    assert_string_equal(r.name, "x.exe");
    assert_string_equal(r.meta, "{\"from\":\"a@example.jp\"}");
    size_t len;
    uint8_t *data = mg_quarantine_original(pol, &r, &len, &err);
    assert_non_null(data);
    assert_int_equal(len, strlen(orig));
    assert_memory_equal(data, orig, len);
    g_free(data);
    char *rep = mg_quarantine_report(pol, "job-a", &err);
    assert_non_null(strstr(rep, "\"job\":\"job-a\""));
    g_free(rep);

    /* A tampered blob is refused, not released. */
    char *blob = g_strdup_printf("%s/store/blobs/%c%c/%s", dir, r.sha256[0], r.sha256[1], r.sha256);
    FILE *f = fopen(blob, "ab");
    fputs("x", f);
    fclose(f);
    assert_null(mg_quarantine_original(pol, &r, &len, &err));
    assert_non_null(strstr(err->message, "SHA-256"));
    g_clear_error(&err);
    mg_qrecord_clear(&r);

    /* Ids that could escape the folder are refused. */
    assert_false(mg_quarantine_get(pol, "../etc", &r, &err));
    g_clear_error(&err);

    unsigned removed;
    assert_true(mg_quarantine_purge(pol, 3600, &removed, &err));
    assert_int_equal(removed, 0);
    assert_true(mg_quarantine_purge(pol, -10, &removed, &err)); /* everything is older than "10 s in the future" */
    assert_int_equal(removed, 2);
    assert_false(g_file_test(blob, G_FILE_TEST_EXISTS));
    g_free(blob);
    mg_engine_free(e);
    rm_rf(dir);
}

static void test_full_store_refuses(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-q-XXXXXX";
    struct mg_engine *e = store_engine(dir, "[quarantine]\nmax-size = 10\n");
    struct mg_job *job = mg_job_new(e, NULL);
    const char *orig = "more than ten bytes of original\n";
    mg_job_run(job, "a.txt", (const uint8_t *)orig, strlen(orig), MG_TC_UNKNOWN);
    assert_false(mg_quarantine_store(mg_engine_policy(e), job, (const uint8_t *)orig, strlen(orig), NULL));
    mg_job_free(job);
    mg_engine_free(e);
    rm_rf(dir);
}

static int kill_at;
static int steps_seen;

static void kill_hook(const char *step)
{
    (void)step;
    if (++steps_seen == kill_at)
        raise(SIGKILL);
}

static unsigned count_blobs(const char *store)
{
    char *cmd = g_strdup_printf("find '%s/blobs' -type f -name '[0-9a-f]*' | wc -l", store);
    FILE *f = popen(cmd, "r");
    unsigned n = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%u", &n), 1);
    pclose(f);
    g_free(cmd);
    return n;
}

static unsigned count_tmp(const char *store)
{
    char *cmd = g_strdup_printf("find '%s' -name '*.mugai-tmp-*' | wc -l", store);
    FILE *f = popen(cmd, "r");
    unsigned n = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%u", &n), 1);
    pclose(f);
    g_free(cmd);
    return n;
}

static void check_all_whole(const struct mg_policy *pol, unsigned *count)
{
    GError *err = NULL;
    GPtrArray *all = mg_quarantine_list(pol, 0, &err);
    assert_non_null(all);
    for (guint i = 0; i < all->len; i++) {
        const struct mg_qrecord *r = all->pdata[i];
        size_t len = 0;
        uint8_t *data = mg_quarantine_original(pol, r, &len, &err); /* hash-checked */
        assert_non_null(data);
        assert_int_equal(len, r->size);
        g_free(data);
        char *rep = mg_quarantine_report(pol, r->id, &err);
        assert_non_null(rep);
        assert_non_null(strstr(rep, r->id));
        g_free(rep);
    }
    *count = all->len;
    g_ptr_array_free(all, TRUE);
}


/* A writer SIGKILLed after the blob and after the report (the record is
 * written last) leaves no record that list or get would show; a store that
 * ran through is whole; purge drops the orphan blobs. */
static void test_kill_mid_store(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-q-XXXXXX";
    struct mg_engine *e = store_engine(dir, "");
    const struct mg_policy *pol = mg_engine_policy(e);
    GError *err = NULL;
    for (int k = 1; k <= 3; k++) { /* steps: blob, report; 3 = never killed */
        char id[32], body[64];
        snprintf(id, sizeof(id), "kill-%d", k);
        snprintf(body, sizeof(body), "MZ original number %d\n", k);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            kill_at = k;
            steps_seen = 0;
            mg_quarantine_test_hook = kill_hook;
            struct mg_job *job = mg_job_new(e, id);
            mg_job_run(job, "x.exe", (const uint8_t *)body, strlen(body), MG_TC_UNKNOWN);
            bool ok = mg_quarantine_store(pol, job, (const uint8_t *)body, strlen(body), NULL);
            _exit(ok ? 0 : 3);
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        struct mg_qrecord r;
        if (k < 3) {
            assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
            assert_false(mg_quarantine_get(pol, id, &r, NULL));
        } else {
            assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
            assert_true(mg_quarantine_get(pol, id, &r, &err));
            mg_qrecord_clear(&r);
        }
        unsigned n = 0;
        check_all_whole(pol, &n);
        assert_int_equal(n, k < 3 ? 0 : 1);
    }
    assert_int_equal(count_blobs(pol->quarantine_dir), 3);
    unsigned removed = 99;
    assert_true(mg_quarantine_purge(pol, 365.0 * 86400, &removed, &err));
    assert_int_equal(removed, 0);
    assert_int_equal(count_blobs(pol->quarantine_dir), 1);
    mg_engine_free(e);
    rm_rf(dir);
}

/* The same without a hook: writers storing 256 KiB originals in a loop are
 * SIGKILLed at random moments (inside writes, between write and rename);
 * every record listed afterwards is whole, and the temporary files the
 * kills left are never listed and go with purge once they are old. */
static void test_kill_loop(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-q-XXXXXX";
    struct mg_engine *e = store_engine(dir, "");
    const struct mg_policy *pol = mg_engine_policy(e);
    size_t big = 256 * 1024;
    uint8_t *body = g_malloc(big);
    unsigned killed = 0;
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (unsigned i = 0; i < 1000; i++) {
                char id[48];
                snprintf(id, sizeof(id), "loop-%d-%u", round, i);
                memset(body, 'A' + (int)(i % 26), big);
                memcpy(body, id, strlen(id)); /* distinct blobs */
                struct mg_job *job = mg_job_new(e, id);
                mg_job_run(job, "x.exe", (const uint8_t *)"MZ\n", 3, MG_TC_UNKNOWN);
                mg_quarantine_store(pol, job, body, big, NULL);
                mg_job_free(job);
            }
            _exit(0);
        }
        usleep(20000 + (useconds_t)g_random_int_range(0, 30000));
        kill(pid, SIGKILL);
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        killed += WIFSIGNALED(st);
        unsigned n = 0;
        check_all_whole(pol, &n);
    }
    g_free(body);
    assert_true(killed > 0);
    /* Leftover temporaries (if a kill hit between write and rename) are
     * not records; purge removes them once they are an hour old. */
    char *cmd = g_strdup_printf("find '%s' -name '*.mugai-tmp-*' -exec touch -d '2 hours ago' {} +", pol->quarantine_dir);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
    unsigned removed = 0, before = 0, after = 0;
    check_all_whole(pol, &before);
    GError *err = NULL;
    assert_true(mg_quarantine_purge(pol, 365.0 * 86400, &removed, &err));
    assert_int_equal(removed, 0);
    assert_int_equal(count_tmp(pol->quarantine_dir), 0);
    check_all_whole(pol, &after);
    assert_int_equal(before, after);
    mg_engine_free(e);
    rm_rf(dir);
}

/* The same attachment arriving in several messages at once (a mass mailing)
 * makes several threads store one content-addressed blob concurrently:
 * every store must succeed (each used to race for one temporary file). */
struct same_blob_arg {
    const struct mg_policy *pol;
    struct mg_engine *e;
    int n;
    bool ok;
};

static gpointer store_same_blob(gpointer p)
{
    struct same_blob_arg *a = p;
    static const char body[] = "MZ the same original in every message\n";
    a->ok = true;
    for (int i = 0; i < 20; i++) {
        char id[48];
        snprintf(id, sizeof(id), "same-%d-%d", a->n, i);
        struct mg_job *job = mg_job_new(a->e, id);
        mg_job_run(job, "x.exe", (const uint8_t *)body, strlen(body), MG_TC_UNKNOWN);
        if (!mg_quarantine_store(a->pol, job, (const uint8_t *)body, strlen(body), NULL))
            a->ok = false;
        mg_job_free(job);
    }
    return NULL;
}

static void test_same_blob_concurrently(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-q-XXXXXX";
    struct mg_engine *e = store_engine(dir, "");
    struct same_blob_arg args[8];
    GThread *t[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (struct same_blob_arg){ .pol = mg_engine_policy(e), .e = e, .n = i };
        t[i] = g_thread_new("store", store_same_blob, &args[i]);
    }
    for (int i = 0; i < 8; i++) {
        g_thread_join(t[i]);
        assert_true(args[i].ok);
    }
    assert_int_equal(count_blobs(mg_engine_policy(e)->quarantine_dir), 1);
    mg_engine_free(e);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_purge),
        cmocka_unit_test(test_full_store_refuses),
        cmocka_unit_test(test_kill_mid_store),
        cmocka_unit_test(test_kill_loop),
        cmocka_unit_test(test_same_blob_concurrently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
