#include "server/workpool.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum work_state { W_QUEUED, W_RUNNING, W_DONE };

struct work {
    mg_work_fn fn;
    void *arg;
    enum work_state state;
    pthread_cond_t done;
    struct work *next;
};

/* A caller of mg_workpool_run_here waiting for a slot. Slots are handed
 * over in arrival order: a caller that leaves gives its slot to the oldest
 * waiter instead of freeing it, so a session cannot be overtaken by later
 * ones (or by one that runs short jobs back to back) until its queue
 * deadline passes. */
struct here_waiter {
    pthread_cond_t granted_cv;
    bool granted;
    struct here_waiter *next;
};

struct mg_workpool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    unsigned here;                /* slots held by mg_workpool_run_here callers */
    struct here_waiter *wait_head, *wait_tail;
    struct work *head, *tail;
    bool stopping;
    unsigned n;
    pthread_t *threads;
};

static void *worker_main(void *p)
{
    struct mg_workpool *pool = p;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->stopping)
            pthread_cond_wait(&pool->wake, &pool->lock);
        if (!pool->head)
            break; /* stopping and nothing left */
        struct work *w = pool->head;
        pool->head = w->next;
        if (!pool->head)
            pool->tail = NULL;
        w->state = W_RUNNING;
        pthread_mutex_unlock(&pool->lock);
        w->fn(w->arg);
        pthread_mutex_lock(&pool->lock);
        w->state = W_DONE;
        pthread_cond_signal(&w->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

struct mg_workpool *mg_workpool_new(unsigned n)
{
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 && c < 1024 ? (unsigned)c : 2;
    }
    struct mg_workpool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->threads = calloc(n, sizeof(*p->threads));
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    /* Engine jobs recurse through containers: give them a generous stack. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 8u << 20);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], &attr, worker_main, p) != 0)
            break;
        p->n++;
    }
    pthread_attr_destroy(&attr);
    if (p->n == 0) {
        mg_workpool_free(p);
        return NULL;
    }
    return p;
}

unsigned mg_workpool_size(const struct mg_workpool *p) { return p->n; }

static struct timespec deadline_in(double s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double whole = floor(s);
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((s - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

bool mg_workpool_run(struct mg_workpool *p, mg_work_fn fn, void *arg, double queue_timeout)
{
    struct work w = { .fn = fn, .arg = arg, .state = W_QUEUED };
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w.done, &ca);
    pthread_condattr_destroy(&ca);
    struct timespec dl = deadline_in(queue_timeout);
    bool ran = true;
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        pthread_cond_destroy(&w.done);
        return false;
    }
    if (p->tail)
        p->tail->next = &w;
    else
        p->head = &w;
    p->tail = &w;
    pthread_cond_signal(&p->wake);
    while (w.state != W_DONE) {
        if (w.state == W_QUEUED) {
            if (pthread_cond_timedwait(&w.done, &p->lock, &dl) == ETIMEDOUT && w.state == W_QUEUED) {
                /* Nobody took it in time: unlink it and report. */
                struct work **pp = &p->head;
                struct work *prev = NULL;
                while (*pp && *pp != &w) {
                    prev = *pp;
                    pp = &(*pp)->next;
                }
                if (*pp)
                    *pp = w.next;
                if (p->tail == &w)
                    p->tail = prev;
                ran = false;
                break;
            }
        } else {
            pthread_cond_wait(&w.done, &p->lock);
        }
    }
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&w.done);
    return ran;
}

static void unlink_waiter(struct mg_workpool *p, struct here_waiter *w)
{
    struct here_waiter **pp = &p->wait_head, *prev = NULL;
    while (*pp && *pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = w->next;
    if (p->wait_tail == w)
        p->wait_tail = prev;
}

/* Waits in line for a slot; true when one was handed over. */
static bool wait_for_slot(struct mg_workpool *p, double queue_timeout)
{
    struct here_waiter w = { .granted = false };
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w.granted_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (p->wait_tail)
        p->wait_tail->next = &w;
    else
        p->wait_head = &w;
    p->wait_tail = &w;
    struct timespec dl = deadline_in(queue_timeout);
    while (!w.granted && !p->stopping)
        if (pthread_cond_timedwait(&w.granted_cv, &p->lock, &dl) == ETIMEDOUT)
            break;
    if (!w.granted)
        unlink_waiter(p, &w);   /* a granted waiter was unlinked by the giver */
    pthread_cond_destroy(&w.granted_cv);
    return w.granted;
}

bool mg_workpool_run_here(struct mg_workpool *p, mg_work_fn fn, void *arg, double queue_timeout)
{
    pthread_mutex_lock(&p->lock);
    bool got;
    if (p->stopping)
        got = false;
    else if (p->here < p->n && p->wait_head == NULL) {
        p->here++;
        got = true;
    } else
        got = wait_for_slot(p, queue_timeout);
    pthread_mutex_unlock(&p->lock);
    if (!got)
        return false;
    fn(arg);
    pthread_mutex_lock(&p->lock);
    struct here_waiter *next = p->wait_head;
    if (next != NULL) {
        /* Hand the slot over: p->here stays as it is. */
        p->wait_head = next->next;
        if (p->wait_head == NULL)
            p->wait_tail = NULL;
        next->granted = true;
        pthread_cond_signal(&next->granted_cv);
    } else {
        p->here--;
    }
    pthread_mutex_unlock(&p->lock);
    return true;
}

void mg_workpool_free(struct mg_workpool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    for (struct here_waiter *w = p->wait_head; w != NULL; w = w->next)
        pthread_cond_signal(&w->granted_cv);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
