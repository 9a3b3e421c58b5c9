#include "engine/engine_private.h"

#include <iconv.h>
#include <libintl.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "mg_config.h"
#include "sanitizers/registry.h"
#include "scan/scanner.h"

#include <archive.h>
#include <gmime/gmime.h>
#include <libxml/xmlversion.h>
#include <zlib.h>

static pthread_key_t typer_key;
static pthread_once_t typer_once = PTHREAD_ONCE_INIT;

static void typer_destroy(void *p)
{
    mg_typer_free(p);
}

static void typer_key_init(void)
{
    if (pthread_key_create(&typer_key, typer_destroy) != 0)
        mg_log_fatal("cannot create a thread key");
}

struct mg_typer *mg_engine_typer(void)
{
    pthread_once(&typer_once, typer_key_init);
    struct mg_typer *t = pthread_getspecific(typer_key);
    if (t == NULL) {
        char err[256];
        t = mg_typer_new(err, sizeof(err));
        if (t == NULL)
            return NULL;
        pthread_setspecific(typer_key, t);
    }
    return t;
}

/* Messages come from the installed catalog, or from the build tree's when
 * the binary runs uninstalled. gettext ignores LANGUAGE under the C locale,
 * hence C.UTF-8 for LC_MESSAGES when the environment gives none. */
void mg_i18n_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    setlocale(LC_ALL, "");
    const char *cur = setlocale(LC_MESSAGES, NULL);
    if (cur == NULL || strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0)
        setlocale(LC_MESSAGES, "C.UTF-8");
    setlocale(LC_CTYPE, "C.UTF-8");
    char path[512];
    snprintf(path, sizeof(path), "%s/ja/LC_MESSAGES/mugai.mo", MG_LOCALEDIR);
    bindtextdomain("mugai", access(path, R_OK) == 0 ? MG_LOCALEDIR : MG_BUILD_LOCALEDIR);
    bind_textdomain_codeset("mugai", "UTF-8");
    /* Translations are only asked for when the policy's language is ja
     * (English is the msgids themselves), so LANGUAGE is always ja. */
    setenv("LANGUAGE", "ja", 1);
}

struct mg_engine *mg_engine_new(struct mg_policy *policy, GError **err)
{
    struct mg_engine *e = g_new0(struct mg_engine, 1);
    e->policy = policy;
    mg_i18n_init();
    char ebuf[512];
    if (mg_engine_typer() == NULL) {
        struct mg_typer *t = mg_typer_new(ebuf, sizeof(ebuf));
        if (t == NULL) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", ebuf);
            mg_engine_free(e);
            return NULL;
        }
        mg_typer_free(t);
    }
    e->indicators = mg_indicators_default(ebuf, sizeof(ebuf));
    if (e->indicators == NULL) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "indicators: %s", ebuf);
        mg_engine_free(e);
        return NULL;
    }
    size_t nsan;
    const struct mg_sanitizer *const *all = mg_registry_all(&nsan);
    for (size_t i = 0; i < nsan; i++) {
        if (all[i]->check_config && !all[i]->check_config(policy, ebuf, sizeof(ebuf))) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s", ebuf);
            mg_engine_free(e);
            return NULL;
        }
    }
    struct mg_av_opts ao = {
        .mode = policy->av_mode,
        .system_db_dir = policy->av_system_db,
        .own_db_dir = policy->av_own_db,
        .extra_db_dir = policy->av_extra_db,
        .max_scan_size = policy->av_max_scan_size,
    };
    e->av = mg_av_new(&ao, ebuf, sizeof(ebuf));
    if (e->av == NULL) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", ebuf);
        mg_engine_free(e);
        return NULL;
    }
    return e;
}

void mg_engine_free(struct mg_engine *e)
{
    if (e == NULL)
        return;
    mg_av_free(e->av);
    mg_indicators_free(e->indicators);
    mg_policy_free(e->policy);
    g_free(e);
}

const struct mg_policy *mg_engine_policy(const struct mg_engine *e)
{
    return e->policy;
}

const char *mg_engine_av_describe(const struct mg_engine *e)
{
    return mg_av_describe(e->av);
}

void mg_engine_set_describe(struct mg_engine *e, bool on)
{
    e->describe = on;
}

const struct mg_indicator_set *mg_engine_indicators(const struct mg_engine *e)
{
    return e->indicators;
}

void mg_engine_describe(const struct mg_engine *e, struct mg_buf *out)
{
    mg_buf_printf(out, "mugai %s\n", MG_VERSION);
    mg_buf_printf(out, "  gmime %u.%u.%u, glib %u.%u.%u, libxml2 %s, libmagic %s\n",
                  gmime_major_version, gmime_minor_version, gmime_micro_version,
                  glib_major_version, glib_minor_version, glib_micro_version,
                  LIBXML_DOTTED_VERSION, mg_typer_magic_version());
    mg_buf_printf(out, "  libarchive %s, zlib %s\n", archive_version_details(), zlibVersion());
    mg_buf_printf(out, "  scanner: %s, %zu indicators\n", mg_scanner_impl_name(),
                  mg_indicators_count(e->indicators));
    mg_buf_printf(out, "  antivirus: %s\n", mg_av_describe(e->av));
    mg_buf_printf(out, "  policy sha256: %s\n", e->policy->hash);
    size_t n;
    const struct mg_sanitizer *const *all = mg_registry_all(&n);
    mg_buf_puts(out, "  sanitizers:");
    for (size_t i = 0; i < n; i++)
        mg_buf_printf(out, " %s/%s", all[i]->name, all[i]->version);
    mg_buf_putc(out, '\n');
}

bool mg_engine_worker_prepare(struct mg_engine *e, const char *scratch_dir, char *errbuf, size_t errlen)
{
    if (mg_engine_typer() == NULL) {
        snprintf(errbuf, errlen, "libmagic: cannot load the magic database");
        return false;
    }
    if (!mg_av_set_tmpdir(e->av, scratch_dir)) {
        snprintf(errbuf, errlen, "libclamav: cannot set the scratch folder %s", scratch_dir);
        return false;
    }
    mg_spool_set_dir_override(scratch_dir);
    /* gettext opens its catalog on the first lookup, tzset /etc/localtime. */
    (void)dgettext("mugai", mg_reason_msgid(MG_R_EMPTY));
    tzset();
    /* iconv reads gconv-modules.cache and loads a module per charset on
     * first use; the worker may still read the gconv folder afterwards, but
     * the common Japanese ones are loaded here once. */
    static const char *const warm[] = { "EUC-JP-MS", "EUC-JP", "SHIFT_JIS", "CP932", "ISO-8859-1" };
    for (size_t i = 0; i < sizeof(warm) / sizeof(warm[0]); i++) {
        iconv_t cd = iconv_open("UTF-8", warm[i]);
        if (cd != (iconv_t)-1)
            iconv_close(cd);
    }
    return true;
}
