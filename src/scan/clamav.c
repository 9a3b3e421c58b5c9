#include "scan/clamav.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

struct mg_av {
    struct cl_engine *engine;
    enum mg_av_mode mode;
    bool system_db;
    unsigned sigs;
    uint64_t max_scan_size;
    char describe[256];
};

static bool cl_initialised;

/* A folder holds a usable database when it has any signature file that
 * libclamav loads (cvd/cld are freshclam's, the rest are plain formats). */
static bool dir_has_db(const char *dir)
{
    static const char *const exts[] = { ".cvd", ".cld", ".cud", ".hdb", ".hsb", ".ndb",
                                        ".ldb", ".mdb", ".msb", ".cdb", NULL };
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        for (int i = 0; exts[i] && !found; i++) {
            size_t m = strlen(exts[i]);
            found = n > m && strcmp(e->d_name + n - m, exts[i]) == 0;
        }
    }
    closedir(d);
    return found;
}

static bool is_db_ext(const char *ext)
{
    static const char *const exts[] = { ".cvd", ".cld", ".cud", ".hdb", ".hsb", ".hdu", ".hsu", ".ndb", ".ndu",
                                        ".ldb", ".ldu", ".mdb", ".mdu", ".msb", ".msu", ".cdb", ".cbc", ".fp",
                                        ".sfp", ".ign", ".ign2", ".pdb", ".gdb", ".wdb", ".ftm", ".cfg", ".crb",
                                        ".cat", ".idb", ".info", ".yar", ".yara", ".pwdb", ".imp", NULL };
    for (int i = 0; exts[i]; i++)
        if (strcmp(ext, exts[i]) == 0)
            return true;
    return false;
}

/* Every signature file of a database folder must be a readable regular file:
 * libclamav (1.0) spins for ever in cl_load on a folder named like a
 * signature file, which would hang a SIGHUP reload (and start-up) instead
 * of refusing it; an unreadable file is named here rather than as
 * "Can't open file or directory". */
static bool db_files_readable(const char *dir, char *errbuf, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(errbuf, errlen, "cannot read the signature folder %s: %s", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        /* Only what libclamav would load: freshclam keeps other files and
         * temporary folders here. */
        const char *ext = strrchr(e->d_name, '.');
        if (ext == NULL || ext == e->d_name || !is_db_ext(ext))
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            snprintf(errbuf, errlen, "signature database %s/%s: %s", dir, e->d_name,
                     fd < 0 ? strerror(errno) : "not a regular file");
            ok = false;
        }
        if (fd >= 0)
            close(fd);
    }
    closedir(d);
    return ok;
}

static bool load_dir(struct mg_av *av, const char *dir, char *errbuf, size_t errlen)
{
    if (!db_files_readable(dir, errbuf, errlen))
        return false;
    unsigned sigs = 0;
    cl_error_t rc = cl_load(dir, av->engine, &sigs, CL_DB_STDOPT);
    if (rc != CL_SUCCESS) {
        snprintf(errbuf, errlen, "libclamav: cannot load %s: %s", dir, cl_strerror(rc));
        return false;
    }
    av->sigs += sigs;
    return true;
}

struct mg_av *mg_av_new(const struct mg_av_opts *o, char *errbuf, size_t errlen)
{
    struct mg_av *av = calloc(1, sizeof(*av));
    if (av == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    av->mode = o->mode;
    av->max_scan_size = o->max_scan_size;
    if (o->mode == MG_AV_OFF) {
        snprintf(av->describe, sizeof(av->describe), "off");
        return av;
    }
    if (!cl_initialised) {
        cl_error_t rc = cl_init(CL_INIT_DEFAULT);
        if (rc != CL_SUCCESS) {
            snprintf(errbuf, errlen, "libclamav: cl_init: %s", cl_strerror(rc));
            free(av);
            return NULL;
        }
        cl_initialised = true;
    }
    av->engine = cl_engine_new();
    if (av->engine == NULL) {
        snprintf(errbuf, errlen, "libclamav: cl_engine_new failed");
        free(av);
        return NULL;
    }
    /* Refuse to start if a limit cannot be set (c-icap only warns). */
    uint64_t max = o->max_scan_size ? o->max_scan_size : (100u << 20);
    if (cl_engine_set_num(av->engine, CL_ENGINE_MAX_FILESIZE, (long long)max) != CL_SUCCESS ||
        cl_engine_set_num(av->engine, CL_ENGINE_MAX_SCANSIZE, (long long)max) != CL_SUCCESS) {
        snprintf(errbuf, errlen, "libclamav: cannot set scan size limits");
        mg_av_free(av);
        return NULL;
    }
    av->system_db = o->system_db_dir && *o->system_db_dir && dir_has_db(o->system_db_dir);
    if (!av->system_db && o->mode == MG_AV_REQUIRED) {
        snprintf(errbuf, errlen, "clamav = required, but %s holds no signature database "
                 "(run freshclam, or set [clamav] mode = auto)", o->system_db_dir ? o->system_db_dir : "(none)");
        mg_av_free(av);
        return NULL;
    }
    if (av->system_db && !load_dir(av, o->system_db_dir, errbuf, errlen)) {
        mg_av_free(av);
        return NULL;
    }
    if (o->own_db_dir == NULL || !dir_has_db(o->own_db_dir)) {
        snprintf(errbuf, errlen, "mugai's own signature database is missing in %s",
                 o->own_db_dir ? o->own_db_dir : "(none)");
        mg_av_free(av);
        return NULL;
    }
    if (!load_dir(av, o->own_db_dir, errbuf, errlen) ||
        (o->extra_db_dir && *o->extra_db_dir && !load_dir(av, o->extra_db_dir, errbuf, errlen))) {
        mg_av_free(av);
        return NULL;
    }
    cl_error_t rc = cl_engine_compile(av->engine);
    if (rc != CL_SUCCESS) {
        snprintf(errbuf, errlen, "libclamav: compiling the database failed: %s", cl_strerror(rc));
        mg_av_free(av);
        return NULL;
    }
    uint32_t dbver = (uint32_t)cl_engine_get_num(av->engine, CL_ENGINE_DB_VERSION, NULL);
    if (av->system_db) {
        snprintf(av->describe, sizeof(av->describe), "ClamAV %s, system database version %u, %u signatures",
                 cl_retver(), dbver, av->sigs);
    } else {
        snprintf(av->describe, sizeof(av->describe),
                 "ClamAV %s, NO system database: mugai's own test signatures only (%u signatures)",
                 cl_retver(), av->sigs);
        mg_log(MG_LOG_WARN, NULL, NULL,
               "clamav: no system signature database in %s; only mugai's own %u test signatures "
               "are loaded, so virus detection is NOT effective (install clamav-freshclam, or set "
               "[clamav] mode = required to refuse to start)",
               o->system_db_dir ? o->system_db_dir : "(none)", av->sigs);
    }
    return av;
}

void mg_av_free(struct mg_av *av)
{
    if (av == NULL)
        return;
    if (av->engine)
        cl_engine_free(av->engine);
    free(av);
}

enum mg_av_result mg_av_scan(struct mg_av *av, const uint8_t *data, size_t len,
                             bool parts_scanned, char *signame, size_t signame_len)
{
    if (signame_len)
        signame[0] = '\0';
    if (av == NULL || av->engine == NULL)
        return MG_AV_DISABLED;
    if (av->max_scan_size && len > av->max_scan_size)
        return MG_AV_DISABLED;
    if (len == 0)
        return MG_AV_CLEAN;
    cl_fmap_t *map = cl_fmap_open_memory(data, len);
    if (map == NULL)
        return MG_AV_ERROR;
    struct cl_scan_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.parse = ~0u;
    if (parts_scanned)
        opts.parse &= ~(uint32_t)(CL_SCAN_PARSE_ARCHIVE | CL_SCAN_PARSE_MAIL);
    const char *vir = NULL;
    unsigned long scanned = 0;
    cl_error_t rc = cl_scanmap_callback(map, NULL, &vir, &scanned, av->engine, &opts, NULL);
    cl_fmap_close(map);
    if (rc == CL_VIRUS) {
        snprintf(signame, signame_len, "%s", vir ? vir : "unknown");
        return MG_AV_VIRUS;
    }
    if (rc == CL_CLEAN)
        return MG_AV_CLEAN;
    snprintf(signame, signame_len, "%s", cl_strerror(rc));
    return MG_AV_ERROR;
}

const char *mg_av_describe(const struct mg_av *av)
{
    return av ? av->describe : "off";
}

bool mg_av_has_system_db(const struct mg_av *av)
{
    return av && av->system_db;
}

unsigned mg_av_signature_count(const struct mg_av *av)
{
    return av ? av->sigs : 0;
}

uint64_t mg_av_db_time(const struct mg_av *av)
{
    if (av == NULL || !av->system_db || av->engine == NULL)
        return 0;
    int err = 0;
    long long t = cl_engine_get_num(av->engine, CL_ENGINE_DB_TIME, &err);
    return err == CL_SUCCESS && t > 0 ? (uint64_t)t : 0;
}

bool mg_av_set_tmpdir(struct mg_av *av, const char *dir)
{
    if (av == NULL || av->engine == NULL)
        return true;
    return cl_engine_set_str(av->engine, CL_ENGINE_TMPDIR, dir) == CL_SUCCESS;
}
