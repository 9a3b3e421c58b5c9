/* Inside the sandbox module: result encoding, worker confinement and the
 * worker loop. Nothing outside src/sandbox/ (and its tests) includes this. */
#ifndef MG_SANDBOX_PRIVATE_H
#define MG_SANDBOX_PRIVATE_H

#include <sys/types.h>

#include "core/buf.h"
#include "sandbox/sandbox.h"

/* What a worker runs for a job: mg_job_run normally. Tests substitute a
 * runner that misbehaves (opens files, makes sockets, crashes, hangs) to
 * prove the confinement; that runner lives in the test program only. */
typedef struct mg_item *(*mg_sandbox_runner)(struct mg_job *job, const char *name,
                                             const uint8_t *data, size_t len,
                                             enum mg_type_class forced);
struct mg_sandbox *mg_sandbox_new_with_runner(struct mg_engine *e, mg_sandbox_runner run,
                                              GError **err);
/* Pids of the current workers (tests kill one mid-job); returns how many. */
size_t mg_sandbox_worker_pids(const struct mg_sandbox *sb, pid_t *out, size_t max);

struct mg_sandbox_limits {
    size_t max_output;   /* output bytes accepted back from a worker */
    size_t max_frame;    /* any one frame (reports, notices, node list) */
    size_t inline_max;   /* bulk bytes up to this go inside the frame, above in a memfd */
};

/* Renders a finished job into res (copies everything; the job may go). */
void mg_sandbox_result_from_job(struct mg_job *job, struct mg_sandbox_result *res);
/* Result <-> frame. encode sets *fd to a memfd holding the output when it
 * is larger than inline_max (else -1); the caller closes it after sending.
 * decode takes ownership of fd and checks every size against lim. */
bool mg_sandbox_result_encode(const struct mg_sandbox_result *res, const struct mg_sandbox_limits *lim,
                              struct mg_buf *b, int *fd);
bool mg_sandbox_result_decode(struct mg_sandbox_result *res, const struct mg_sandbox_limits *lim,
                              const uint8_t *p, size_t len, int fd);

struct mg_confine {
    enum mg_sandbox_mode mode;
    bool drop;                 /* started as root: switch to uid/gid */
    uid_t uid;
    gid_t gid;
    uint64_t as_bytes;         /* RLIMIT_AS, 0 = leave */
    uint64_t fsize_bytes;      /* RLIMIT_FSIZE */
    uint64_t nofile;           /* RLIMIT_NOFILE */
    const char *scratch;       /* the only folder the worker may write */
};
/* Landlock ABI version of the running kernel, 0 when unavailable. */
int mg_confine_landlock_abi(void);
/* Applies everything in order (privileges, rlimits, landlock, seccomp).
 * False with errbuf filled; the worker must then exit without a job. */
bool mg_confine_apply(const struct mg_confine *c, char *errbuf, size_t errlen);
/* RLIMIT_CPU soft limit = CPU used so far + seconds (per job). */
void mg_confine_cpu_for_job(uint64_t seconds);

/* The spawner process (spawner.c): forks workers for a threaded front end. */
struct mg_spawner;
typedef void (*mg_spawner_child)(void *ud, const char *scratch, int sock);
struct mg_spawner *mg_spawner_start(mg_spawner_child child, void *ud, GError **err);
bool mg_spawner_spawn(struct mg_spawner *s, const char *scratch, pid_t *pid, int *sock, GError **err);
/* Kills pid first when force; waits for it. Its wait status, -1 when unknown. */
int mg_spawner_reap(struct mg_spawner *s, pid_t pid, bool force);
void mg_spawner_stop(struct mg_spawner *s);

/* The first field of every request frame: what the worker is asked. */
#define MG_SANDBOX_REQ_JOB 0u
#define MG_SANDBOX_REQ_XFORM 1u

struct mg_frame_reader;
const char *mg_sandbox_xform_name(enum mg_sandbox_xform k);
/* mode = off: the transform in this process. */
void mg_sandbox_xform_local(const struct mg_policy *pol, enum mg_sandbox_xform kind, const char *param,
                            const uint8_t *data, size_t len, uint64_t max_out, struct mg_sandbox_xresult *res);
/* Front end: one transform request/reply on a worker's socket; false with
 * errno (ETIMEDOUT, EPROTO...) when the worker failed or broke the protocol. */
bool mg_sandbox_xform_exchange(int sock, const struct mg_sandbox_limits *lim, int timeout_ms,
                               enum mg_sandbox_xform kind, const char *param, const uint8_t *data, size_t len,
                               uint64_t max_out, struct mg_sandbox_xresult *res);
/* A transform's reply frame (the worker's side, and its check by the front
 * end, which a compromised worker controls byte for byte: fuzzed by
 * fuzz/fuzz_sandbox_xform.c). decode takes ownership of fd. */
bool mg_sandbox_xform_reply_encode(struct mg_buf *b, const struct mg_sandbox_limits *lim, int status,
                                   const char *detail, const uint8_t *out, size_t n, int *fd);
bool mg_sandbox_xform_reply_decode(struct mg_sandbox_xresult *res, const struct mg_sandbox_limits *lim,
                                   enum mg_sandbox_xform kind, uint64_t max_out, const uint8_t *p, size_t len,
                                   int fd);
/* Worker: serves a transform request (r is past the request kind; fd the
 * passed memfd or -1, always closed). False when the request was malformed
 * or the reply could not be sent. */
bool mg_sandbox_xform_serve(const struct mg_policy *pol, const struct mg_sandbox_limits *lim, int sock,
                            struct mg_frame_reader *r, int fd);

/* Exit statuses of a worker that ends on purpose. */
#define MG_WORKER_EXIT_TOO_BIG 3
#define MG_WORKER_EXIT_CONFINE 4

/* The worker: serves jobs on sock until EOF, then _exit(0). */
_Noreturn void mg_sandbox_worker_main(struct mg_engine *e, mg_sandbox_runner run,
                                      const struct mg_sandbox_limits *lim, int sock,
                                      uint64_t cpu_seconds);

#endif
