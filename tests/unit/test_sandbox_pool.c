/* The sandbox proves itself: a test-only job runner (it exists in this
 * test program only, never in mugai) misbehaves inside real workers, and
 * the confinement must stop it: no new file opened or created, no socket,
 * no execve, no fork; crashes, SIGKILL and hangs become TEMPFAIL with the
 * worker replaced; an input killing workers poison-after times in a row is
 * BLOCKED (poison) and quarantined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/audit.h"
#include "engine/engine.h"
#include "mg_config.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_private.h"

static char tmp[256];

static struct mg_item *evil(struct mg_job *job, const char *name, const uint8_t *data, size_t len,
                            enum mg_type_class forced)
{
    static char out[512];  /* mg_job_run keeps a pointer until the job ends */
    if (strcmp(name, "open.txt") == 0) {
        /* A file that exists and is world-readable, and a new file in a
         * world-writable folder: both must be refused. */
        int a = openat(AT_FDCWD, MG_TEST_SOURCE_ROOT "/meson.build", O_RDONLY);
        int ea = errno;
        char path[300];
        snprintf(path, sizeof(path), "%s/created-by-worker", tmp);
        int b = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        int eb = errno;
        /* stdout is not the front end's: writing there must not reach it. */
        struct stat st0, st1;
        bool same = fstat(1, &st1) == 0 && fstat(2, &st0) == 0 && st0.st_ino == st1.st_ino &&
                    st0.st_dev == st1.st_dev;
        snprintf(out, sizeof(out), "read %s, create %s, stdout %s\n", a >= 0 ? "OPENED" : strerrorname_np(ea),
                 b >= 0 ? "CREATED" : strerrorname_np(eb), same ? "is stderr" : "NOT stderr");
        return mg_job_run(job, name, (const uint8_t *)out, strlen(out), MG_TC_UNKNOWN);
    }
    if (strcmp(name, "socket.txt") == 0)
        (void)socket(AF_INET, SOCK_STREAM, 0);
    if (strcmp(name, "exec.txt") == 0) {
        char *argv[] = { (char *)"/bin/true", NULL };
        execv("/bin/true", argv);
    }
    if (strcmp(name, "fork.txt") == 0 && fork() == 0)
        _exit(0);
    if (strcmp(name, "segv.txt") == 0)
        raise(SIGSEGV);
    /* A compromised worker answering with a frame too large, or with a
     * well-sized frame of nonsense, on its socket (fd 3). */
    if (strcmp(name, "huge.txt") == 0) {
        static const uint8_t head[5] = { 0xff, 0xff, 0xff, 0x7f, 0 };
        (void)!write(3, head, sizeof(head));
        for (;;)
            sleep(1);
    }
    if (strcmp(name, "nonsense.txt") == 0) {
        static const uint8_t frame[9] = { 4, 0, 0, 0, 0, 'a', 'b', 'c', 'd' };
        (void)!write(3, frame, sizeof(frame));
        for (;;)
            sleep(1);
    }
    if (strcmp(name, "hang.txt") == 0)
        for (;;)
            sleep(1);
    return mg_job_run(job, name, data, len, forced);
}

static struct mg_engine *engine_with(const char *sandbox_conf)
{
    char *conf = g_strdup_printf("[general]\nquarantine-dir = %s/q\ntmpdir = %s\n[sandbox]\nuser = nobody\n%s",
                                 tmp, tmp, sandbox_conf);
    char *path = g_build_filename(tmp, "mugai.conf", NULL);
    assert_true(g_file_set_contents(path, conf, -1, NULL));
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(path, &err);
    if (pol == NULL)
        fail_msg("%s", err->message);
    struct mg_engine *e = mg_engine_new(pol, &err);
    if (e == NULL)
        fail_msg("%s", err->message);
    g_free(path);
    g_free(conf);
    return e;
}

static struct mg_sandbox *pool(struct mg_engine *e)
{
    GError *err = NULL;
    struct mg_sandbox *sb = mg_sandbox_new_with_runner(e, evil, &err);
    if (sb == NULL)
        fail_msg("%s", err->message);
    return sb;
}

static void run(struct mg_sandbox *sb, const char *name, const char *text, struct mg_sandbox_result *res)
{
    mg_sandbox_run(sb, name, (const uint8_t *)text, strlen(text), MG_TC_UNKNOWN, res);
}

static void test_clean_job_matches_in_process(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 2\n");
    struct mg_sandbox *sb = pool(e);
    struct mg_sandbox_result a, b;
    const char *html = "<html><body><p>お知らせ</p><script>alert(1)</script></body></html>";
    mg_sandbox_run(sb, "page.html", (const uint8_t *)html, strlen(html), MG_TC_UNKNOWN, &a);
    struct mg_engine *e2 = engine_with("mode = off\n");
    struct mg_sandbox *off = pool(e2);
    mg_sandbox_run(off, "page.html", (const uint8_t *)html, strlen(html), MG_TC_UNKNOWN, &b);
    assert_int_equal(a.verdict, MG_SANITIZED);
    assert_int_equal(a.verdict, b.verdict);
    assert_int_equal(a.output_len, b.output_len);
    assert_memory_equal(a.output, b.output, a.output_len);
    assert_string_equal(a.result_name, b.result_name);
    assert_string_equal(a.out_name, "page.txt");
    assert_string_equal(a.out_name, b.out_name);
    /* Same notice but for the job id in its first line. */
    assert_non_null(strstr(a.notice, a.job_id));
    assert_string_equal(strchr(a.notice, '\n'), strchr(b.notice, '\n'));
    assert_true(a.n_nodes >= 1 && a.n_nodes == b.n_nodes);
    assert_non_null(strstr(a.report_json, a.job_id));
    assert_null(a.worker_failure);
    /* A large input and output go through memfds. */
    size_t big = (3u << 20) + 17;
    char *t = g_malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        t[i] = (char)('a' + i % 26);
    t[big - 1] = '\n';
    t[big] = 0;
    struct mg_sandbox_result c;
    run(sb, "big.txt", t, &c);
    assert_int_equal(c.verdict, MG_CLEAN);
    assert_null(c.out_name);
    assert_string_equal(c.result_name, "big.txt");
    assert_int_equal(c.output_len, big);
    assert_memory_equal(c.output, t, big);
    g_free(t);
    mg_sandbox_result_clear(&a);
    mg_sandbox_result_clear(&b);
    mg_sandbox_result_clear(&c);
    assert_int_equal(mg_sandbox_worker_deaths(sb), 0);
    mg_sandbox_free(sb);
    mg_sandbox_free(off);
    mg_engine_free(e);
    mg_engine_free(e2);
}

static void test_no_new_file(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 1\n");
    struct mg_sandbox *sb = pool(e);
    struct mg_sandbox_result r;
    run(sb, "open.txt", "x", &r);
    assert_int_equal(r.verdict, MG_CLEAN);
    assert_non_null(r.output);
    char *s = g_strndup((const char *)r.output, r.output_len);
    assert_string_equal(s, "read EACCES, create EACCES, stdout is stderr\n");
    g_free(s);
    char *path = g_build_filename(tmp, "created-by-worker", NULL);
    assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
    mg_sandbox_result_clear(&r);
    mg_sandbox_free(sb);
    mg_engine_free(e);
}

static void expect_sigsys(struct mg_sandbox *sb, const char *name)
{
    struct mg_sandbox_result r;
    uint64_t before = mg_sandbox_worker_deaths(sb);
    run(sb, name, name, &r);
    assert_int_equal(r.verdict, MG_TEMPFAIL);
    assert_int_equal(r.reason, MG_R_INTERNAL);
    assert_non_null(r.worker_failure);
    if (strstr(r.worker_failure, "SIGSYS") == NULL)
        fail_msg("%s: %s", name, r.worker_failure);
    assert_null(r.output);
    assert_int_equal(mg_sandbox_worker_deaths(sb), before + 1);
    mg_sandbox_result_clear(&r);
    /* Replaced: the next job works. */
    run(sb, "ok.txt", "still here\n", &r);
    assert_int_equal(r.verdict, MG_CLEAN);
    mg_sandbox_result_clear(&r);
}

static void test_no_socket_exec_fork(void **state)
{
    (void)state;
#ifndef MG_HAVE_SECCOMP
    skip();
#endif
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 1\n");
    struct mg_sandbox *sb = pool(e);
    expect_sigsys(sb, "socket.txt");
    expect_sigsys(sb, "exec.txt");
    expect_sigsys(sb, "fork.txt");
    mg_sandbox_free(sb);
    mg_engine_free(e);
}

static void test_poison_blocked_and_quarantined(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 1\npoison-after = 3\n");
    struct mg_sandbox *sb = pool(e);
    struct mg_sandbox_result r;
    for (int i = 1; i <= 2; i++) {
        run(sb, "segv.txt", "poison", &r);
        assert_int_equal(r.verdict, MG_TEMPFAIL);
        assert_non_null(strstr(r.worker_failure, "SIGSEGV"));
        mg_sandbox_result_clear(&r);
    }
    run(sb, "segv.txt", "poison", &r);
    assert_int_equal(r.verdict, MG_BLOCKED);
    assert_int_equal(r.reason, MG_R_POISON);
    char *rec = g_strdup_printf("%s/q/records/%s.ini", tmp, r.job_id);
    assert_true(g_file_test(rec, G_FILE_TEST_EXISTS));
    g_free(rec);
    mg_sandbox_result_clear(&r);
    /* Not tried again: blocked without a fourth death. */
    run(sb, "segv.txt", "poison", &r);
    assert_int_equal(r.verdict, MG_BLOCKED);
    assert_int_equal(r.reason, MG_R_POISON);
    assert_int_equal(mg_sandbox_worker_deaths(sb), 3);
    mg_sandbox_result_clear(&r);
    /* "In a row": a success resets the count of another input. */
    run(sb, "segv.txt", "other", &r);
    assert_int_equal(r.verdict, MG_TEMPFAIL);
    mg_sandbox_result_clear(&r);
    mg_sandbox_free(sb);
    mg_engine_free(e);
}

/* The counts survive a restart (a new pool over the same quarantine): an
 * MTA retrying a poison message after mugai restarted still meets the
 * block at the Nth kill. Expired and malformed lines are ignored. */
static void test_poison_survives_restart(void **state)
{
    (void)state;
    struct mg_sandbox_result r;
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 1\npoison-after = 3\n");
    struct mg_sandbox *sb = pool(e);
    for (int i = 1; i <= 2; i++) {
        run(sb, "segv.txt", "restart-poison", &r);
        assert_int_equal(r.verdict, MG_TEMPFAIL);
        mg_sandbox_result_clear(&r);
    }
    mg_sandbox_free(sb);
    mg_engine_free(e);
    char *path = g_strdup_printf("%s/q/poison-counts", tmp);
    gchar *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    gchar *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "restart-poison", -1);
    gchar *want = g_strdup_printf("%s 2 ", sha);
    assert_non_null(strstr(text, want));
    g_free(want);
    g_free(text);
    /* An expired count of another input (8 days old), and garbage lines. */
    gchar *old_sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "expired-poison", -1);
    gchar *extra = g_strdup_printf("%s 2 %lld\nnot a line\n%s 99 x\n", old_sha,
                                   (long long)time(NULL) - 8 * 24 * 3600, sha);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(extra, f);
    fclose(f);
    g_free(extra);

    e = engine_with("mode = seccomp\nworkers = 1\npoison-after = 3\n");
    sb = pool(e);
    run(sb, "segv.txt", "restart-poison", &r);
    assert_int_equal(r.verdict, MG_BLOCKED);
    assert_int_equal(r.reason, MG_R_POISON);
    mg_sandbox_result_clear(&r);
    run(sb, "segv.txt", "expired-poison", &r);
    assert_int_equal(r.verdict, MG_TEMPFAIL);
    mg_sandbox_result_clear(&r);
    mg_sandbox_free(sb);
    mg_engine_free(e);
    /* A success ends the count: it is gone from the file too. */
    e = engine_with("mode = seccomp\nworkers = 1\npoison-after = 3\n");
    sb = pool(e);
    run(sb, "ok.txt", "expired-poison", &r);
    assert_int_equal(r.verdict, MG_CLEAN);
    mg_sandbox_result_clear(&r);
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    assert_null(strstr(text, old_sha));
    assert_non_null(strstr(text, sha));
    g_free(text);
    mg_sandbox_free(sb);
    mg_engine_free(e);
    g_free(old_sha);
    g_free(sha);
    g_free(path);
}

/* Transforms (Content-Encoding decoding, archive decryption) run in a
 * worker: a gzip body decoding to 3 MiB comes back through a memfd, the
 * decoded-size bound holds, garbage for the decryption is a status and no
 * output, and mode = off gives the same answers in-process. */
static void test_transform(void **state)
{
    (void)state;
    size_t n = 3u << 20;
    uint8_t *plain = g_malloc(n);
    for (size_t i = 0; i < n; i++)
        plain[i] = (uint8_t)("abcdefgh\n"[i % 9]);
    char *gz = g_build_filename(tmp, "t.gz", NULL);
    char *raw = g_build_filename(tmp, "t.raw", NULL);
    assert_true(g_file_set_contents(raw, (const char *)plain, (gssize)n, NULL));
    char *cmd = g_strdup_printf("gzip -c '%s' > '%s'", raw, gz);
    assert_int_equal(system(cmd), 0);
    gchar *z = NULL;
    gsize zlen = 0;
    assert_true(g_file_get_contents(gz, &z, &zlen, NULL));
    for (int off = 0; off <= 1; off++) {
        struct mg_engine *e = engine_with(off ? "mode = off\n" : "mode = seccomp\nworkers = 1\n");
        struct mg_sandbox *sb = pool(e);
        struct mg_sandbox_xresult x;
        assert_true(mg_sandbox_transform(sb, MG_XFORM_HTTP_DECODE, "gzip", (const uint8_t *)z, zlen, 1u << 30, &x));
        assert_int_equal(x.status, 0);
        assert_int_equal(x.out_len, n);
        assert_memory_equal(x.out, plain, n);
        mg_sandbox_xresult_clear(&x);
        /* The bound: 1 MiB asked for, more decoded: status OVER (3), no output. */
        assert_true(mg_sandbox_transform(sb, MG_XFORM_HTTP_DECODE, "gzip", (const uint8_t *)z, zlen, 1u << 20, &x));
        assert_int_equal(x.status, 3);
        assert_null(x.out);
        mg_sandbox_xresult_clear(&x);
        assert_true(mg_sandbox_transform(sb, MG_XFORM_ARCHIVE_DECRYPT, "pw", (const uint8_t *)"PK\3\4garbage", 11,
                                         1u << 20, &x));
        assert_int_not_equal(x.status, 0);
        assert_null(x.out);
        mg_sandbox_xresult_clear(&x);
        assert_int_equal(mg_sandbox_worker_deaths(sb), 0);
        mg_sandbox_free(sb);
        mg_engine_free(e);
    }
    g_free(z);
    g_free(cmd);
    g_free(gz);
    g_free(raw);
    g_free(plain);
}

/* A transform whose worker is gone (killed before the request arrives):
 * a worker failure (status -1, named), the worker replaced, counted
 * towards poison like a job: the third failure in a row is poison and the
 * fourth request is refused without a worker. */
static void test_transform_worker_dies(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 1\npoison-after = 3\n");
    struct mg_sandbox *sb = pool(e);
    static const uint8_t z[] = "not really gzip";
    struct mg_sandbox_xresult x;
    for (int i = 1; i <= 3; i++) {
        pid_t pid = 0;
        assert_int_equal(mg_sandbox_worker_pids(sb, &pid, 1), 1);
        assert_int_equal(kill(pid, SIGKILL), 0);
        usleep(100 * 1000);
        assert_false(mg_sandbox_transform(sb, MG_XFORM_HTTP_DECODE, "gzip", z, sizeof(z), 1u << 20, &x));
        assert_int_equal(x.status, -1);
        assert_non_null(x.worker_failure);
        assert_non_null(strstr(x.worker_failure, "SIGKILL"));
        assert_true(x.poison == (i == 3));
        assert_null(x.out);
        mg_sandbox_xresult_clear(&x);
    }
    assert_int_equal(mg_sandbox_worker_deaths(sb), 3);
    assert_false(mg_sandbox_transform(sb, MG_XFORM_HTTP_DECODE, "gzip", z, sizeof(z), 1u << 20, &x));
    assert_true(x.poison);
    assert_int_equal(mg_sandbox_worker_deaths(sb), 3);
    mg_sandbox_xresult_clear(&x);
    /* The replacement worker serves other input. */
    assert_true(mg_sandbox_transform(sb, MG_XFORM_HTTP_DECODE, "identity", z, sizeof(z), 1u << 20, &x));
    assert_int_equal(x.status, 0);
    assert_int_equal(x.out_len, sizeof(z));
    mg_sandbox_xresult_clear(&x);
    mg_sandbox_free(sb);
    mg_engine_free(e);
}

struct bg {
    struct mg_sandbox *sb;
    struct mg_sandbox_result r;
};

static void *bg_run(void *p)
{
    struct bg *b = p;
    run(b->sb, "hang.txt", "hang-kill", &b->r);
    return NULL;
}

static void test_sigkill_mid_job(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 1\ntimeout = 60s\n");
    struct mg_sandbox *sb = pool(e);
    pid_t pid[4];
    assert_int_equal(mg_sandbox_worker_pids(sb, pid, 4), 1);
    struct bg b = { .sb = sb };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, bg_run, &b), 0);
    struct timespec ts = { 0, 300 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    assert_int_equal(kill(pid[0], SIGKILL), 0);
    pthread_join(t, NULL);
    assert_int_equal(b.r.verdict, MG_TEMPFAIL);
    assert_non_null(strstr(b.r.worker_failure, "SIGKILL"));
    mg_sandbox_result_clear(&b.r);
    pid_t now[4];
    assert_int_equal(mg_sandbox_worker_pids(sb, now, 4), 1);
    assert_true(now[0] != pid[0]);
    struct mg_sandbox_result r;
    run(sb, "ok.txt", "after the kill\n", &r);
    assert_int_equal(r.verdict, MG_CLEAN);
    mg_sandbox_result_clear(&r);
    mg_sandbox_free(sb);
    mg_engine_free(e);
}

static void test_timeout(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("mode = rlimits-only\nworkers = 1\ntimeout = 1s\n");
    struct mg_sandbox *sb = pool(e);
    struct mg_sandbox_result r;
    time_t t0 = time(NULL);
    run(sb, "hang.txt", "hang-timeout", &r);
    assert_true(time(NULL) - t0 <= 5);
    assert_int_equal(r.verdict, MG_TEMPFAIL);
    assert_non_null(strstr(r.worker_failure, "timed out"));
    mg_sandbox_result_clear(&r);
    run(sb, "ok.txt", "after the timeout\n", &r);
    assert_int_equal(r.verdict, MG_CLEAN);
    mg_sandbox_result_clear(&r);
    mg_sandbox_free(sb);
    mg_engine_free(e);
}

/* A worker that cannot be replaced (here: its tmpdir vanished) leaves a
 * dead slot: jobs fail at once (TEMPFAIL), never wait for ever, and the
 * slot is started again once that is possible. */
static void test_dead_slot_retried(void **state)
{
    (void)state;
    char *sub = g_build_filename(tmp, "sub", NULL);
    assert_int_equal(g_mkdir_with_parents(sub, 0755), 0);
    char *extra = g_strdup_printf("mode = seccomp\nworkers = 1\n[general]\ntmpdir = %s\n", sub);
    struct mg_engine *e = engine_with(extra);
    struct mg_sandbox *sb = pool(e);
    char *cmd = g_strdup_printf("rm -rf '%s'", sub);
    assert_int_equal(system(cmd), 0);
    struct mg_sandbox_result r;
    run(sb, "segv.txt", "dead-slot", &r);
    assert_int_equal(r.verdict, MG_TEMPFAIL);
    mg_sandbox_result_clear(&r);
    time_t t0 = time(NULL);
    run(sb, "ok.txt", "no worker\n", &r);
    assert_true(time(NULL) - t0 <= 5);
    assert_int_equal(r.verdict, MG_TEMPFAIL);
    assert_non_null(strstr(r.worker_failure, "no sandbox worker"));
    mg_sandbox_result_clear(&r);
    assert_int_equal(g_mkdir_with_parents(sub, 0755), 0);
    run(sb, "ok.txt", "worker again\n", &r);
    assert_int_equal(r.verdict, MG_CLEAN);
    mg_sandbox_result_clear(&r);
    mg_sandbox_free(sb);
    mg_engine_free(e);
    g_free(cmd);
    g_free(extra);
    g_free(sub);
}

/* The audit lines rendered in a worker (the job line and one line per item)
 * join the front end's hash chain, with a front end's own members (SMTP's
 * envelope) in the job line. */
static void test_audit_chain(void **state)
{
    (void)state;
    char *audit = g_build_filename(tmp, "audit.log", NULL);
    char *extra = g_strdup_printf("mode = seccomp\nworkers = 1\n[general]\naudit = %s\n", audit);
    struct mg_engine *e = engine_with(extra);
    struct mg_sandbox *sb = pool(e);
    struct mg_sandbox_result a, b;
    run(sb, "a.txt", "first\n", &a);
    run(sb, "b.txt", "second\n", &b);
    assert_true(mg_sandbox_audit(sb, &a, NULL));
    assert_true(mg_sandbox_audit(sb, &b, "\"smtp\":{\"from\":\"a@example.jp\"}"));
    gchar *text = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(audit, &text, &len, NULL));
    size_t lines = 0;
    assert_int_equal(mg_audit_verify((const uint8_t *)text, len, &lines), 0);
    assert_int_equal(lines, 4); /* job a, its item, job b, its item */
    gchar **l = g_strsplit(text, "\n", -1);
    assert_non_null(strstr(l[0], "\"type\":\"job\"") && strstr(l[0], a.job_id) ? l[0] : NULL);
    assert_non_null(strstr(l[1], "\"type\":\"item\"") && strstr(l[1], "a.txt") ? l[1] : NULL);
    assert_non_null(strstr(l[2], "\"smtp\":{\"from\":\"a@example.jp\"}"));
    assert_non_null(strstr(l[2], b.job_id));
    assert_non_null(strstr(l[3], "\"type\":\"item\"") && strstr(l[3], "b.txt") ? l[3] : NULL);
    assert_null(strstr(l[3], "smtp"));
    g_strfreev(l);
    g_free(text);
    mg_sandbox_result_clear(&a);
    mg_sandbox_result_clear(&b);
    mg_sandbox_free(sb);
    mg_engine_free(e);
    g_free(extra);
    g_free(audit);
}

static void test_garbled_worker(void **state)
{
    (void)state;
    struct mg_engine *e = engine_with("mode = seccomp\nworkers = 1\ntimeout = 30s\n");
    struct mg_sandbox *sb = pool(e);
    static const char *const names[] = { "huge.txt", "nonsense.txt" };
    for (int i = 0; i < 2; i++) {
        struct mg_sandbox_result r;
        time_t t0 = time(NULL);
        run(sb, names[i], names[i], &r);
        assert_true(time(NULL) - t0 < 10);   /* refused at once, not at the timeout */
        assert_int_equal(r.verdict, MG_TEMPFAIL);
        assert_null(r.output);
        if (strstr(r.worker_failure, "sent a malformed or oversized result") == NULL)
            fail_msg("%s: %s", names[i], r.worker_failure);
        mg_sandbox_result_clear(&r);
    }
    struct mg_sandbox_result r;
    run(sb, "ok.txt", "after nonsense\n", &r);
    assert_int_equal(r.verdict, MG_CLEAN);
    mg_sandbox_result_clear(&r);
    mg_sandbox_free(sb);
    mg_engine_free(e);
}

static void test_bad_config(void **state)
{
    (void)state;
    char *conf = g_strdup_printf("[sandbox]\nmode = maybe\n");
    char *path = g_build_filename(tmp, "bad.conf", NULL);
    assert_true(g_file_set_contents(path, conf, -1, NULL));
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(path, &err);
    assert_non_null(pol);  /* choices are checked by the sandbox at start */
    struct mg_engine *e = mg_engine_new(pol, &err);
    assert_non_null(e);
    assert_null(mg_sandbox_new(e, &err));
    assert_non_null(strstr(err->message, "mode"));
    g_clear_error(&err);
    mg_engine_free(e);
    g_free(path);
    g_free(conf);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/mugai-test-sandbox-XXXXXX");
    if (g_mkdtemp_full(tmp, 0755) == NULL)
        return -1;
    mg_log_init("test", MG_LOG_STDERR, MG_LOG_WARN);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    int rc = system(cmd);
    g_free(cmd);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_job_matches_in_process),
        cmocka_unit_test(test_no_new_file),
        cmocka_unit_test(test_no_socket_exec_fork),
        cmocka_unit_test(test_poison_blocked_and_quarantined),
        cmocka_unit_test(test_poison_survives_restart),
        cmocka_unit_test(test_transform),
        cmocka_unit_test(test_transform_worker_dies),
        cmocka_unit_test(test_sigkill_mid_job),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_dead_slot_retried),
        cmocka_unit_test(test_audit_chain),
        cmocka_unit_test(test_garbled_worker),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
