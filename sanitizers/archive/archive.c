/* The archive sanitizer: reads zip, 7z, tar (+gz/bz2/xz/zstd), plain
 * gz/bz2/xz/zst, rar/rar5, cab, iso9660 and LHA with libarchive under
 * limits, sends every regular file back through the engine
 * (mg_job_child), and rebuilds a zip of the results with a
 * NAME.blocked.txt notice for each removed member. The whole archive is
 * blocked when it is encrypted (PPAP), malformed or over any limit. It
 * always rebuilds, also a zip whose members were all clean: the output then
 * holds only what was checked, nothing libarchive skipped (comments, extra
 * fields, bytes between entries). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/contract.h"
#include "sanitizers/archive/archive_conf.h"
#include "sanitizers/archive/archive_names.h"
#include "sanitizers/archive/archive_read.h"
#include "sanitizers/archive/archive_write.h"
#include "scan/charset.h"

#define ARCHIVE_VERSION_STR "1"

static const char *const msg_ppap_zip =
    N_("Password-protected ZIP files are removed because their safety cannot be confirmed.");
static const char *const msg_ppap_other =
    N_("Password-protected archives are removed because their safety cannot be confirmed.");
static const char *const msg_link =
    N_("\"%s\" was not copied: links, devices and other special entries are never followed or written.");

struct out_entry {
    char *path;
    const uint8_t *data;
    size_t len;
    time_t mtime;
};

struct run_ctx {
    struct mg_job *job;
    struct mg_item *in;
    struct mg_archive_conf conf;
    struct mg_arname_set *names;
    GArray *outs;              /* struct out_entry */
    size_t legacy_names;
    uint64_t inflated;         /* bytes read from this archive so far */
    /* Set when a member stopped the reading: */
    enum mg_verdict stop_verdict;
    enum mg_reason stop_reason;
    char stop_detail[256];
};

static bool hook_time_ok(void *ctx)
{
    struct run_ctx *c = ctx;
    return mg_job_time_ok(c->job);
}

/* mg_job_child charges each member's bytes to the job's total; charging
 * them here as well while inflating would count every member twice. So the
 * reader stops early against the job's whole budget for this archive alone,
 * and the exact accounting stays with mg_job_child (which blocks the member,
 * and with it the archive, once the job's total is passed). */
static bool hook_charge(void *ctx, uint64_t n)
{
    struct run_ctx *c = ctx;
    uint64_t max = mg_job_policy(c->job)->limits.max_total_size;
    c->inflated = n > UINT64_MAX - c->inflated ? UINT64_MAX : c->inflated + n;
    return max == 0 || c->inflated <= max;
}

static struct mg_spool *hook_spool(void *ctx)
{
    struct run_ctx *c = ctx;
    return mg_job_spool(c->job);
}

/* The base name of path (after the last '/'). */
static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && g_ascii_strcasecmp(s + n - m, suffix) == 0;
}

/* Name of the one member of a plain compressed file: "report.csv.gz" ->
 * "report.csv". */
static char *raw_member_name(const char *archive_name)
{
    static const struct { const char *suffix, *repl; } map[] = {
        {".tgz", ".tar"}, {".gz", ""}, {".bz2", ""}, {".xz", ""}, {".zst", ""},
        {".lzma", ""}, {".z", ""},
    };
    const char *b = base_of(archive_name);
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if (ends_with_ci(b, map[i].suffix))
            return g_strdup_printf("%.*s%s", (int)(strlen(b) - strlen(map[i].suffix)), b, map[i].repl);
    }
    return g_strdup(b[0] ? b : "data");
}

/* "x.tar.gz" -> "x.zip"; "" -> "archive.zip". */
static char *zip_name(const char *archive_name)
{
    static const char *const suffixes[] = {
        ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.lzma", ".tgz", ".tbz", ".tbz2",
        ".txz", ".tzst", ".tar", ".7z", ".rar", ".cab", ".iso", ".lzh", ".lha", ".gz", ".bz2",
        ".xz", ".zst", ".lzma", ".zip",
    };
    const char *b = archive_name;
    if (b == NULL || b[0] == '\0')
        return g_strdup("archive.zip");
    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        if (ends_with_ci(b, suffixes[i]))
            return g_strdup_printf("%.*s.zip", (int)(strlen(b) - strlen(suffixes[i])), b);
    }
    return g_strdup_printf("%s.zip", b);
}

static bool add_out(struct run_ctx *c, const char *path, const uint8_t *data, size_t len,
                    time_t mtime)
{
    unsigned fl = 0;
    char *u = mg_arname_unique(c->names, path, &fl);
    if (u == NULL)
        return false;
    if (fl & MG_ARN_COLLISION)
        mg_item_actionf(c->in, MG_A_NAME_CHANGED, "%s -> %s (same name as another member)", path, u);
    struct out_entry e = {.path = u, .data = data, .len = len, .mtime = mtime};
    g_array_append_val(c->outs, e);
    return true;
}

/* dir(clean) + "/" + name, name reduced to a clean base name. */
static char *sibling_path(const char *clean, const char *name, size_t index)
{
    unsigned fl = 0;
    const char *b = base_of(name);
    char *cb = mg_arname_clean((const uint8_t *)b, strlen(b), NULL, index, &fl);
    if (cb == NULL)
        return NULL;
    const char *slash = strrchr(clean, '/');
    char *r = slash ? g_strdup_printf("%.*s/%s", (int)(slash - clean), clean, cb) : g_strdup(cb);
    free(cb);
    return r;
}

static bool add_notice(struct run_ctx *c, const char *path, struct mg_buf *text, time_t mtime)
{
    if (mg_buf_failed(text))
        return false;
    const uint8_t *kept = mg_job_keep(c->job, text->data ? text->data : (const uint8_t *)"", text->len);
    if (kept == NULL)
        return false;
    char *np = g_strdup_printf("%s.blocked.txt", path);
    bool ok = add_out(c, np, kept, text->len, mtime);
    g_free(np);
    return ok;
}

static bool is_limit(enum mg_reason r)
{
    return r == MG_R_LIMIT_SIZE || r == MG_R_LIMIT_DEPTH || r == MG_R_LIMIT_COUNT ||
           r == MG_R_LIMIT_RATIO || r == MG_R_LIMIT_TIME;
}

static enum mg_ar_status stop(struct run_ctx *c, enum mg_verdict v, enum mg_reason r,
                              const char *member, const char *detail)
{
    c->stop_verdict = v;
    c->stop_reason = r;
    snprintf(c->stop_detail, sizeof(c->stop_detail), "member \"%s\": %s", member,
             detail ? detail : mg_reason_keyword(r));
    return v == MG_TEMPFAIL ? MG_AR_RESOURCES : MG_AR_LIMIT_SIZE; /* the status is not used */
}

static enum mg_ar_status member_file(struct run_ctx *c, const struct mg_ar_member *m,
                                     const char *clean)
{
    struct mg_item *child = mg_job_child(c->job, c->in, clean, m->data, m->len);
    if (child == NULL)
        return stop(c, MG_TEMPFAIL, MG_R_INTERNAL, clean, "no child item");
    if (child->verdict == MG_TEMPFAIL)
        return stop(c, MG_TEMPFAIL, child->reason, clean, child->reason_detail);
    if (child->verdict == MG_BLOCKED && is_limit(child->reason))
        return stop(c, MG_BLOCKED, child->reason, clean, child->reason_detail);
    char *path = sibling_path(clean, mg_item_result_name(child), m->index);
    if (path == NULL)
        return stop(c, MG_TEMPFAIL, MG_R_RESOURCES, clean, "name");
    bool ok;
    if (child->verdict == MG_BLOCKED) {
        struct mg_buf text;
        mg_buf_init(&text);
        mg_buf_set_limit(&text, 64 * 1024);
        mg_notice_removed(c->job, child, &text);
        ok = add_notice(c, path, &text, m->mtime);
        mg_buf_free(&text);
    } else {
        size_t len = 0;
        const uint8_t *data = mg_item_result(child, &len);
        ok = data != NULL && add_out(c, path, data, len, m->mtime);
    }
    g_free(path);
    if (!ok)
        return stop(c, MG_TEMPFAIL, MG_R_RESOURCES, clean, "cannot keep the member");
    return MG_AR_OK;
}

static enum mg_ar_status member_link(struct run_ctx *c, const struct mg_ar_member *m,
                                     const char *clean, const char *display)
{
    static const char *const kinds[] = {
        [MG_AR_SYMLINK] = "symbolic link", [MG_AR_HARDLINK] = "hard link",
        [MG_AR_SPECIAL] = "device, fifo or socket",
    };
    mg_item_actionf(c->in, MG_A_ITEM_REMOVED, "%s (%s)", display, kinds[m->kind]);
    struct mg_buf text;
    mg_buf_init(&text);
    mg_buf_set_limit(&text, 4096);
    /* The translation is not trusted as a format: only its first %s is filled. */
    const char *fmt = mg_job_gettext(c->job, msg_link);
    const char *arg = strstr(fmt, "%s");
    if (arg != NULL) {
        mg_buf_append(&text, fmt, (size_t)(arg - fmt));
        mg_buf_puts(&text, display);
        mg_buf_puts(&text, arg + 2);
    } else {
        mg_buf_puts(&text, fmt);
    }
    mg_buf_putc(&text, '\n');
    bool ok = add_notice(c, clean, &text, m->mtime);
    mg_buf_free(&text);
    return ok ? MG_AR_OK : stop(c, MG_TEMPFAIL, MG_R_RESOURCES, clean, "cannot keep the notice");
}

static enum mg_ar_status hook_member(void *ctx, const struct mg_ar_member *m)
{
    struct run_ctx *c = ctx;
    char *rawname = NULL;
    const uint8_t *raw = m->raw_name;
    size_t rawlen = m->raw_name_len;
    if (m->raw) {
        rawname = raw_member_name(c->in->name ? c->in->name : "");
        raw = (const uint8_t *)rawname;
        rawlen = strlen(rawname);
    }
    unsigned flags = 0;
    char *clean = mg_arname_clean(raw, rawlen, c->conf.legacy_charset, m->index, &flags);
    struct mg_buf disp;
    mg_buf_init(&disp);
    mg_buf_set_limit(&disp, 1024);
    mg_arname_display(raw, rawlen, c->conf.legacy_charset, &disp);
    const char *display = mg_buf_cstr(&disp);
    g_free(rawname);
    if (clean == NULL || mg_buf_failed(&disp)) {
        free(clean);
        mg_buf_free(&disp);
        return stop(c, MG_TEMPFAIL, MG_R_RESOURCES, "?", "name");
    }
    if (flags & MG_ARN_LEGACY)
        c->legacy_names++;
    /* Directory entries are not written (their files' paths imply them), so
     * their names ("." of an ISO image ...) need no report. */
    if ((flags & MG_ARN_DANGEROUS) && m->kind != MG_AR_DIR) {
        char why[256];
        mg_arname_flags_text(flags & MG_ARN_DANGEROUS, why, sizeof(why));
        mg_item_actionf(c->in, MG_A_NAME_CHANGED, "%s -> %s (%s)", display, clean, why);
    }
    enum mg_ar_status st = MG_AR_OK;
    switch (m->kind) {
    case MG_AR_DIR:
        break; /* directories are implied by their files' paths */
    case MG_AR_FILE:
        st = member_file(c, m, clean);
        break;
    case MG_AR_SYMLINK:
    case MG_AR_HARDLINK:
    case MG_AR_SPECIAL:
        st = member_link(c, m, clean, display);
        break;
    }
    free(clean);
    mg_buf_free(&disp);
    return st;
}

static enum mg_verdict block_status(struct mg_job *job, struct mg_item *in, enum mg_ar_status st,
                                    const struct mg_ar_info *info)
{
    switch (st) {
    case MG_AR_ENCRYPTED: {
        /* The PPAP notice names ZIP when it is one, as people know it. */
        const char *why = mg_job_gettext(job, info->zip ? msg_ppap_zip : msg_ppap_other);
        char *d = g_strdup_printf("%s (%s)", why, info->detail);
        enum mg_verdict v = mg_item_block(in, MG_R_ENCRYPTED, d);
        g_free(d);
        return v;
    }
    case MG_AR_LIMIT_SIZE: return mg_item_block(in, MG_R_LIMIT_SIZE, info->detail);
    case MG_AR_LIMIT_COUNT: return mg_item_block(in, MG_R_LIMIT_COUNT, info->detail);
    case MG_AR_LIMIT_RATIO: return mg_item_block(in, MG_R_LIMIT_RATIO, info->detail);
    case MG_AR_LIMIT_TIME: return mg_item_block(in, MG_R_LIMIT_TIME, info->detail);
    case MG_AR_LIMIT_DEPTH: return mg_item_block(in, MG_R_LIMIT_DEPTH, info->detail);
    case MG_AR_RESOURCES: return mg_item_tempfail(in, MG_R_RESOURCES, info->detail);
    case MG_AR_INTERNAL: return mg_item_tempfail(in, MG_R_INTERNAL, info->detail);
    case MG_AR_MALFORMED:
    case MG_AR_OK:
        break;
    }
    return mg_item_block(in, MG_R_MALFORMED, info->detail[0] ? info->detail : "unreadable archive");
}

static enum mg_verdict write_zip(struct run_ctx *c, struct mg_sink *out)
{
    struct mg_arw *w = mg_arw_new(out);
    if (w == NULL)
        return mg_item_tempfail(c->in, MG_R_RESOURCES, "zip writer");
    for (guint i = 0; i < c->outs->len; i++) {
        const struct out_entry *e = &g_array_index(c->outs, struct out_entry, i);
        if (!mg_job_time_ok(c->job)) {
            mg_arw_free(w);
            return mg_item_block(c->in, MG_R_LIMIT_TIME, "while writing the rebuilt zip");
        }
        if (!mg_arw_add(w, e->path, e->data, e->len, e->mtime))
            break;
    }
    bool ok = mg_arw_finish(w);
    char err[200];
    snprintf(err, sizeof(err), "zip writer: %s", mg_arw_error(w));
    mg_arw_free(w);
    if (ok)
        return MG_SANITIZED;
    if (out->failed)   /* the output spool is capped at the item size limit */
        return mg_item_block(c->in, MG_R_LIMIT_SIZE, "rebuilt zip over the item size limit");
    return mg_item_tempfail(c->in, MG_R_INTERNAL, err);
}

static enum mg_verdict archive_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    struct run_ctx c = {.job = job, .in = in};
    GError *err = NULL;
    const struct mg_policy *pol = mg_job_policy(job);
    if (!mg_archive_conf_load(pol, &c.conf, &err)) {
        enum mg_verdict v = mg_item_tempfail(in, MG_R_INTERNAL, err ? err->message : "config");
        g_clear_error(&err);
        return v;
    }
    struct mg_ar_limits lim = {
        .max_member = pol->limits.max_item_size,
        .max_members = c.conf.max_members,
        .max_ratio = c.conf.max_ratio,
        .ratio_floor = c.conf.ratio_floor,
        .lha_charset = c.conf.lha_charset,
    };
    struct mg_ar_hooks hooks = {
        .ctx = &c, .time_ok = hook_time_ok, .charge = hook_charge,
        .spool = hook_spool, .release = NULL, .member = hook_member,
    };
    c.names = mg_arname_set_new();
    c.outs = g_array_new(FALSE, FALSE, sizeof(struct out_entry));
    struct mg_ar_info info;
    enum mg_ar_status st = mg_ar_read(in->data, in->len, &lim, &hooks, &info);
    enum mg_verdict v;
    if (c.stop_verdict == MG_TEMPFAIL) {
        v = mg_item_tempfail(in, c.stop_reason, c.stop_detail);
    } else if (c.stop_verdict == MG_BLOCKED) {
        v = mg_item_block(in, c.stop_reason, c.stop_detail);
    } else if (st != MG_AR_OK) {
        v = block_status(job, in, st, &info);
    } else {
        v = write_zip(&c, out);
        if (v == MG_SANITIZED) {
            char *zn = zip_name(in->name);
            if (in->name == NULL || strcmp(zn, in->name) != 0) {
                mg_item_set_out_name(in, zn);
                mg_item_action(in, MG_A_RENAMED, zn);
            }
            g_free(zn);
            mg_item_set_out_mime(in, "application/zip");
            if (c.legacy_names > 0)
                mg_item_actionf(in, MG_A_CONVERTED_TO_UTF8, "%s (%zu file names)",
                                c.conf.legacy_charset, c.legacy_names);
            mg_item_actionf(in, MG_A_ARCHIVE_REBUILT, "entries read: %zu, files written: %zu, format: %s",
                            info.members, (size_t)c.outs->len, info.format[0] ? info.format : "?");
        }
    }
    for (guint i = 0; i < c.outs->len; i++)
        free(g_array_index(c.outs, struct out_entry, i).path);
    g_array_free(c.outs, TRUE);
    mg_arname_set_free(c.names);
    mg_archive_conf_clear(&c.conf);
    return v;
}

static bool archive_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_ARCHIVE && act == MG_DO_SANITIZE;
}

static bool archive_check_config(const struct mg_policy *pol, char *err, size_t errlen)
{
    struct mg_archive_conf c;
    GError *e = NULL;
    if (!mg_archive_conf_load(pol, &c, &e)) {
        snprintf(err, errlen, "%s", e ? e->message : "[archive] configuration");
        g_clear_error(&e);
        return false;
    }
    mg_archive_conf_clear(&c);
    return true;
}

const struct mg_sanitizer mg_sanitizer_archive = {
    .name = "archive",
    .version = ARCHIVE_VERSION_STR,
    .accepts = archive_accepts,
    .run = archive_run,
    .check_config = archive_check_config,
};
