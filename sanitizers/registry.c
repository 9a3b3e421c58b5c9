#include "sanitizers/registry.h"

#include <string.h>

#include "mg_config.h"

#define MG_SANITIZER(n) extern const struct mg_sanitizer mg_sanitizer_##n;
#include "sanitizers/registry.def"
#undef MG_SANITIZER

static const struct mg_sanitizer *const registry[] = {
#define MG_SANITIZER(n) &mg_sanitizer_##n,
#include "sanitizers/registry.def"
#undef MG_SANITIZER
};

const struct mg_sanitizer *const *mg_registry_all(size_t *n)
{
    *n = sizeof(registry) / sizeof(registry[0]);
    return registry;
}

const struct mg_sanitizer *mg_registry_find(const struct mg_type *t, enum mg_class_action act)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
        if (registry[i]->accepts(t, act))
            return registry[i];
    }
    return NULL;
}

const struct mg_sanitizer *mg_registry_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    }
    return NULL;
}
