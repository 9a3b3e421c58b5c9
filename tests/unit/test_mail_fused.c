/* The mail walker decodes base64 and quoted-printable leaves with our
 * decoders and scans each decoded block while it is in cache; the engine
 * takes those hits instead of scanning the leaf again (issue 10, "feeding
 * straight from the base64/QP decoders"). These tests put an indicator at
 * every offset across the decoder's 4 KiB input blocks and check that the
 * attachment item's input hits name it, and that the engine really uses the
 * hits it is given (so the ones seen came from the fused scan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "engine/contract.h"
#include "engine/engine.h"
#include "engine/policy.h"

static struct mg_engine *eng;

static int setup(void **state)
{
    (void)state;
    char path[] = "/tmp/mg-fused-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char conf[] = "[clamav]\nmode = off\n";
    assert_int_equal(write(fd, conf, sizeof conf - 1), (ssize_t)(sizeof conf - 1));
    close(fd);
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(path, &err);
    unlink(path);
    assert_non_null(pol);
    mg_log_init("test-mail-fused", pol->log_dest, MG_LOG_ERROR);
    eng = mg_engine_new(pol, &err);
    assert_non_null(eng);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mg_engine_free(eng);
    return 0;
}

static bool hits_name(const struct mg_ind_hits *h, const char *name)
{
    const struct mg_indicator_set *set = mg_engine_indicators(eng);
    for (uint32_t i = 0; i < h->count && i < 64; i++) {
        const struct mg_indicator *ind = mg_indicators_get(set, h->ids[i]);
        if (ind && strcmp(ind->name, name) == 0)
            return true;
    }
    return false;
}

static void b64_lines(const uint8_t *p, size_t n, struct mg_buf *out)
{
    for (size_t i = 0; i < n; i += 57) {
        gchar *e = g_base64_encode(p + i, n - i < 57 ? n - i : 57);
        mg_buf_puts(out, e);
        mg_buf_puts(out, "\r\n");
        g_free(e);
    }
}

/* Soft breaks every 72 characters; '=', line feeds and a final blank
 * escaped, as a mailer writes binary-exact QP. */
static void qp_lines(const uint8_t *p, size_t n, struct mg_buf *out)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        if (col >= 72) {
            mg_buf_puts(out, "=\r\n");
            col = 0;
        }
        if (p[i] == '=' || p[i] == '\n' || (p[i] == ' ' && i + 1 == n)) {
            mg_buf_printf(out, "=%02X", p[i]);   /* a trailing blank would be padding */
            col += 3;
        } else {
            mg_buf_putc(out, p[i]);
            col++;
        }
    }
    mg_buf_puts(out, "\r\n");
}

/* Runs a message whose attachment notes.txt carries `needle` at decoded
 * offset k; returns whether the attachment's input hits name `ind`. */
static bool run_one(bool qp, size_t k, const char *needle, const char *ind)
{
    size_t n = k + strlen(needle) + 5000;
    uint8_t *pl = malloc(n);
    assert_non_null(pl);
    for (size_t i = 0; i < n; i++)
        pl[i] = (uint8_t)("abcdefgh ijklmnop=qrstuvwxyz\n"[i % 29]);
    memcpy(pl + k, needle, strlen(needle));
    struct mg_buf m;
    mg_buf_init(&m);
    mg_buf_printf(&m, "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n"
                      "--bb\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n"
                      "--bb\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
                      "Content-Disposition: attachment; filename=\"notes.txt\"\r\n"
                      "Content-Transfer-Encoding: %s\r\n\r\n", qp ? "quoted-printable" : "base64");
    if (qp)
        qp_lines(pl, n, &m);
    else
        b64_lines(pl, n, &m);
    mg_buf_puts(&m, "--bb--\r\n");
    assert_false(mg_buf_failed(&m));
    struct mg_job *job = mg_job_new(eng, NULL);
    struct mg_item *r = mg_job_run(job, "m.eml", m.data, m.len, MG_TC_MAIL);
    const struct mg_item *att = NULL;
    for (size_t i = 0; i < r->n_children; i++)
        if (strcmp(r->children[i]->name, "notes.txt") == 0)
            att = r->children[i];
    if (att == NULL)
        fail_msg("no item notes.txt");
    assert_int_equal(att->len, n);   /* decoded exactly */
    assert_memory_equal(att->data, pl, n);
    bool found = hits_name(&att->ind_before, ind);
    mg_job_free(job);
    mg_buf_free(&m);
    free(pl);
    return found;
}

static void test_base64_block_edges(void **state)
{
    (void)state;
    /* 4096 input bytes are 52 lines of 78 plus 40 characters: 2994 decoded
     * bytes; the next edge is near 5988. Every offset around both. */
    for (size_t k = 2975; k <= 3000; k++)
        assert_true(run_one(false, k, "javascript:", "html-javascript-url"));
    for (size_t k = 5970; k <= 5995; k++)
        assert_true(run_one(false, k, "javascript:", "html-javascript-url"));
}

static void test_qp_block_edges(void **state)
{
    (void)state;
    /* With this payload's escapes and soft breaks, 4096 input bytes decode
     * to 3458 bytes, the next 4096 to 3460: every offset around both edges. */
    for (size_t k = 3440; k <= 3470; k++)
        assert_true(run_one(true, k, "javascript:", "html-javascript-url"));
    for (size_t k = 6900; k <= 6925; k++)
        assert_true(run_one(true, k, "javascript:", "html-javascript-url"));
}

/* The engine takes the caller's hits: given none for bytes that hold an
 * indicator, it reports none (it did not scan again); without them it scans. */
static void test_engine_uses_given_hits(void **state)
{
    (void)state;
    static const char mail[] = "From: a@example.jp\r\nSubject: t\r\n\r\nhello\r\n";
    static const char data[] = "see javascript:alert(1) here\n";
    struct mg_job *job = mg_job_new(eng, NULL);
    struct mg_item *r = mg_job_run(job, "m.eml", (const uint8_t *)mail, sizeof mail - 1, MG_TC_MAIL);
    struct mg_ind_hits none;
    mg_ind_hits_init(&none);
    struct mg_item *a = mg_job_child_scanned(job, r, "a.txt", (const uint8_t *)data, sizeof data - 1,
                                             MG_TC_UNKNOWN, &none, 0);
    struct mg_item *b = mg_job_child_typed(job, r, "b.txt", (const uint8_t *)data, sizeof data - 1,
                                           MG_TC_UNKNOWN);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->ind_before.count, 0);
    assert_true(hits_name(&b->ind_before, "html-javascript-url"));
    mg_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_uses_given_hits),
        cmocka_unit_test(test_base64_block_edges),
        cmocka_unit_test(test_qp_block_edges),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
