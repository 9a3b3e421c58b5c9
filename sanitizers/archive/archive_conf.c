/* [archive] configuration (see archive_conf.h). */
#include "sanitizers/archive/archive_conf.h"

#include <string.h>

#include "core/config.h"
#include "scan/charset.h"

bool mg_archive_conf_load(const struct mg_policy *pol, struct mg_archive_conf *c, GError **err)
{
    static const char *const outputs[] = {"zip", NULL};
    memset(c, 0, sizeof(*c));
    int output = 0;
    if (!mg_config_get_choice(pol->kf, "archive", "output", outputs, &output, err) ||
        !mg_config_get_uint(pol->kf, "archive", "max-members", UINT32_MAX, &c->max_members, err) ||
        !mg_config_get_uint(pol->kf, "archive", "max-ratio", 1000000, &c->max_ratio, err) ||
        !mg_config_get_size(pol->kf, "archive", "ratio-floor", &c->ratio_floor, err))
        return false;
    c->legacy_charset = mg_config_get_string(pol->kf, "archive", "legacy-charset", err);
    if (c->legacy_charset == NULL)
        return false;
    enum mg_charset cs = mg_charset_from_label(c->legacy_charset);
    /* Our families by their iconv names (JAPANESE.md); others as labelled. */
    c->lha_charset = cs == MG_CS_CP932 ? "CP932" : cs == MG_CS_EUCJP ? "EUC-JP-MS" : c->legacy_charset;
    if (cs == MG_CS_UNKNOWN || strchr(c->legacy_charset, ',') != NULL) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "[archive] legacy-charset: unknown charset \"%s\"",
                    c->legacy_charset);
        mg_archive_conf_clear(c);
        return false;
    }
    if (c->max_ratio == 0)
        c->max_ratio = pol->limits.max_ratio;
    return true;
}

void mg_archive_conf_clear(struct mg_archive_conf *c)
{
    g_free(c->legacy_charset);
    c->legacy_charset = NULL;
}
