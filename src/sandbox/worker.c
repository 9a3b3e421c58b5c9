/* The worker side: one request frame in (name, forced class, the bytes
 * inline or in a memfd), one result frame out, until the front end closes
 * the socket. The process is already confined when this runs. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/log.h"
#include "sandbox/frame.h"
#include "sandbox/sandbox_private.h"

static bool serve_one(struct mg_engine *e, mg_sandbox_runner run, const struct mg_sandbox_limits *lim,
                      int sock, uint64_t cpu_seconds, struct mg_buf *in)
{
    int fd = -1;
    if (!mg_frame_recv(sock, in, lim->max_frame, &fd, -1))
        return false;          /* EOF: the front end is done with us */
    struct mg_frame_reader r;
    mg_frame_reader_init(&r, in->data, in->len);
    uint32_t kind = mg_frame_get_u32(&r);
    if (kind == MG_SANDBOX_REQ_XFORM) {
        mg_confine_cpu_for_job(cpu_seconds);
        return mg_sandbox_xform_serve(mg_engine_policy(e), lim, sock, &r, fd);
    }
    char *name = mg_frame_get_str(&r, 4096);
    uint32_t forced = mg_frame_get_u32(&r);
    uint32_t inline_data = mg_frame_get_u32(&r);
    const uint8_t *data = NULL;
    size_t len = 0;
    uint8_t *map = NULL;
    size_t map_len = 0;
    if (inline_data == 1) {
        data = mg_frame_get_bytes(&r, lim->inline_max, &len);
    } else if (fd >= 0) {
        map = mg_frame_map_fd(fd, SIZE_MAX, &map_len);
        data = map;
        len = map_len;
    }
    if (fd >= 0)
        close(fd);
    if (!mg_frame_done(&r) || kind != MG_SANDBOX_REQ_JOB || name == NULL || forced >= MG_TC__COUNT || data == NULL) {
        /* The front end never sends this: treat it as fatal for the worker. */
        g_free(name);
        return false;
    }
    mg_confine_cpu_for_job(cpu_seconds);
    struct mg_job *job = mg_job_new(e, NULL);
    struct mg_sandbox_result res;
    if (job == NULL) {
        g_free(name);
        return false;
    }
    run(job, name, data, len, (enum mg_type_class)forced);
    mg_sandbox_result_from_job(job, &res);
    mg_job_free(job);
    if (map_len)
        munmap(map, map_len);
    g_free(name);
    struct mg_buf out;
    mg_buf_init(&out);
    int ofd = -1;
    bool ok = mg_sandbox_result_encode(&res, lim, &out, &ofd);
    if (!ok) {
        /* Too big to carry back (max-frame): the front end turns this exit
         * status into a temporary failure naming the cause. */
        mg_log(MG_LOG_ERROR, res.job_id, NULL, "sandbox: the result does not fit in a frame");
        _exit(MG_WORKER_EXIT_TOO_BIG);
    }
    ok = ok && mg_frame_send(sock, &out, ofd);
    if (ofd >= 0)
        close(ofd);
    mg_buf_free(&out);
    mg_sandbox_result_clear(&res);
    return ok;
}

_Noreturn void mg_sandbox_worker_main(struct mg_engine *e, mg_sandbox_runner run,
                                      const struct mg_sandbox_limits *lim, int sock,
                                      uint64_t cpu_seconds)
{
    struct mg_buf in;
    mg_buf_init(&in);
    while (serve_one(e, run, lim, sock, cpu_seconds, &in))
        mg_buf_reset(&in);
    /* _exit: no atexit handlers of the parent's libraries run in here. */
    _exit(0);
}
