/* The audit trail is a hash chain: edits and deletions are detected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/audit.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_chain_detects_edit_and_delete(void **state)
{
    (void)state;
    char log[] = "/tmp/mugai-audit-XXXXXX";
    int fd = mkstemp(log);
    close(fd);
    unlink(log); /* mg_audit_job creates it */
    char conf[] = "/tmp/mugai-audit-conf-XXXXXX";
    fd = mkstemp(conf);
    char text[256];
    int n = snprintf(text, sizeof(text), "[general]\naudit = %s\n[clamav]\nmode = off\n", log);
    assert_int_equal(write(fd, text, (size_t)n), n);
    close(fd);
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(conf, &err);
    assert_non_null(pol);
    struct mg_engine *e = mg_engine_new(pol, &err);
    assert_non_null(e);
    const char *bodies[] = { "one\n", "two\n", "three\n", "four\n" };
    for (int i = 0; i < 4; i++) {
        struct mg_job *job = mg_job_new(e, NULL);
        mg_job_run(job, "a.txt", (const uint8_t *)bodies[i], strlen(bodies[i]), MG_TC_UNKNOWN);
        assert_true(mg_audit_job(mg_engine_policy(e), job));
        mg_job_free(job);
    }
    size_t len, lines;
    char *data = slurp(log, &len);
    assert_int_equal(mg_audit_verify((uint8_t *)data, len, &lines), 0);
    assert_int_equal(lines, 4);
    assert_memory_equal(data, "{\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"", 74);

    /* Edit a byte on line 2: line 3 no longer matches. */
    char *l2 = strchr(data, '\n') + 1;
    char *v = strstr(l2, "\"size\":");
    assert_non_null(v);
    char saved = v[7];
    v[7] = v[7] == '9' ? '8' : '9';
    assert_int_equal(mg_audit_verify((uint8_t *)data, len, NULL), 3);
    v[7] = saved;
    assert_int_equal(mg_audit_verify((uint8_t *)data, len, NULL), 0);

    /* Delete line 2: what is now line 2 breaks. */
    char *l3 = strchr(l2, '\n') + 1;
    memmove(l2, l3, len - (size_t)(l3 - data));
    size_t len2 = len - (size_t)(l3 - l2);
    assert_int_equal(mg_audit_verify((uint8_t *)data, len2, NULL), 2);

    /* A new job appended after a tampered file still chains to the last line. */
    spit(log, data, len2);
    struct mg_job *job = mg_job_new(e, NULL);
    mg_job_run(job, "b.txt", (const uint8_t *)"x\n", 2, MG_TC_UNKNOWN);
    assert_true(mg_audit_job(mg_engine_policy(e), job));
    mg_job_free(job);
    free(data);
    data = slurp(log, &len);
    assert_int_equal(mg_audit_verify((uint8_t *)data, len, &lines), 2);
    assert_int_equal(lines, 2);
    free(data);
    mg_engine_free(e);
    unlink(log);
    unlink(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_detects_edit_and_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
