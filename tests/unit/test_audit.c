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
#include "engine_fixture.h"

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

/* An engine auditing to LOG (a fresh name made here; mg_audit_job creates
 * the file), libclamav off. */
static struct mg_engine *audit_engine(char *log, const char *extra)
{
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    close(fd);
    unlink(log);
    char text[512];
    snprintf(text, sizeof(text), "[general]\naudit = %s\n[clamav]\nmode = off\n%s", log, extra);
    return mg_test_engine(text);
}

static void test_chain_detects_edit_and_delete(void **state)
{
    (void)state;
    char log[] = "/tmp/mugai-audit-XXXXXX";
    struct mg_engine *e = audit_engine(log, "[audit]\nitems = no\n");
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
}

/* With [audit] items = yes (the default) every job line is followed by one
 * line per item, in the same chain, carrying the item's input hash. */
static void test_item_lines(void **state)
{
    (void)state;
    char log[] = "/tmp/mugai-audit-XXXXXX";
    struct mg_engine *e = audit_engine(log, "");
    assert_non_null(e);
    const char *bodies[] = { "first file\n", "second file\n" };
    for (int i = 0; i < 2; i++) {
        struct mg_job *job = mg_job_new(e, i == 0 ? "job-one" : "job-two");
        mg_job_run(job, "a.txt", (const uint8_t *)bodies[i], strlen(bodies[i]), MG_TC_UNKNOWN);
        assert_true(mg_audit_job(mg_engine_policy(e), job));
        mg_job_free(job);
    }
    size_t len, lines;
    char *data = slurp(log, &len);
    assert_int_equal(mg_audit_verify((uint8_t *)data, len, &lines), 0);
    assert_int_equal(lines, 4);
    char **l = g_strsplit(data, "\n", -1);
    assert_non_null(strstr(l[0], "\"type\":\"job\",\"job\":\"job-one\""));
    assert_non_null(strstr(l[1], "\"type\":\"item\",\"job\":\"job-one\",\"n\":0,\"path\":\"a.txt\""));
    gchar *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, bodies[0], -1);
    char want[100];
    snprintf(want, sizeof(want), "\"sha256_in\":\"%s\"", sha);
    assert_non_null(strstr(l[1], want));
    g_free(sha);
    assert_non_null(strstr(l[2], "\"type\":\"job\",\"job\":\"job-two\""));
    assert_non_null(strstr(l[3], "\"type\":\"item\",\"job\":\"job-two\""));
    /* Deleting an item line (hiding what crossed) breaks the chain there. */
    size_t l1 = strlen(l[1]) + 1, off = strlen(l[0]) + 1;
    memmove(data + off, data + off + l1, len - off - l1);
    assert_int_equal(mg_audit_verify((uint8_t *)data, len - l1, NULL), 2);
    g_strfreev(l);
    free(data);
    mg_engine_free(e);
    unlink(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_detects_edit_and_delete),
        cmocka_unit_test(test_item_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
