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
#include <unistd.h>

#include "engine/quarantine.h"

static void rm_rf(const char *dir)
{
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    int rc = system(cmd);
    (void)rc;
    g_free(cmd);
}

static void test_round_trip_and_purge(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-q-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char conf[] = "/tmp/mugai-q-conf-XXXXXX";
    int fd = mkstemp(conf);
    char text[256];
    int n = snprintf(text, sizeof(text), "[general]\nquarantine-dir = %s/store\n[clamav]\nmode = off\n", dir);
    assert_int_equal(write(fd, text, (size_t)n), n);
    close(fd);
    GError *err = NULL;
    struct mg_engine *e = mg_engine_new(mg_policy_load(conf, &err), &err);
    assert_non_null(e);
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
    unlink(conf);
    rm_rf(dir);
}

static void test_full_store_refuses(void **state)
{
    (void)state;
    char dir[] = "/tmp/mugai-q-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char conf[] = "/tmp/mugai-q-conf-XXXXXX";
    int fd = mkstemp(conf);
    char text[256];
    int n = snprintf(text, sizeof(text), "[general]\nquarantine-dir = %s\n[quarantine]\nmax-size = 10\n[clamav]\nmode = off\n", dir);
    assert_int_equal(write(fd, text, (size_t)n), n);
    close(fd);
    GError *err = NULL;
    struct mg_engine *e = mg_engine_new(mg_policy_load(conf, &err), &err);
    assert_non_null(e);
    struct mg_job *job = mg_job_new(e, NULL);
    const char *orig = "more than ten bytes of original\n";
    mg_job_run(job, "a.txt", (const uint8_t *)orig, strlen(orig), MG_TC_UNKNOWN);
    assert_false(mg_quarantine_store(mg_engine_policy(e), job, (const uint8_t *)orig, strlen(orig), NULL));
    mg_job_free(job);
    mg_engine_free(e);
    unlink(conf);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_purge),
        cmocka_unit_test(test_full_store_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
