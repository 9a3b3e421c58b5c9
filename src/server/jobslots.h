/* A bound on how many engine jobs run at once (CPU-heavy work), however many
 * sessions are open: a counting semaphore with a deadline. A session waiting
 * for a slot waits only for its own message; others keep talking. */
#ifndef MG_SERVER_JOBSLOTS_H
#define MG_SERVER_JOBSLOTS_H

#include <stdbool.h>

struct mg_jobslots;

/* n = 0: number of online CPUs. */
struct mg_jobslots *mg_jobslots_new(unsigned n);
unsigned mg_jobslots_size(const struct mg_jobslots *s);
/* Waits at most timeout seconds; false on timeout. */
bool mg_jobslots_acquire(struct mg_jobslots *s, double timeout);
void mg_jobslots_release(struct mg_jobslots *s);
void mg_jobslots_free(struct mg_jobslots *s);

#endif
