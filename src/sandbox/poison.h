/* Persistent counts of the workers each input (by SHA-256) killed in a
 * row (poison.c). Not thread-safe: the pool calls it under its lock. */
#ifndef MG_SANDBOX_POISON_H
#define MG_SANDBOX_POISON_H

#include <stdbool.h>
#include <stdint.h>

#define MG_POISON_FILE "poison-counts"
#define MG_POISON_EXPIRE (7 * 24 * 3600)   /* seconds since the last kill */
#define MG_POISON_MAX_ENTRIES 4096u
#define MG_POISON_MAX_FILE (1u << 20)       /* a larger file is ignored */

struct mg_poison;

/* dir: where the state file lives (the quarantine folder); NULL or "":
 * in memory only. Never fails: an unreadable file is logged and ignored. */
struct mg_poison *mg_poison_open(const char *dir);
void mg_poison_free(struct mg_poison *p);
/* Whether any input has a count (the pool hashes inputs only then). */
bool mg_poison_any(const struct mg_poison *p);
/* Kills in a row so far (0: none, or expired; sha NULL: 0). */
uint64_t mg_poison_count(struct mg_poison *p, const char *sha);
/* One more kill; returns the new count (the file's count included). */
uint64_t mg_poison_killed(struct mg_poison *p, const char *sha);
/* The input was served: its count ends (sha NULL: nothing to do). */
void mg_poison_forget(struct mg_poison *p, const char *sha);

#endif
