/* The static list of sanitizers (sanitizers/registry.def). */
#ifndef MG_SANITIZERS_REGISTRY_H
#define MG_SANITIZERS_REGISTRY_H

#include <stddef.h>

#include "engine/contract.h"

const struct mg_sanitizer *const *mg_registry_all(size_t *n);
const struct mg_sanitizer *mg_registry_find(const struct mg_type *t, enum mg_class_action act);
const struct mg_sanitizer *mg_registry_by_name(const char *name);

#endif
