#include "engine/policy.h"

#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "mg_config.h"

static const char *const action_names[] = { "sanitize", "to-text", "block", "pass", NULL };

const char *mg_class_action_name(enum mg_class_action a)
{
    return action_names[a];
}

void mg_policy_free(struct mg_policy *p)
{
    if (p == NULL)
        return;
    g_free(p->tmpdir);
    g_free(p->quarantine_dir);
    g_free(p->audit);
    g_free(p->av_system_db);
    g_free(p->av_own_db);
    g_free(p->av_extra_db);
    if (p->kf)
        g_key_file_free(p->kf);
    g_free(p);
}

/* The hash names the effective policy in every report and audit line, so an
 * auditor can tell which rules disarmed a file. It covers the merged
 * configuration text, defaults included. */
static void hash_config(struct mg_policy *p)
{
    gsize len = 0;
    gchar *text = g_key_file_to_data(p->kf, &len, NULL);
    gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text ? text : "", (gssize)len);
    g_strlcpy(p->hash, hex ? hex : "", sizeof(p->hash));
    g_free(hex);
    g_free(text);
}

static bool load_types(struct mg_policy *p, GError **err)
{
    for (int c = 0; c < MG_TC__COUNT; c++) {
        const char *key = mg_type_class_name((enum mg_type_class)c);
        int idx;
        if (!mg_config_get_choice(p->kf, "types", key, action_names, &idx, err))
            return false;
        p->by_class[c] = (enum mg_class_action)idx;
    }
    static const char *const mism[] = { "block", "sanitize", NULL };
    int idx;
    if (!mg_config_get_choice(p->kf, "types", "type-mismatch", mism, &idx, err))
        return false;
    p->mismatch_block = idx == 0;
    return true;
}

static bool load_limits(struct mg_policy *p, GError **err)
{
    struct mg_limits *l = &p->limits;
    return mg_config_get_size(p->kf, "limits", "max-item-size", &l->max_item_size, err) &&
           mg_config_get_size(p->kf, "limits", "max-total-size", &l->max_total_size, err) &&
           mg_config_get_uint(p->kf, "limits", "max-depth", 64, &l->max_depth, err) &&
           mg_config_get_uint(p->kf, "limits", "max-items", 10000000, &l->max_items, err) &&
           mg_config_get_uint(p->kf, "limits", "max-ratio", 1000000, &l->max_ratio, err) &&
           mg_config_get_duration(p->kf, "limits", "max-time", &l->max_seconds, err);
}

/* The embedded default names the installed database folder; a binary run
 * from the build tree (tests, the demo) falls back to the source tree's copy. */
static void fix_own_db(struct mg_policy *p)
{
    if (strcmp(p->av_own_db, MG_DATADIR "/clamav") == 0 && access(p->av_own_db, R_OK) != 0) {
        g_free(p->av_own_db);
        p->av_own_db = g_strdup(MG_SOURCE_DATADIR "/clamav");
    }
}

struct mg_policy *mg_policy_load(const char *path, GError **err)
{
    struct mg_policy *p = g_new0(struct mg_policy, 1);
    p->kf = mg_config_load(mg_default_conf, path, err);
    if (p->kf == NULL) {
        mg_policy_free(p);
        return NULL;
    }
    static const char *const langs[] = { "ja", "en", NULL };
    static const char *const dests[] = { "stderr", "syslog", NULL };
    static const char *const av_modes[] = { "auto", "required", "off", NULL };
    static const char *const url_modes[] = { "keep", "defang", "remove", NULL };
    int lang, dest, av, urls;
    char *level = NULL;
    bool ok = mg_config_get_choice(p->kf, "general", "language", langs, &lang, err) &&
              (p->tmpdir = mg_config_get_string(p->kf, "general", "tmpdir", err)) != NULL &&
              mg_config_get_size(p->kf, "general", "spool-threshold", &p->spool_threshold, err) &&
              (p->quarantine_dir = mg_config_get_string(p->kf, "general", "quarantine-dir", err)) != NULL &&
              mg_config_get_choice(p->kf, "general", "log", dests, &dest, err) &&
              (level = mg_config_get_string(p->kf, "general", "log-level", err)) != NULL &&
              (p->audit = mg_config_get_string(p->kf, "general", "audit", err)) != NULL &&
              load_limits(p, err) && load_types(p, err) &&
              mg_config_get_choice(p->kf, "clamav", "mode", av_modes, &av, err) &&
              (p->av_system_db = mg_config_get_string(p->kf, "clamav", "system-db", err)) != NULL &&
              (p->av_own_db = mg_config_get_string(p->kf, "clamav", "own-db", err)) != NULL &&
              (p->av_extra_db = mg_config_get_string(p->kf, "clamav", "extra-db", err)) != NULL &&
              mg_config_get_size(p->kf, "clamav", "max-scan-size", &p->av_max_scan_size, err) &&
              mg_config_get_choice(p->kf, "text", "urls", url_modes, &urls, err);
    if (ok && !mg_log_level_parse(level, &p->log_level)) {
        g_set_error(err, MG_CONFIG_ERROR, 2,
                    "[general] log-level = \"%s\": expected debug, info, notice, warn or error", level);
        ok = false;
    }
    g_free(level);
    if (ok && p->limits.max_depth == 0) {
        g_set_error(err, MG_CONFIG_ERROR, 2, "[limits] max-depth must be at least 1");
        ok = false;
    }
    if (!ok) {
        mg_policy_free(p);
        return NULL;
    }
    p->lang = (enum mg_lang)lang;
    p->log_dest = (enum mg_log_dest)dest;
    p->av_mode = (enum mg_av_mode)av;
    p->text_urls = (enum mg_urls_mode)urls;
    fix_own_db(p);
    hash_config(p);
    return p;
}
