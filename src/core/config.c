#include "core/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

GQuark mg_config_error_quark(void)
{
    return g_quark_from_static_string("mg-config-error");
}

GKeyFile *mg_config_load(const char *defaults, const char *path, GError **err)
{
    GKeyFile *kf = g_key_file_new();
    if (!g_key_file_load_from_data(kf, defaults, (gsize)-1, G_KEY_FILE_NONE, err)) {
        g_prefix_error(err, "embedded defaults: ");
        g_key_file_free(kf);
        return NULL;
    }
    if (path == NULL)
        return kf;

    GKeyFile *user = g_key_file_new();
    if (!g_key_file_load_from_file(user, path, G_KEY_FILE_NONE, err)) {
        g_prefix_error(err, "%s: ", path);
        g_key_file_free(user);
        g_key_file_free(kf);
        return NULL;
    }
    gsize ngroups = 0;
    gchar **groups = g_key_file_get_groups(user, &ngroups);
    bool ok = true;
    for (gsize g = 0; ok && g < ngroups; g++) {
        if (!g_key_file_has_group(kf, groups[g])) {
            g_set_error(err, MG_CONFIG_ERROR, 1, "%s: unknown section [%s]", path, groups[g]);
            ok = false;
            break;
        }
        gsize nkeys = 0;
        gchar **keys = g_key_file_get_keys(user, groups[g], &nkeys, NULL);
        for (gsize k = 0; keys && k < nkeys; k++) {
            if (!g_key_file_has_key(kf, groups[g], keys[k], NULL)) {
                g_set_error(err, MG_CONFIG_ERROR, 1, "%s: unknown key \"%s\" in [%s]",
                            path, keys[k], groups[g]);
                ok = false;
                break;
            }
            gchar *v = g_key_file_get_value(user, groups[g], keys[k], NULL);
            if (v != NULL)
                g_key_file_set_value(kf, groups[g], keys[k], v);
            g_free(v);
        }
        g_strfreev(keys);
    }
    g_strfreev(groups);
    g_key_file_free(user);
    if (!ok) {
        g_key_file_free(kf);
        return NULL;
    }
    return kf;
}

bool mg_config_parse_size(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    uint64_t mul = 1;
    if (*end != '\0') {
        switch (*end) {
        case 'k': case 'K': mul = 1ULL << 10; break;
        case 'm': case 'M': mul = 1ULL << 20; break;
        case 'g': case 'G': mul = 1ULL << 30; break;
        default: return false;
        }
        end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end != '\0')
            return false;
    }
    if (v > UINT64_MAX / mul)
        return false;
    *out = (uint64_t)v * mul;
    return true;
}

bool mg_config_parse_duration(const char *s, double *seconds)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno != 0 || v < 0)
        return false;
    double mul = 1;
    if (*end != '\0') {
        if (strcmp(end, "ms") == 0)
            mul = 0.001;
        else if (end[1] != '\0')
            return false;
        else if (*end == 's')
            mul = 1;
        else if (*end == 'm')
            mul = 60;
        else if (*end == 'h')
            mul = 3600;
        else if (*end == 'd')
            mul = 86400;
        else
            return false;
    }
    *seconds = v * mul;
    return true;
}

char *mg_config_get_string(GKeyFile *kf, const char *group, const char *key, GError **err)
{
    char *v = g_key_file_get_string(kf, group, key, err);
    if (v != NULL)
        g_strstrip(v);
    return v;
}

static bool bad(GError **err, const char *group, const char *key, const char *v, const char *want)
{
    g_set_error(err, MG_CONFIG_ERROR, 2, "[%s] %s = \"%s\": expected %s", group, key, v, want);
    return false;
}

bool mg_config_get_size(GKeyFile *kf, const char *group, const char *key, uint64_t *out, GError **err)
{
    char *v = mg_config_get_string(kf, group, key, err);
    if (v == NULL)
        return false;
    bool ok = mg_config_parse_size(v, out);
    if (!ok)
        bad(err, group, key, v, "a size such as 512K, 25M or 1G");
    g_free(v);
    return ok;
}

bool mg_config_get_duration(GKeyFile *kf, const char *group, const char *key, double *out, GError **err)
{
    char *v = mg_config_get_string(kf, group, key, err);
    if (v == NULL)
        return false;
    bool ok = mg_config_parse_duration(v, out);
    if (!ok)
        bad(err, group, key, v, "a duration such as 500ms, 30s, 5m, 2h or 7d");
    g_free(v);
    return ok;
}

bool mg_config_get_uint(GKeyFile *kf, const char *group, const char *key, uint64_t max, uint64_t *out, GError **err)
{
    char *v = mg_config_get_string(kf, group, key, err);
    if (v == NULL)
        return false;
    char *end;
    errno = 0;
    unsigned long long n = (*v >= '0' && *v <= '9') ? strtoull(v, &end, 10) : 0;
    bool ok = *v >= '0' && *v <= '9' && errno == 0 && *end == '\0' && n <= max;
    if (ok)
        *out = n;
    else
        bad(err, group, key, v, "a whole number in range");
    g_free(v);
    return ok;
}

bool mg_config_get_bool(GKeyFile *kf, const char *group, const char *key, bool *out, GError **err)
{
    static const char *const choices[] = { "false", "true", "no", "yes", "off", "on", NULL };
    int idx;
    if (!mg_config_get_choice(kf, group, key, choices, &idx, err))
        return false;
    *out = (idx % 2) == 1;
    return true;
}

bool mg_config_get_choice(GKeyFile *kf, const char *group, const char *key,
                          const char *const *choices, int *out, GError **err)
{
    char *v = mg_config_get_string(kf, group, key, err);
    if (v == NULL)
        return false;
    for (int i = 0; choices[i]; i++) {
        if (g_ascii_strcasecmp(v, choices[i]) == 0) {
            *out = i;
            g_free(v);
            return true;
        }
    }
    GString *want = g_string_new("one of:");
    for (int i = 0; choices[i]; i++)
        g_string_append_printf(want, " %s", choices[i]);
    bad(err, group, key, v, want->str);
    g_string_free(want, TRUE);
    g_free(v);
    return false;
}
