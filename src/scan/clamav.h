/* libclamav adapter: one engine, loaded once, shared by every job. Loads the
 * system database (if any) plus mugai's own small database shipped in data/,
 * so every installation can prove its AV path works (EICAR). */
#ifndef MG_SCAN_CLAMAV_H
#define MG_SCAN_CLAMAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_av_mode { MG_AV_AUTO = 0, MG_AV_REQUIRED, MG_AV_OFF };

struct mg_av;

struct mg_av_opts {
    enum mg_av_mode mode;
    const char *system_db_dir;   /* "/var/lib/clamav" */
    const char *own_db_dir;      /* mugai's shipped database folder */
    const char *extra_db_dir;    /* tests: further databases; may be NULL */
    uint64_t max_scan_size;
};

enum mg_av_result { MG_AV_CLEAN = 0, MG_AV_VIRUS, MG_AV_ERROR, MG_AV_DISABLED };

struct mg_av *mg_av_new(const struct mg_av_opts *o, char *errbuf, size_t errlen);
void mg_av_free(struct mg_av *av);
/* parts_scanned: the caller takes this container apart itself (an archive,
 * a mail) and sends every member or part through the scan on its own, so
 * libclamav need not unpack it again: the container's bytes are still
 * matched as they are, but its archive and mail parsers are off. This halves
 * libclamav's work on a mail (it would decode every part into a temporary
 * file and scan it, and mugai scans the same part again as an item), and a
 * zip bomb would otherwise cost seconds in libclamav before our limits act. */
enum mg_av_result mg_av_scan(struct mg_av *av, const uint8_t *data, size_t len,
                             bool parts_scanned, char *signame, size_t signame_len);
/* "ClamAV 1.0.x, system db 27xxx (date) + mugai db N sigs" or "off". */
const char *mg_av_describe(const struct mg_av *av);
bool mg_av_has_system_db(const struct mg_av *av);
unsigned mg_av_signature_count(const struct mg_av *av);
/* Version date (Unix time) of the loaded system database; 0 without one. */
uint64_t mg_av_db_time(const struct mg_av *av);
/* Where libclamav writes its scratch files (a sandbox worker's own folder);
 * false when libclamav refuses. No-op without an engine. */
bool mg_av_set_tmpdir(struct mg_av *av, const char *dir);

#endif
