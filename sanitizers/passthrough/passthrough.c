/* The model sanitizer: accepts nothing by type (the engine never picks it for
 * real traffic), copies its input when asked by name. Tests use it to check
 * the contract; copy it to start a new format. */
#include "engine/contract.h"

static bool passthrough_accepts(const struct mg_type *t, enum mg_class_action act)
{
    (void)t;
    (void)act;
    return false;
}

static enum mg_verdict passthrough_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    (void)job;
    if (!mg_sink_write(out, in->data, in->len))
        return mg_item_tempfail(in, MG_R_RESOURCES, "write");
    return MG_SANITIZED;
}

const struct mg_sanitizer mg_sanitizer_passthrough = {
    .name = "passthrough",
    .version = "1",
    .accepts = passthrough_accepts,
    .run = passthrough_run,
};
