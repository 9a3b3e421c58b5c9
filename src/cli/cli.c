#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "sandbox/sandbox.h"
#include "mg_config.h"

static enum mg_lang cli_lang = MG_LANG_JA;
static bool lang_fixed;

/* Before a policy is loaded the language comes from MUGAI_LANG (ja or en);
 * afterwards from the policy, unless MUGAI_LANG is set. */
static void lang_from_env(void)
{
    const char *l = getenv("MUGAI_LANG");
    if (l && strncmp(l, "en", 2) == 0) {
        cli_lang = MG_LANG_EN;
        lang_fixed = true;
    } else if (l && strncmp(l, "ja", 2) == 0) {
        cli_lang = MG_LANG_JA;
        lang_fixed = true;
    }
}

const char *mg_cli_gettext(const char *msgid)
{
    static bool init;
    if (!init) {
        init = true;
        mg_i18n_init();
        lang_from_env();
    }
    return cli_lang == MG_LANG_EN ? msgid : dgettext("mugai", msgid);
}

void mg_cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("mugai: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

struct mg_engine *mg_cli_engine(const char *policy_path)
{
    (void)mg_cli_gettext("");
    const char *path = policy_path;
    if (path == NULL && access(MG_SYSCONFDIR "/mugai/mugai.conf", R_OK) == 0)
        path = MG_SYSCONFDIR "/mugai/mugai.conf";
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(path, &err);
    if (pol == NULL) {
        mg_cli_error(_("configuration error: %s"), err ? err->message : "?");
        g_clear_error(&err);
        return NULL;
    }
    if (lang_fixed)
        pol->lang = cli_lang;
    else
        cli_lang = pol->lang;
    /* A person at a terminal wants the summary, not a line per item: the
     * CLI logs warnings and errors only unless MUGAI_LOG_LEVEL says more. */
    enum mg_log_level lvl = pol->log_level > MG_LOG_WARN ? pol->log_level : MG_LOG_WARN;
    const char *env = getenv("MUGAI_LOG_LEVEL");
    if (env && !mg_log_level_parse(env, &lvl))
        mg_cli_error("MUGAI_LOG_LEVEL=%s: expected debug, info, notice, warn or error", env);
    mg_log_init("mugai", pol->log_dest, lvl);
    struct mg_engine *e = mg_engine_new(pol, &err);
    if (e == NULL) {
        mg_cli_error(_("cannot start the engine: %s"), err ? err->message : "?");
        g_clear_error(&err);
        return NULL;
    }
    return e;
}

uint8_t *mg_cli_read_file(const char *path, size_t max, size_t *len)
{
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return NULL;
    }
    struct mg_buf b;
    mg_buf_init(&b);
    if (max)
        mg_buf_set_limit(&b, max);
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (max == 0 || (uint64_t)st.st_size <= max))
        mg_buf_reserve(&b, (size_t)st.st_size);
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            mg_buf_free(&b);
            close(fd);
            errno = e;
            return NULL;
        }
        if (n == 0)
            break;
        if (!mg_buf_append(&b, chunk, (size_t)n)) {
            mg_buf_free(&b);
            close(fd);
            errno = EFBIG;
            return NULL;
        }
    }
    close(fd);
    if (b.data == NULL && !mg_buf_reserve(&b, 0)) {
        errno = ENOMEM;
        return NULL;
    }
    return mg_buf_steal(&b, len);
}

bool mg_cli_write_file(const char *path, const void *data, size_t len)
{
    return mg_file_write_atomic(path, data, len, 0644);
}

bool mg_cli_wants_help(int argc, char **argv, const char *help_msgid)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(_(help_msgid), stdout);
            return true;
        }
    }
    return false;
}

struct mg_sandbox *mg_cli_sandbox(struct mg_engine *e)
{
    GError *err = NULL;
    struct mg_sandbox *sb = mg_sandbox_new(e, &err);
    if (sb == NULL) {
        mg_cli_error(_("cannot start the sandbox: %s"), err ? err->message : "?");
        g_clear_error(&err);
    }
    return sb;
}
