/* Configuration: one INI file read with GKeyFile on top of embedded defaults.
 * A key that the defaults do not know is an error (a typo must not silently
 * turn a limit off). Sizes take K/M/G suffixes, durations s/m/h/d. */
#ifndef MG_CORE_CONFIG_H
#define MG_CORE_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* defaults: INI text that lists every known group and key with its value.
 * path: NULL for defaults only. */
GKeyFile *mg_config_load(const char *defaults, const char *path, GError **err);

bool mg_config_parse_size(const char *s, uint64_t *out);
bool mg_config_parse_duration(const char *s, double *seconds);

/* Typed getters that turn a bad value into a GError naming group and key. */
bool mg_config_get_size(GKeyFile *kf, const char *group, const char *key, uint64_t *out, GError **err);
bool mg_config_get_duration(GKeyFile *kf, const char *group, const char *key, double *out, GError **err);
bool mg_config_get_uint(GKeyFile *kf, const char *group, const char *key, uint64_t max, uint64_t *out, GError **err);
bool mg_config_get_bool(GKeyFile *kf, const char *group, const char *key, bool *out, GError **err);
/* Value must be one of the NULL-terminated choices; returns its index. */
bool mg_config_get_choice(GKeyFile *kf, const char *group, const char *key,
                          const char *const *choices, int *out, GError **err);
/* Newly allocated string (g_free); never NULL on success. */
char *mg_config_get_string(GKeyFile *kf, const char *group, const char *key, GError **err);

#define MG_CONFIG_ERROR (mg_config_error_quark())
GQuark mg_config_error_quark(void);

#endif
