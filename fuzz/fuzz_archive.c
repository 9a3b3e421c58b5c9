/* The archive sanitizer's untrusted-input path without the engine: the zip
 * pre-check and libarchive under small limits, each member's name through
 * the name rules and the collision set, and the results written back with
 * the zip writer. Checks the promises: cleaned names are valid UTF-8,
 * relative, without "..", empty components or bidi controls; members never
 * exceed the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/sink.h"
#include "core/spool.h"
#include "core/utf8.h"
#include "sanitizers/archive/archive_names.h"
#include "sanitizers/archive/archive_read.h"
#include "sanitizers/archive/archive_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MEMBER (1u << 20)

struct fctx {
    struct mg_arname_set *set;
    struct mg_arw *w;
    uint64_t charged;
    unsigned ticks;
};

static bool f_time_ok(void *ctx)
{
    struct fctx *c = ctx;
    return ++c->ticks < 4096;
}
static bool f_charge(void *ctx, uint64_t n)
{
    struct fctx *c = ctx;
    c->charged += n;
    return c->charged <= 4u * MAX_MEMBER;
}
static struct mg_spool *f_spool(void *ctx)
{
    (void)ctx;
    return mg_spool_new(MAX_MEMBER, MAX_MEMBER, NULL);
}
static void f_release(void *ctx, struct mg_spool *sp)
{
    (void)ctx;
    mg_spool_free(sp);
}

static void check_name(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || !mg_utf8_valid((const uint8_t *)p, n) || p[0] == '/' || strstr(p, "//") ||
        strstr(p, "\xe2\x80\xae") || p[n - 1] == '/' || strchr(p, '\\'))
        abort();
    for (const char *c = p; c != NULL; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        if (strncmp(c, "../", 3) == 0 || strcmp(c, "..") == 0)
            abort();
    }
}

static enum mg_ar_status f_member(void *ctx, const struct mg_ar_member *m)
{
    struct fctx *c = ctx;
    if (m->len > MAX_MEMBER)
        abort();
    unsigned fl = 0;
    char *clean = mg_arname_clean(m->raw_name, m->raw_name_len, "CP932", m->index, &fl);
    if (clean == NULL)
        return MG_AR_RESOURCES;
    check_name(clean);
    struct mg_buf d;
    mg_buf_init(&d);
    mg_arname_display(m->raw_name, m->raw_name_len, "CP932", &d);
    mg_buf_free(&d);
    char *u = mg_arname_unique(c->set, clean, &fl);
    if (u != NULL) {
        check_name(u);
        if (m->kind == MG_AR_FILE)
            mg_arw_add(c->w, u, m->data, m->len, m->mtime);
    }
    free(u);
    free(clean);
    return MG_AR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_buf out;
    mg_buf_init(&out);
    mg_buf_set_limit(&out, 8u * MAX_MEMBER);
    struct mg_sink sink;
    mg_sink_init_buf(&sink, &out);
    struct fctx c = {.set = mg_arname_set_new(), .w = mg_arw_new(&sink)};
    if (c.w == NULL)
        abort();
    struct mg_ar_limits lim = {
        .max_member = MAX_MEMBER, .max_members = 256, .max_ratio = 200, .ratio_floor = 1u << 16,
    };
    struct mg_ar_hooks h = {
        .ctx = &c, .time_ok = f_time_ok, .charge = f_charge, .spool = f_spool,
        .release = f_release, .member = f_member,
    };
    struct mg_ar_info info;
    (void)mg_ar_read(data, size, &lim, &h, &info);
    if (info.expanded > 4u * MAX_MEMBER + 65536)
        abort();
    (void)mg_arw_finish(c.w);
    mg_arw_free(c.w);
    mg_arname_set_free(c.set);
    mg_buf_free(&out);
    return 0;
}
