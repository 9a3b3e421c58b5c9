/* The metrics registry and the /metrics responder: bucket placement,
 * cumulative rendering, job counters, HTTP status by request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"
#include "server/metrics_http.h"

static char *render(void)
{
    struct mg_buf b;
    mg_buf_init(&b);
    mg_metrics_render(NULL, &b);
    assert_false(mg_buf_failed(&b));
    size_t len;
    char *s = (char *)mg_buf_steal(&b, &len);
    return s;
}

static void test_histogram(void **state)
{
    (void)state;
    mg_metrics_reset();
    mg_metrics_observe(MG_STAGE_SANITIZE, 0.003);  /* <= 0.005 */
    mg_metrics_observe(MG_STAGE_SANITIZE, 0.005);  /* le is inclusive */
    mg_metrics_observe(MG_STAGE_SANITIZE, 0.007);  /* <= 0.01 */
    mg_metrics_observe(MG_STAGE_SANITIZE, 500.0);  /* only +Inf */
    mg_metrics_observe(MG_STAGE_SANITIZE, -1.0);   /* ignored */
    mg_metrics_observe(MG_STAGE_RELAY, 1.0);
    char *s = render();
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_bucket{stage=\"sanitize\",le=\"0.005\"} 2\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_bucket{stage=\"sanitize\",le=\"0.01\"} 3\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_bucket{stage=\"sanitize\",le=\"120\"} 3\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_bucket{stage=\"sanitize\",le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_count{stage=\"sanitize\"} 4\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_sum{stage=\"sanitize\"} 500.015000\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_bucket{stage=\"relay\",le=\"0.5\"} 0\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_bucket{stage=\"relay\",le=\"1\"} 1\n"));
    assert_non_null(strstr(s, "mugai_stage_duration_seconds_count{stage=\"receive\"} 0\n"));
    g_free(s);
}

static void test_counters(void **state)
{
    (void)state;
    mg_metrics_reset();
    mg_metrics_job(MG_TC_PDF, MG_SANITIZED, 100, 80);
    mg_metrics_job(MG_TC_PDF, MG_SANITIZED, 10, 8);
    mg_metrics_job(MG_TC_EXECUTABLE, MG_BLOCKED, 5, 0);
    mg_metrics_job((enum mg_type_class)999, (enum mg_verdict)42, 1, 0); /* clamped, not out of bounds */
    mg_metrics_queue(1);
    mg_metrics_queue(1);
    mg_metrics_queue(-1);
    mg_metrics_next_hop_error();
    char *s = render();
    assert_non_null(strstr(s, "mugai_jobs_total{type=\"pdf\",verdict=\"sanitized\"} 2\n"));
    assert_non_null(strstr(s, "mugai_jobs_total{type=\"executable\",verdict=\"blocked\"} 1\n"));
    assert_non_null(strstr(s, "mugai_jobs_total{type=\"unknown\",verdict=\"tempfail\"} 1\n"));
    assert_non_null(strstr(s, "mugai_bytes_in_total 116\n"));
    assert_non_null(strstr(s, "mugai_bytes_out_total 88\n"));
    assert_non_null(strstr(s, "mugai_queue_depth 1\n"));
    assert_non_null(strstr(s, "mugai_next_hop_errors_total 1\n"));
    assert_non_null(strstr(s, "mugai_worker_restarts_total 0\n"));
    assert_non_null(strstr(s, "mugai_signature_db_system 0\n"));
    assert_null(strstr(s, "mugai_signature_db_age_seconds "));
    g_free(s);
}

static void respond(const char *req, const char *status_line)
{
    struct mg_buf b;
    mg_buf_init(&b);
    mg_metrics_http_respond(req, strlen(req), NULL, &b);
    const char *s = mg_buf_cstr(&b);
    assert_int_equal(strncmp(s, status_line, strlen(status_line)), 0);
    /* Content-Length matches the body. */
    const char *cl = strstr(s, "Content-Length: ");
    const char *body = strstr(s, "\r\n\r\n");
    assert_non_null(cl);
    assert_non_null(body);
    assert_int_equal(strtoul(cl + 16, NULL, 10), strlen(body + 4));
    mg_buf_free(&b);
}

static void test_http(void **state)
{
    (void)state;
    respond("GET /metrics HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n");
    respond("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.0 200 OK\r\n");
    respond("GET /metricsX HTTP/1.0\r\n\r\n", "HTTP/1.0 404 ");
    respond("GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 404 ");
    respond("POST /metrics HTTP/1.0\r\n\r\n", "HTTP/1.0 405 ");
    respond("garbage", "HTTP/1.0 405 ");
    respond("GET ", "HTTP/1.0 404 ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
