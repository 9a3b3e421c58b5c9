/* Policy: what the configuration says, checked and typed once. Every job
 * reads the policy it was started with; a reload builds a new one. */
#ifndef MG_ENGINE_POLICY_H
#define MG_ENGINE_POLICY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "scan/clamav.h"
#include "scan/type.h"
#include "scan/urls.h"

enum mg_class_action { MG_DO_SANITIZE = 0, MG_DO_TO_TEXT, MG_DO_BLOCK, MG_DO_PASS };
enum mg_lang { MG_LANG_JA = 0, MG_LANG_EN };

struct mg_limits {
    uint64_t max_item_size;
    uint64_t max_total_size;
    uint64_t max_depth;
    uint64_t max_items;
    uint64_t max_ratio;
    double max_seconds;
};

struct mg_policy {
    enum mg_lang lang;
    char *tmpdir;
    uint64_t spool_threshold;
    char *quarantine_dir;
    enum mg_log_dest log_dest;
    enum mg_log_level log_level;
    char *audit;                        /* path, "syslog" or "off" */
    struct mg_limits limits;
    enum mg_class_action by_class[MG_TC__COUNT];
    bool mismatch_block;                /* [types] type-mismatch = block */
    enum mg_av_mode av_mode;
    char *av_system_db;
    char *av_own_db;
    char *av_extra_db;
    uint64_t av_max_scan_size;
    enum mg_urls_mode text_urls;
    char hash[65];                      /* SHA-256 of the effective configuration */
    GKeyFile *kf;                       /* whole configuration, for the modules' own sections */
};

extern const char mg_default_conf[];

/* Loads path (NULL: defaults only) over the embedded defaults. */
struct mg_policy *mg_policy_load(const char *path, GError **err);
void mg_policy_free(struct mg_policy *p);
const char *mg_class_action_name(enum mg_class_action a);

#endif
