#include "server/jobslots.h"

#include <errno.h>
#include <math.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct mg_jobslots {
    sem_t sem;
    unsigned n;
};

struct mg_jobslots *mg_jobslots_new(unsigned n)
{
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 && c < 1024 ? (unsigned)c : 2;
    }
    struct mg_jobslots *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (sem_init(&s->sem, 0, n) != 0) {
        free(s);
        return NULL;
    }
    s->n = n;
    return s;
}

unsigned mg_jobslots_size(const struct mg_jobslots *s) { return s->n; }

bool mg_jobslots_acquire(struct mg_jobslots *s, double timeout)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double whole = floor(timeout);
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((timeout - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    for (;;) {
        if (sem_timedwait(&s->sem, &ts) == 0)
            return true;
        if (errno != EINTR)
            return false;
    }
}

void mg_jobslots_release(struct mg_jobslots *s) { sem_post(&s->sem); }

void mg_jobslots_free(struct mg_jobslots *s)
{
    if (!s)
        return;
    sem_destroy(&s->sem);
    free(s);
}
