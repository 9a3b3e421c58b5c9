/* [mail] configuration keys (data/conf.d/60-mail.conf), read per job from
 * the policy the job started with. */
#include <string.h>

#include "core/config.h"
#include "sanitizers/mail/mail_priv.h"

bool mg_mail_conf_load(const struct mg_policy *pol, struct mg_mail_conf *c, GError **err)
{
    static const char *const charsets[] = {"utf-8", "iso-2022-jp", NULL};
    static const char *const positions[] = {"top", "bottom", "none", NULL};
    memset(c, 0, sizeof(*c));
    GKeyFile *kf = pol->kf;
    int cs = 0, pos = 0;
    if (!mg_config_get_bool(kf, "mail", "prefer-plain", &c->prefer_plain, err) ||
        !mg_config_get_choice(kf, "mail", "output-charset", charsets, &cs, err) ||
        !mg_config_get_choice(kf, "mail", "notice-position", positions, &pos, err) ||
        !mg_config_get_bool(kf, "mail", "removed-placeholder", &c->placeholder, err) ||
        !mg_config_get_size(kf, "mail", "max-header-length", &c->max_header_len, err) ||
        !mg_config_get_size(kf, "mail", "max-line-length", &c->max_line_len, err) ||
        !mg_config_get_uint(kf, "mail", "max-nesting", 1000, &c->max_nesting, err))
        return false;
    c->out_iso2022jp = cs == 1;
    c->notice_pos = (enum mg_mail_notice_pos)pos;
    c->keep_headers = g_key_file_get_string_list(kf, "mail", "keep-headers", NULL, err);
    if (c->keep_headers == NULL)
        return false;
    c->received_by = mg_config_get_string(kf, "mail", "received-by", err);
    if (c->received_by == NULL) {
        mg_mail_conf_free(c);
        return false;
    }
    g_strstrip(c->received_by);
    return true;
}

void mg_mail_conf_free(struct mg_mail_conf *c)
{
    g_strfreev(c->keep_headers);
    g_free(c->received_by);
    memset(c, 0, sizeof(*c));
}
