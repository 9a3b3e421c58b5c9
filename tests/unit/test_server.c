/* Unit tests for src/server: the worker pool (bounds, queue timeout), the
 * listener (per-IP cap with the busy reply, drain wakes idle sessions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/listener.h"
#include "server/workpool.h"

static atomic_int running, max_running, done;

static void slow_job(void *arg)
{
    int now = atomic_fetch_add(&running, 1) + 1;
    int m = atomic_load(&max_running);
    while (now > m && !atomic_compare_exchange_weak(&max_running, &m, now))
        ;
    usleep((useconds_t)(uintptr_t)arg);
    atomic_fetch_sub(&running, 1);
    atomic_fetch_add(&done, 1);
}

typedef bool (*run_fn)(struct mg_workpool *, mg_work_fn, void *, double);

struct runner {
    struct mg_workpool *p;
    run_fn run;        /* mg_workpool_run or mg_workpool_run_here */
    bool ok;
    useconds_t us;
};

static void *run_thread(void *a)
{
    struct runner *r = a;
    r->ok = r->run(r->p, slow_job, (void *)(uintptr_t)r->us, 5.0);
    return NULL;
}

/* Six 50 ms jobs through a pool of two: all run, never more than two. */
static void check_bounds(run_fn run)
{
    struct mg_workpool *p = mg_workpool_new(2);
    assert_non_null(p);
    assert_int_equal(mg_workpool_size(p), 2);
    pthread_t t[6];
    struct runner r[6];
    atomic_store(&running, 0);
    atomic_store(&max_running, 0);
    atomic_store(&done, 0);
    for (int i = 0; i < 6; i++) {
        r[i] = (struct runner){ .p = p, .run = run, .us = 50000 };
        assert_int_equal(pthread_create(&t[i], NULL, run_thread, &r[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        assert_true(r[i].ok);
    }
    assert_int_equal(atomic_load(&done), 6);
    assert_int_equal(atomic_load(&max_running), 2); /* never more than the pool */
    mg_workpool_free(p);
}

/* The only slot is busy for 0.4 s: a 0.1 s queue wait gives up and its job
 * never runs; a later call with time to wait runs. */
static void check_queue_timeout(run_fn run)
{
    struct mg_workpool *p = mg_workpool_new(1);
    assert_non_null(p);
    atomic_store(&done, 0);
    pthread_t t;
    struct runner busy = { .p = p, .run = run, .us = 400000 };
    assert_int_equal(pthread_create(&t, NULL, run_thread, &busy), 0);
    usleep(50000);
    assert_false(run(p, slow_job, (void *)(uintptr_t)1000, 0.1));
    pthread_join(t, NULL);
    assert_true(busy.ok);
    assert_int_equal(atomic_load(&done), 1);
    assert_true(run(p, slow_job, (void *)(uintptr_t)1000, 1.0));
    mg_workpool_free(p);
}

static void test_workpool_bounds(void **state)
{
    (void)state;
    check_bounds(mg_workpool_run);
    check_queue_timeout(mg_workpool_run);
}

static void test_workpool_run_here_bounds(void **state)
{
    (void)state;
    check_bounds(mg_workpool_run_here);
    check_queue_timeout(mg_workpool_run_here);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct greedy {
    struct mg_workpool *p;
    double until;
    int jobs;
};

/* Runs 1 ms jobs back to back: without hand-over in arrival order it takes
 * the slot again each time before a waiter wakes up. */
static void *greedy_thread(void *a)
{
    struct greedy *g = a;
    while (now_s() < g->until)
        if (mg_workpool_run_here(g->p, slow_job, (void *)(uintptr_t)1000, 5.0))
            g->jobs++;
    return NULL;
}

static void test_workpool_run_here_fifo(void **state)
{
    (void)state;
    struct mg_workpool *p = mg_workpool_new(1);
    assert_non_null(p);
    struct greedy g = { .p = p, .until = now_s() + 0.8 };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, greedy_thread, &g), 0);
    usleep(100000);
    double t0 = now_s();
    assert_true(mg_workpool_run_here(p, slow_job, (void *)(uintptr_t)1000, 3.0));
    double waited = now_s() - t0;
    pthread_join(t, NULL);
    assert_true(g.jobs > 10);
    /* In line behind at most one 1 ms job; the greedy caller holds the
     * slot for the rest of its 0.8 s otherwise. Generous for loaded CI. */
    assert_true(waited < 0.4);
    mg_workpool_free(p);
}

static atomic_int order_next;

struct ordered {
    struct mg_workpool *p;
    int ran_as;
    bool ok;
};

static void note_order(void *a)
{
    ((struct ordered *)a)->ran_as = atomic_fetch_add(&order_next, 1);
}

static void *ordered_thread(void *a)
{
    struct ordered *o = a;
    o->ok = mg_workpool_run_here(o->p, note_order, o, 5.0);
    return NULL;
}

/* Callers that had to wait get their slots in the order they came. */
static void test_workpool_run_here_order(void **state)
{
    (void)state;
    struct mg_workpool *p = mg_workpool_new(1);
    assert_non_null(p);
    pthread_t busy_t, t[6];
    struct runner busy = { .p = p, .run = mg_workpool_run_here, .us = 300000 };
    struct ordered o[6];
    atomic_store(&order_next, 0);
    assert_int_equal(pthread_create(&busy_t, NULL, run_thread, &busy), 0);
    usleep(20000);
    for (int i = 0; i < 6; i++) {
        o[i] = (struct ordered){ .p = p, .ran_as = -1 };
        assert_int_equal(pthread_create(&t[i], NULL, ordered_thread, &o[i]), 0);
        usleep(20000);   /* each one queued before the next arrives */
    }
    pthread_join(busy_t, NULL);
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        assert_true(o[i].ok);
        assert_int_equal(o[i].ran_as, i);
    }
    mg_workpool_free(p);
}

/* A session that waits for the drain event, then says bye. */
static void conn_fn(int fd, const struct mg_peer *peer, void *ud)
{
    (void)peer;
    struct mg_listener *l = *(struct mg_listener **)ud;
    struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = mg_listener_drain_fd(l), .events = POLLIN } };
    (void)poll(pf, 2, 5000);
    ssize_t w = send(fd, "bye\n", 4, MSG_NOSIGNAL);
    (void)w;
    close(fd);
}

static void busy_fn(int fd, const struct mg_peer *peer, bool per_ip, void *ud)
{
    (void)peer;
    (void)ud;
    ssize_t w = send(fd, per_ip ? "per-ip\n" : "busy\n", per_ip ? 7 : 5, MSG_NOSIGNAL);
    (void)w;
}

static int connect_to(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void read_line(int fd, char *buf, size_t n)
{
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&pf, 1, 3000), 1);
    ssize_t r = read(fd, buf, n - 1);
    assert_true(r > 0);
    buf[r] = '\0';
}

static void test_listener_caps_and_drain(void **state)
{
    (void)state;
    struct mg_listener_opts o = { .max_conns = 10, .max_per_ip = 2 };
    GError *err = NULL;
    struct mg_listener *l = mg_listener_new("127.0.0.1:0", &o, &err);
    assert_non_null(l);
    assert_true(mg_listener_port(l) > 0);
    assert_true(mg_listener_start(l, conn_fn, busy_fn, &l, &err));
    int a = connect_to(mg_listener_port(l));
    int b = connect_to(mg_listener_port(l));
    for (int i = 0; i < 50 && mg_listener_active(l) < 2; i++)
        usleep(10000);
    assert_int_equal(mg_listener_active(l), 2);
    int c = connect_to(mg_listener_port(l));
    char buf[32];
    read_line(c, buf, sizeof(buf));
    assert_string_equal(buf, "per-ip\n");
    close(c);
    /* Drain: the idle sessions see the event and leave before the deadline. */
    double t0 = mg_server_now();
    assert_int_equal(mg_listener_drain(l, t0 + 3.0, 1.0), 0);
    assert_true(mg_server_now() - t0 < 2.0);
    read_line(a, buf, sizeof(buf));
    assert_string_equal(buf, "bye\n");
    close(a);
    close(b);
    mg_listener_free(l);
}

static void test_hostport(void **state)
{
    (void)state;
    char h[64];
    unsigned p;
    assert_true(mg_server_split_hostport("127.0.0.1:25", h, sizeof(h), &p));
    assert_string_equal(h, "127.0.0.1");
    assert_int_equal(p, 25);
    assert_true(mg_server_split_hostport("[::1]:10025", h, sizeof(h), &p));
    assert_string_equal(h, "::1");
    assert_false(mg_server_split_hostport("::1:25x", h, sizeof(h), &p));
    assert_false(mg_server_split_hostport("host", h, sizeof(h), &p));
    assert_false(mg_server_split_hostport("host:70000", h, sizeof(h), &p));
    assert_false(mg_server_split_hostport(":25", h, sizeof(h), &p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workpool_bounds),
        cmocka_unit_test(test_workpool_run_here_bounds),
        cmocka_unit_test(test_workpool_run_here_fifo),
        cmocka_unit_test(test_workpool_run_here_order),
        cmocka_unit_test(test_listener_caps_and_drain),
        cmocka_unit_test(test_hostport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
