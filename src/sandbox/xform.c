/* Transforms in a worker: decoding an HTTP Content-Encoding (ICAP) and
 * decrypting a quarantined archive (`mugai quarantine unlock`). Both run
 * zlib, libbrotli or libarchive on attacker bytes, which is parsing: a
 * decompression bomb or a library bug must cost one request, not the
 * process holding the listening sockets or the quarantine. They are not
 * jobs (no verdict, no report): bytes in, a status and bytes out.
 *
 * Request (after the leading MG_SANDBOX_REQ_XFORM): u32 kind, str param
 * (the Content-Encoding value, the password), u64 max_out, u32 1 + bytes
 * inline or u32 2 + a sealed memfd. Reply: u32 status, str detail, u32 0
 * (no output) / 1 + bytes inline / 2 + a sealed memfd. The front end
 * checks the status against the kind's range, the output against max_out,
 * and that a failed transform has no output. */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/spool.h"
#include "proto/icap/icap_decode.h"
#include "sandbox/frame.h"
#include "sandbox/sandbox_private.h"
#include "sanitizers/archive/archive_unlock.h"

#define PARAM_MAX 4096
#define DETAIL_MAX 1024

const char *mg_sandbox_xform_name(enum mg_sandbox_xform k)
{
    switch (k) {
    case MG_XFORM_HTTP_DECODE: return "content-encoding";
    case MG_XFORM_ARCHIVE_DECRYPT: return "archive-decrypt";
    }
    return "?";
}

/* Highest valid status of a kind (0 is success for both). */
static int status_max(uint32_t kind)
{
    return kind == MG_XFORM_HTTP_DECODE ? MG_ICAP_DEC_NOMEM : MG_AR_INTERNAL;
}

struct xout {
    struct mg_spool *sp;
    struct mg_buf b;
    int status;
    char detail[200];
};

static void apply(const struct mg_policy *pol, uint32_t kind, const char *param, const uint8_t *in, size_t len,
                  uint64_t max, struct xout *o)
{
    memset(o, 0, sizeof(*o));
    mg_buf_init(&o->b);
    if (kind == MG_XFORM_HTTP_DECODE) {
        o->sp = mg_spool_new((size_t)pol->spool_threshold, 0, pol->tmpdir);
        o->status = o->sp ? (int)mg_icap_decode(param ? param : "", in, len, o->sp, max) : MG_ICAP_DEC_NOMEM;
        if (o->status == MG_ICAP_DEC_OK && mg_spool_failed(o->sp))
            o->status = MG_ICAP_DEC_NOMEM;
    } else {
        mg_buf_set_limit(&o->b, max > SIZE_MAX ? SIZE_MAX : (size_t)max);
        o->status = (int)mg_archive_decrypt(pol, in, len, param ? param : "", &o->b, o->detail,
                                            sizeof(o->detail));
    }
}

static const uint8_t *xout_view(struct xout *o, size_t *len)
{
    *len = 0;
    if (o->status != 0)
        return NULL;
    if (o->sp) {
        const uint8_t *p = mg_spool_view(o->sp, len);
        return p ? p : (const uint8_t *)"";
    }
    *len = o->b.len;
    return o->b.data ? o->b.data : (const uint8_t *)"";
}

static void xout_free(struct xout *o)
{
    mg_spool_free(o->sp);
    if (o->b.data)
        explicit_bzero(o->b.data, o->b.len); /* decrypted bytes: do not leave them lying around */
    mg_buf_free(&o->b);
}

void mg_sandbox_xform_local(const struct mg_policy *pol, enum mg_sandbox_xform kind, const char *param,
                            const uint8_t *data, size_t len, uint64_t max_out, struct mg_sandbox_xresult *res)
{
    struct xout o;
    apply(pol, kind, param, data ? data : (const uint8_t *)"", len, max_out, &o);
    res->status = o.status;
    res->detail = o.detail[0] ? g_strdup(o.detail) : NULL;
    size_t n = 0;
    const uint8_t *p = xout_view(&o, &n);
    if (p != NULL) {
        res->out_map = g_memdup2(n ? p : (const uint8_t *)"", n ? n : 1);
        res->out_map_len = n;
        res->out = res->out_map;
        res->out_len = n;
    }
    xout_free(&o);
}

bool mg_sandbox_xform_serve(const struct mg_policy *pol, const struct mg_sandbox_limits *lim, int sock,
                            struct mg_frame_reader *r, int fd)
{
    uint32_t kind = mg_frame_get_u32(r);
    char *param = mg_frame_get_str(r, PARAM_MAX);
    uint64_t max = mg_frame_get_u64(r);
    uint32_t how = mg_frame_get_u32(r);
    const uint8_t *data = NULL;
    size_t len = 0, map_len = 0;
    uint8_t *map = NULL;
    if (how == 1) {
        data = mg_frame_get_bytes(r, lim->inline_max, &len);
    } else if (how == 2 && fd >= 0) {
        map = mg_frame_map_fd(fd, SIZE_MAX, &map_len);
        data = map;
        len = map_len;
    }
    if (fd >= 0)
        close(fd);
    bool ok = mg_frame_done(r) && data != NULL && (kind == MG_XFORM_HTTP_DECODE || kind == MG_XFORM_ARCHIVE_DECRYPT);
    struct xout o;
    if (ok)
        apply(pol, kind, param, data, len, max, &o);
    if (param) {
        explicit_bzero(param, strlen(param));
        g_free(param);
    }
    if (map_len)
        munmap(map, map_len);
    if (!ok)
        return false;          /* the front end never sends this */
    struct mg_buf b;
    mg_buf_init(&b);
    size_t n = 0;
    const uint8_t *p = xout_view(&o, &n);
    int ofd = -1;
    ok = mg_sandbox_xform_reply_encode(&b, lim, o.status, o.detail, p, n, &ofd) && mg_frame_send(sock, &b, ofd);
    if (ofd >= 0)
        close(ofd);
    mg_buf_free(&b);
    xout_free(&o);
    return ok;
}

bool mg_sandbox_xform_reply_encode(struct mg_buf *b, const struct mg_sandbox_limits *lim, int status,
                                   const char *detail, const uint8_t *out, size_t n, int *fd)
{
    *fd = -1;
    mg_frame_put_u32(b, (uint32_t)status);
    mg_frame_put_str(b, detail ? detail : "");
    if (out == NULL) {
        mg_frame_put_u32(b, 0);
    } else if (n <= lim->inline_max) {
        mg_frame_put_u32(b, 1);
        mg_frame_put_bytes(b, out, n);
    } else {
        mg_frame_put_u32(b, 2);
        *fd = mg_frame_memfd(out, n);
    }
    return !mg_buf_failed(b) && (out == NULL || n <= lim->inline_max || *fd >= 0);
}

bool mg_sandbox_xform_reply_decode(struct mg_sandbox_xresult *res, const struct mg_sandbox_limits *lim,
                                   enum mg_sandbox_xform kind, uint64_t max_out, const uint8_t *p, size_t len,
                                   int fd)
{
    memset(res, 0, sizeof(*res));
    struct mg_frame_reader r;
    mg_frame_reader_init(&r, p, len);
    uint32_t status = mg_frame_get_u32(&r);
    char *detail = mg_frame_get_str(&r, DETAIL_MAX);
    uint32_t how = mg_frame_get_u32(&r);
    size_t n = 0;
    uint64_t cap = max_out < lim->max_output ? max_out : lim->max_output;
    if (how == 1) {
        const uint8_t *q = mg_frame_get_bytes(&r, lim->inline_max, &n);
        if (q != NULL && n <= cap) {
            res->out_map = g_memdup2(n ? q : (const uint8_t *)"", n ? n : 1);
            res->out_map_len = n;
            res->out = res->out_map;
            res->out_len = n;
        }
    } else if (how == 2 && fd >= 0) {
        uint8_t *m = mg_frame_map_fd(fd, cap > SIZE_MAX ? SIZE_MAX : (size_t)cap, &n);
        if (m != NULL) {
            res->out_mapped = true;
            res->out_map = n ? m : NULL;
            res->out_map_len = n;
            res->out = m;
            res->out_len = n;
        }
    }
    if (fd >= 0)
        close(fd);
    /* A worker is not trusted to speak the protocol: a status out of range,
     * output with a failure, no output with a success, a memfd that does
     * not belong, no detail string, or more than asked for all count as a
     * broken worker. */
    bool good = mg_frame_done(&r) && detail != NULL && status <= (uint32_t)status_max(kind) && how <= 2 &&
                (status == 0) == (how != 0) && (how == 0 || res->out != NULL) && (fd < 0 || how == 2);
    if (!good) {
        g_free(detail);
        mg_sandbox_xresult_clear(res);
        errno = EPROTO;
        return false;
    }
    res->status = (int)status;
    res->detail = *detail ? detail : NULL;
    if (res->detail == NULL)
        g_free(detail);
    return true;
}

bool mg_sandbox_xform_exchange(int sock, const struct mg_sandbox_limits *lim, int timeout_ms,
                               enum mg_sandbox_xform kind, const char *param, const uint8_t *data, size_t len,
                               uint64_t max_out, struct mg_sandbox_xresult *res)
{
    struct mg_buf b;
    mg_buf_init(&b);
    mg_frame_put_u32(&b, MG_SANDBOX_REQ_XFORM);
    mg_frame_put_u32(&b, (uint32_t)kind);
    mg_frame_put_str(&b, param);
    mg_frame_put_u64(&b, max_out);
    int fd = -1;
    if (len <= lim->inline_max) {
        mg_frame_put_u32(&b, 1);
        mg_frame_put_bytes(&b, data ? data : (const uint8_t *)"", len);
    } else {
        mg_frame_put_u32(&b, 2);
        fd = mg_frame_memfd(data, len);
    }
    bool ok = !mg_buf_failed(&b) && (len <= lim->inline_max || fd >= 0) && mg_frame_send(sock, &b, fd);
    if (b.data && param)
        explicit_bzero(b.data, b.len); /* the frame holds the password */
    if (fd >= 0)
        close(fd);
    int rfd = -1;
    ok = ok && mg_frame_recv(sock, &b, lim->max_frame, &rfd, timeout_ms);
    if (!ok) {
        int saved = errno;
        if (rfd >= 0)
            close(rfd);
        mg_buf_free(&b);
        errno = saved;
        return false;
    }
    ok = mg_sandbox_xform_reply_decode(res, lim, kind, max_out, b.data, b.len, rfd);
    mg_buf_free(&b);
    return ok;
}

void mg_sandbox_xresult_clear(struct mg_sandbox_xresult *res)
{
    if (res->out_mapped) {
        if (res->out_map_len)
            munmap(res->out_map, res->out_map_len);
    } else if (res->out_map) {
        explicit_bzero(res->out_map, res->out_map_len);
        g_free(res->out_map);
    }
    g_free(res->detail);
    g_free(res->worker_failure);
    memset(res, 0, sizeof(*res));
}
