/* Quarantine: the original of every job with removed or blocked content,
 * kept under its job id so that an administrator can release it. Written
 * atomically (temporary name, fsync, rename, fsync of the folder) so that a
 * crash never leaves half a record. */
#ifndef MG_ENGINE_QUARANTINE_H
#define MG_ENGINE_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Stores data as the original of job, with meta (a JSON object text, may be
 * NULL) merged into the record next to the job's report. False (logged)
 * when it could not be stored durably. */
bool mg_quarantine_store(const struct mg_policy *pol, const struct mg_job *job,
                         const uint8_t *data, size_t len, const char *meta_json);

#endif
