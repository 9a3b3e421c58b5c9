/* The `ooxml` sanitizer: the engine side of ooxml_pkg.c. Reads the policy
 * ([limits] and [ooxml]), forwards actions to the item, renames
 * macro-enabled files to their macro-free twins. */
#include <glib.h>

#include "core/config.h"
#include "core/log.h"
#include "engine/contract.h"
#include "sanitizers/ooxml/ooxml_pkg.h"
#include "sanitizers/ooxml/ooxml_types.h"

struct adapter {
    struct mg_job *job;
    struct mg_item *item;
};

static void on_action(void *ud, enum mg_action a, const char *detail)
{
    struct adapter *ad = ud;
    mg_item_action(ad->item, a, detail);
}

static bool on_charge(void *ud, uint64_t n)
{
    struct adapter *ad = ud;
    return mg_job_charge(ad->job, n);
}

static bool on_time(void *ud)
{
    struct adapter *ad = ud;
    return mg_job_time_ok(ad->job);
}

static bool ooxml_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_OOXML && act == MG_DO_SANITIZE;
}

/* [ooxml] hyperlinks = keep | defang | remove. The policy loader does not
 * know module keys yet, so a bad value is caught here: logged, and the item
 * tempfails (nothing is lost; it goes through once the setting is fixed). */
static bool hyperlink_mode(const struct mg_job *job, const struct mg_item *in, enum mg_urls_mode *mode)
{
    static const char *const choices[] = { "keep", "defang", "remove", NULL };
    const struct mg_policy *pol = mg_job_policy(job);
    int idx = 0;
    GError *err = NULL;
    if (!pol->kf || !mg_config_get_choice(pol->kf, "ooxml", "hyperlinks", choices, &idx, &err)) {
        mg_log(MG_LOG_ERROR, mg_job_id(job), in->path, "configuration: %s",
               err ? err->message : "no [ooxml] hyperlinks");
        g_clear_error(&err);
        return false;
    }
    *mode = (enum mg_urls_mode)idx;
    return true;
}

static enum mg_verdict ooxml_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    const struct mg_policy *pol = mg_job_policy(job);
    struct adapter ad = { job, in };
    enum mg_urls_mode links;
    if (!hyperlink_mode(job, in, &links))
        return mg_item_tempfail(in, MG_R_INTERNAL, "[ooxml] hyperlinks has an invalid value");
    struct mg_ooxml_opts o = {
        .lim = {
            .max_entries = pol->limits.max_items,
            .max_entry_size = pol->limits.max_item_size,
            .max_total_size = pol->limits.max_total_size,
            .max_ratio = pol->limits.max_ratio,
        },
        .hyperlinks = links,
        .action = on_action,
        .charge = on_charge,
        .time_ok = on_time,
        .ud = &ad,
    };
    struct mg_ooxml_result res;
    enum mg_verdict v = mg_ooxml_rebuild(in->data, in->len, &o, out, &res);
    if (v == MG_BLOCKED)
        return mg_item_block(in, res.reason, res.detail[0] ? res.detail : NULL);
    if (v == MG_TEMPFAIL)
        return mg_item_tempfail(in, res.reason, res.detail[0] ? res.detail : NULL);
    if (out->failed)
        return mg_item_tempfail(in, MG_R_RESOURCES, "write");
    /* The output never holds macros, so a macro-enabled name would lie
     * (and Office refuses a .docm whose main part is not macro-enabled). */
    char *nn = in->name ? mg_ooxml_macro_free_name(in->name) : NULL;
    if (nn) {
        mg_item_set_out_name(in, nn);
        mg_item_action(in, MG_A_RENAMED, nn);
        g_free(nn);
        v = MG_SANITIZED;
    }
    return v;
}

const struct mg_sanitizer mg_sanitizer_ooxml = {
    .name = "ooxml",
    .version = "1",
    .accepts = ooxml_accepts,
    .run = ooxml_run,
};
