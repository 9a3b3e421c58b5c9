/* The [archive] section of the configuration (data/conf.d/90-archive.conf),
 * typed. Read per job from the policy's key file: the engine has no init
 * hook per sanitizer, and reading five keys costs nothing. */
#ifndef MG_SANITIZERS_ARCHIVE_CONF_H
#define MG_SANITIZERS_ARCHIVE_CONF_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/policy.h"

struct mg_archive_conf {
    uint64_t max_members;
    uint64_t max_ratio;        /* resolved: [limits] max-ratio when the key is 0 */
    uint64_t ratio_floor;
    char *legacy_charset;      /* g_free'd by mg_archive_conf_clear */
    const char *lha_charset;   /* iconv name for libarchive's LHA reader */
};

bool mg_archive_conf_load(const struct mg_policy *pol, struct mg_archive_conf *c, GError **err);
void mg_archive_conf_clear(struct mg_archive_conf *c);

#endif
