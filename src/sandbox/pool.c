/* The front-end side of the sandbox: starts confined workers, hands each
 * job to an idle one, replaces workers that die, and blocks inputs that
 * keep killing them. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <libintl.h>
#include <glib.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/metrics.h"
#include "core/config.h"
#include "core/log.h"
#include "engine/audit.h"
#include "engine/quarantine.h"
#include "sandbox/frame.h"
#include "sandbox/poison.h"
#include "sandbox/sandbox_private.h"

struct worker {
    pid_t pid;                 /* 0 when there is none */
    int sock;
    bool busy;
    uint64_t jobs;
    char *scratch;
};

struct mg_sandbox {
    struct mg_engine *engine;
    mg_sandbox_runner run;
    enum mg_sandbox_mode mode;
    struct mg_confine confine;
    struct mg_sandbox_limits lim;
    uint64_t cpu_seconds;
    int timeout_ms;
    uint64_t poison_after;
    uint64_t max_jobs;
    char *user;
    char *tmpdir;
    size_t n;
    struct worker *w;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    struct mg_spawner *spawner;
    struct mg_poison *kills;   /* SHA-256 of an input -> workers it killed in a row (persistent) */
    uint64_t deaths;
    char describe[160];
};

static const char *const mode_names[] = { "seccomp", "rlimits-only", "off", NULL };

const char *mg_sandbox_mode_name(enum mg_sandbox_mode m)
{
    return (unsigned)m <= MG_SANDBOX_OFF ? mode_names[m] : "?";
}

enum mg_sandbox_mode mg_sandbox_mode(const struct mg_sandbox *sb)
{
    return sb->mode;
}

const struct mg_engine *mg_sandbox_engine(const struct mg_sandbox *sb)
{
    return sb->engine;
}

const char *mg_sandbox_describe(const struct mg_sandbox *sb)
{
    return sb->describe;
}

uint64_t mg_sandbox_worker_deaths(const struct mg_sandbox *sb)
{
    return __atomic_load_n(&sb->deaths, __ATOMIC_RELAXED);
}

size_t mg_sandbox_worker_pids(const struct mg_sandbox *sb, pid_t *out, size_t max)
{
    size_t k = 0;
    pthread_mutex_lock((pthread_mutex_t *)&sb->lock);
    for (size_t i = 0; i < sb->n && k < max; i++)
        if (sb->w[i].pid > 0)
            out[k++] = sb->w[i].pid;
    pthread_mutex_unlock((pthread_mutex_t *)&sb->lock);
    return k;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *dir)
{
    if (dir != NULL)
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* "signal 31 (SIGSYS)", "exit status 3" ... */
static char *status_text(int st)
{
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        const char *abbrev = sigabbrev_np(sig);
        return g_strdup_printf("signal %d (SIG%s)", sig, abbrev ? abbrev : "?");
    }
    if (WIFEXITED(st)) {
        if (WEXITSTATUS(st) == MG_WORKER_EXIT_TOO_BIG)
            return g_strdup("result larger than [sandbox] max-frame");
        return g_strdup_printf("exit status %d", WEXITSTATUS(st));
    }
    return g_strdup("unknown status");
}

/* Ends a worker (it may be alive, hung or dead) and says how it ended. */
static char *reap(struct mg_sandbox *sb, struct worker *w, bool force)
{
    char *why = NULL;
    if (w->sock >= 0)
        close(w->sock);
    w->sock = -1;
    if (w->pid > 0) {
        int st = mg_spawner_reap(sb->spawner, w->pid, force);
        why = st >= 0 ? status_text(st) : g_strdup("lost (the spawner did not answer)");
    }
    w->pid = 0;
    rm_tree(w->scratch);
    g_free(w->scratch);
    w->scratch = NULL;
    return why;
}

/* Child side of spawn: confine, report readiness, serve. */
/* Runs in a child of the spawner (ud is the spawner's copy of the pool). */
static void child(void *ud, const char *scratch, int sock)
{
    struct mg_sandbox *sb = ud;
    /* Nothing of the parent's but stderr (the log) and our socket (on fd
     * 3). stdout may be the very file the front end writes the sanitized
     * result to (mugai mail > out.eml): a worker must not be able to write
     * there, so stdout goes to stderr and stdin is /dev/null. */
    int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (dn < 0 || dup2(dn, 0) < 0 || dup2(2, 1) < 0 || dup2(sock, 3) < 0)
        _exit(MG_WORKER_EXIT_CONFINE);
    close_range(4, ~0u, 0);
    sock = 3;
    /* The front end's signal handlers (and a test harness's) must not run
     * in here: a crash has to end the worker with its own signal. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char err[512] = "";
    struct mg_confine c = sb->confine;
    c.scratch = scratch;
    bool ok = mg_engine_worker_prepare(sb->engine, scratch, err, sizeof(err)) &&
              mg_confine_apply(&c, err, sizeof(err));
    struct mg_buf b;
    mg_buf_init(&b);
    mg_frame_put_u32(&b, ok ? 1 : 0);
    mg_frame_put_str(&b, err);
    (void)mg_frame_send(sock, &b, -1);
    mg_buf_free(&b);
    if (!ok)
        _exit(MG_WORKER_EXIT_CONFINE);
    mg_sandbox_worker_main(sb->engine, sb->run, &sb->lim, sock, sb->cpu_seconds);
}

static bool spawn(struct mg_sandbox *sb, struct worker *w, GError **err)
{
    w->jobs = 0;
    w->scratch = g_build_filename(sb->tmpdir, "mugai-worker-XXXXXX", NULL);
    if (g_mkdtemp_full(w->scratch, 0700) == NULL ||
        (sb->confine.drop && chown(w->scratch, sb->confine.uid, sb->confine.gid) != 0)) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "sandbox: cannot create a scratch folder in %s: %s", sb->tmpdir, g_strerror(errno));
        g_free(w->scratch);
        w->scratch = NULL;
        return false;
    }
    if (!mg_spawner_spawn(sb->spawner, w->scratch, &w->pid, &w->sock, err)) {
        rm_tree(w->scratch);
        g_free(w->scratch);
        w->scratch = NULL;
        w->pid = 0;
        w->sock = -1;
        return false;
    }
    /* Readiness: the worker confined itself, or says why it could not. */
    struct mg_buf b;
    mg_buf_init(&b);
    int fd = -1;
    bool ok = mg_frame_recv(w->sock, &b, 4096, &fd, 30000);
    if (fd >= 0)
        close(fd);
    struct mg_frame_reader r;
    mg_frame_reader_init(&r, b.data, b.len);
    uint32_t ready = ok ? mg_frame_get_u32(&r) : 0;
    char *msg = ok ? mg_frame_get_str(&r, 1024) : NULL;
    ok = ok && mg_frame_done(&r) && ready == 1;
    mg_buf_free(&b);
    if (!ok) {
        char *why = reap(sb, w, true);
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "sandbox: a worker could not be confined (%s): %s",
                    mg_sandbox_mode_name(sb->mode), msg && *msg ? msg : why ? why : "no answer");
        g_free(why);
    }
    g_free(msg);
    return ok;
}

static bool read_config(struct mg_sandbox *sb, GError **err)
{
    const struct mg_policy *pol = mg_engine_policy(sb->engine);
    GKeyFile *kf = pol->kf;
    int mode = 0;
    uint64_t workers = 0, as = 0, fsize = 0, nofile = 0, frame = 0, out = 0;
    double cpu = 0, timeout = 0;
    if (!mg_config_get_choice(kf, "sandbox", "mode", mode_names, &mode, err) ||
        !mg_config_get_uint(kf, "sandbox", "workers", 256, &workers, err) ||
        (sb->user = mg_config_get_string(kf, "sandbox", "user", err)) == NULL ||
        !mg_config_get_size(kf, "sandbox", "memory", &as, err) ||
        !mg_config_get_duration(kf, "sandbox", "cpu-time", &cpu, err) ||
        !mg_config_get_duration(kf, "sandbox", "timeout", &timeout, err) ||
        !mg_config_get_size(kf, "sandbox", "file-size", &fsize, err) ||
        !mg_config_get_uint(kf, "sandbox", "open-files", 65536, &nofile, err) ||
        !mg_config_get_uint(kf, "sandbox", "poison-after", 1000, &sb->poison_after, err) ||
        !mg_config_get_uint(kf, "sandbox", "max-jobs", UINT32_MAX, &sb->max_jobs, err) ||
        !mg_config_get_size(kf, "sandbox", "max-frame", &frame, err) ||
        !mg_config_get_size(kf, "sandbox", "max-output", &out, err))
        return false;
    if (workers == 0 || nofile < 16 || sb->poison_after == 0 || frame < 65536 || timeout <= 0 ||
        frame > UINT32_MAX - 1) {
        g_set_error(err, MG_CONFIG_ERROR, 0, "[sandbox]: workers and poison-after must be at least 1, "
                    "open-files at least 16, max-frame between 64K and 4G, timeout above 0");
        return false;
    }
    sb->mode = (enum mg_sandbox_mode)mode;
    sb->n = (size_t)workers;
    sb->cpu_seconds = cpu > 0 ? (uint64_t)cpu + (cpu > (double)(uint64_t)cpu) : 0;
    sb->timeout_ms = timeout * 1000 > INT32_MAX ? INT32_MAX : (int)(timeout * 1000);
    sb->lim.max_frame = (size_t)frame;
    sb->lim.max_output = out ? (size_t)out : SIZE_MAX;
    sb->lim.inline_max = 1u << 20;
    sb->confine.mode = sb->mode;
    sb->confine.as_bytes = as;
    sb->confine.fsize_bytes = fsize;
    sb->confine.nofile = nofile;
    /* Workers' scratch folders hold libclamav's per-scan temporary folder
     * and files (created and removed for every scan): on a tmpfs that is
     * memory work, on a disk file system it is journal and discard work. */
    char *scratch = mg_config_get_string(kf, "sandbox", "scratch-dir", err);
    if (scratch == NULL)
        return false;
    if (*scratch)
        sb->tmpdir = scratch;
    else {
        g_free(scratch);
        sb->tmpdir = g_strdup(pol->tmpdir && *pol->tmpdir ? pol->tmpdir : g_get_tmp_dir());
    }
    if (geteuid() == 0 && sb->mode != MG_SANDBOX_OFF) {
        struct passwd *pw = getpwnam(sb->user);
        if (pw == NULL && strcmp(sb->user, "nobody") != 0) {
            mg_log(MG_LOG_NOTICE, NULL, NULL, "sandbox: user %s does not exist; workers run as nobody "
                   "(create the user: adduser --system --group %s)", sb->user, sb->user);
            pw = getpwnam("nobody");
        }
        if (pw == NULL || pw->pw_uid == 0) {
            g_set_error(err, MG_CONFIG_ERROR, 0, "[sandbox] user %s: no such user (or it is root); "
                        "workers must not run as root", sb->user);
            return false;
        }
        sb->confine.drop = true;
        sb->confine.uid = pw->pw_uid;
        sb->confine.gid = pw->pw_gid;
        g_free(sb->user);
        sb->user = g_strdup(pw->pw_name);
    }
    return true;
}

struct mg_sandbox *mg_sandbox_new_with_runner(struct mg_engine *e, mg_sandbox_runner run, GError **err)
{
    struct mg_sandbox *sb = g_new0(struct mg_sandbox, 1);
    sb->engine = e;
    sb->run = run;
    pthread_mutex_init(&sb->lock, NULL);
    pthread_cond_init(&sb->idle, NULL);
    if (!read_config(sb, err)) {
        mg_sandbox_free(sb);
        return NULL;
    }
    sb->kills = mg_poison_open(sb->mode == MG_SANDBOX_OFF ? NULL : mg_engine_policy(e)->quarantine_dir);
    if (sb->mode == MG_SANDBOX_OFF) {
        snprintf(sb->describe, sizeof(sb->describe), "off (jobs run inside the front end: debugging only)");
        mg_log(MG_LOG_WARN, NULL, NULL, "sandbox: mode = off: untrusted input is parsed INSIDE this process, "
               "without seccomp, Landlock or rlimits; for debugging only, never in production");
        return sb;
    }
    sb->w = g_new0(struct worker, sb->n);
    for (size_t i = 0; i < sb->n; i++)
        sb->w[i].sock = -1;
    /* The spawner first, while this process has (in serve: should have) no
     * other threads; it keeps only its control socket. */
    sb->spawner = mg_spawner_start(child, sb, err);
    if (sb->spawner == NULL) {
        mg_sandbox_free(sb);
        return NULL;
    }
    /* A worker must not inherit the others' sockets: each child closes every
     * descriptor but its own (close_range), and the sockets are CLOEXEC. */
    for (size_t i = 0; i < sb->n; i++) {
        if (!spawn(sb, &sb->w[i], err)) {
            mg_sandbox_free(sb);
            return NULL;
        }
    }
    char extra[64] = "";
    if (sb->mode == MG_SANDBOX_SECCOMP)
        snprintf(extra, sizeof(extra), ", landlock abi %d", mg_confine_landlock_abi());
    snprintf(sb->describe, sizeof(sb->describe), "%s (%zu workers%s, user %s)", mg_sandbox_mode_name(sb->mode),
             sb->n, extra, sb->confine.drop ? sb->user : "not switched: not started as root");
    mg_log(MG_LOG_NOTICE, NULL, NULL, "sandbox: %s", sb->describe);
    return sb;
}

static struct mg_item *default_run(struct mg_job *job, const char *name, const uint8_t *data, size_t len,
                                   enum mg_type_class forced)
{
    return mg_job_run(job, name, data, len, forced);
}

struct mg_sandbox *mg_sandbox_new(struct mg_engine *e, GError **err)
{
    return mg_sandbox_new_with_runner(e, default_run, err);
}

void mg_sandbox_free(struct mg_sandbox *sb)
{
    if (sb == NULL)
        return;
    for (size_t i = 0; sb->w && i < sb->n; i++) {
        /* Closing the socket ends a worker's loop; it exits by itself. */
        g_free(reap(sb, &sb->w[i], false));
    }
    mg_spawner_stop(sb->spawner);
    g_free(sb->w);
    g_free(sb->user);
    g_free(sb->tmpdir);
    mg_poison_free(sb->kills);
    pthread_mutex_destroy(&sb->lock);
    pthread_cond_destroy(&sb->idle);
    g_free(sb);
}

void mg_sandbox_reject(struct mg_sandbox *sb, const char *name, enum mg_reason r, const char *detail,
                       struct mg_sandbox_result *res)
{
    struct mg_job *job = mg_job_new(sb->engine, NULL);
    if (job == NULL)
        mg_log_fatal("out of memory");
    mg_job_reject(job, name, r, detail);
    mg_sandbox_result_from_job(job, res);
    mg_job_free(job);
}

static void in_process(struct mg_sandbox *sb, const char *name, const uint8_t *data, size_t len,
                       enum mg_type_class forced, struct mg_sandbox_result *res)
{
    struct mg_job *job = mg_job_new(sb->engine, NULL);
    if (job == NULL)
        mg_log_fatal("out of memory");
    sb->run(job, name, data, len, forced);
    mg_sandbox_result_from_job(job, res);
    mg_job_free(job);
}

/* One request/response on a worker; false when the worker broke. */
static bool exchange(struct mg_sandbox *sb, struct worker *w, const char *name, const uint8_t *data,
                     size_t len, enum mg_type_class forced, struct mg_sandbox_result *res)
{
    struct mg_buf b;
    mg_buf_init(&b);
    mg_frame_put_u32(&b, MG_SANDBOX_REQ_JOB);
    mg_frame_put_str(&b, name ? name : "");
    mg_frame_put_u32(&b, (uint32_t)forced);
    int fd = -1;
    if (len <= sb->lim.inline_max) {
        mg_frame_put_u32(&b, 1);
        mg_frame_put_bytes(&b, data ? data : (const uint8_t *)"", len);
    } else {
        mg_frame_put_u32(&b, 2);
        fd = mg_frame_memfd(data, len);
    }
    bool ok = (len <= sb->lim.inline_max || fd >= 0) && mg_frame_send(w->sock, &b, fd);
    if (fd >= 0)
        close(fd);
    int rfd = -1;
    ok = ok && mg_frame_recv(w->sock, &b, sb->lim.max_frame, &rfd, sb->timeout_ms);
    int saved = errno;
    ok = ok && mg_sandbox_result_decode(res, &sb->lim, b.data, b.len, rfd);
    if (!ok && saved == ETIMEDOUT)
        errno = ETIMEDOUT;
    mg_buf_free(&b);
    return ok;
}

static bool run_in_worker(struct mg_sandbox *sb, const char *name, const uint8_t *data, size_t len,
                          enum mg_type_class forced, struct mg_sandbox_result *res);

/* Metrics live in the serving process: the engine's own counting (in
 * mg_job_run) happens in the worker and dies with it, so a worker's job is
 * counted here from its result. In-process runs count themselves. */
static void count_job(const struct mg_sandbox_result *res, size_t len, double seconds)
{
    enum mg_type_class cls = MG_TC_UNKNOWN;
    if (res->n_nodes > 0 && res->nodes[0].type_class)
        mg_type_class_parse(res->nodes[0].type_class, &cls);
    uint64_t out = res->verdict == MG_SANITIZED ? res->output_len : res->verdict == MG_CLEAN ? len : 0;
    mg_metrics_job(cls, res->verdict, len, out);
    mg_metrics_observe(MG_STAGE_SANITIZE, seconds);
}

bool mg_sandbox_run(struct mg_sandbox *sb, const char *name, const uint8_t *data, size_t len,
                    enum mg_type_class forced, struct mg_sandbox_result *res)
{
    if (sb->mode == MG_SANDBOX_OFF) {
        in_process(sb, name, data, len, forced, res);
        return true;
    }
    mg_metrics_inflight(1);
    double t0 = g_get_monotonic_time() / 1e6;
    bool ok = run_in_worker(sb, name, data, len, forced, res);
    mg_metrics_inflight(-1);
    count_job(res, len, g_get_monotonic_time() / 1e6 - t0);
    return ok;
}

/* Waits for an idle worker for an input (sha: its poison key). NULL when
 * the input killed poison-after workers in a row already (*killed says how
 * many), or when a slot's worker cannot be started (*no_worker says why). */
static struct worker *acquire(struct mg_sandbox *sb, const char *name, const char *sha, uint64_t *killed,
                              char **no_worker)
{
    *no_worker = NULL;
    pthread_mutex_lock(&sb->lock);
    *killed = mg_poison_count(sb->kills, sha);
    struct worker *w = NULL;
    while (*killed < sb->poison_after) {
        for (size_t i = 0; i < sb->n && w == NULL; i++)
            if (!sb->w[i].busy && sb->w[i].pid > 0)
                w = &sb->w[i];
        /* A slot whose replacement could not be started gets another try. */
        for (size_t i = 0; i < sb->n && w == NULL; i++)
            if (!sb->w[i].busy)
                w = &sb->w[i];
        if (w != NULL)
            break;
        pthread_cond_wait(&sb->idle, &sb->lock);
    }
    if (w != NULL)
        w->busy = true;
    pthread_mutex_unlock(&sb->lock);
    if (w != NULL && w->pid == 0) {
        GError *err = NULL;
        if (!spawn(sb, w, &err)) {
            mg_log(MG_LOG_ERROR, NULL, name, "%s", err->message);
            *no_worker = g_strdup_printf("no sandbox worker: %s", err->message);
            g_error_free(err);
            pthread_mutex_lock(&sb->lock);
            w->busy = false;
            pthread_cond_broadcast(&sb->idle);
            pthread_mutex_unlock(&sb->lock);
            return NULL;
        }
    }
    return w;
}

/* Gives w back after one exchange (ok: it answered; err_no: errno of the
 * failure). A failed worker is replaced and the kill counted against the
 * input (*killed: the new count); returns the failure's description, NULL
 * when ok. */
static char *release(struct mg_sandbox *sb, struct worker *w, bool ok, int err_no, const char *name,
                     const char *sha, uint64_t *killed)
{
    bool timed_out = !ok && err_no == ETIMEDOUT;
    /* A worker alive but talking nonsense (or too much) is killed like a
     * crashed one; say which it was. */
    bool garbled = !ok && (err_no == EPROTO || err_no == EMSGSIZE);
    char *why = NULL;
    w->jobs++;
    if (!ok || (sb->max_jobs && w->jobs >= sb->max_jobs)) {
        why = reap(sb, w, true);
        if (!ok)
            mg_metrics_worker_restart();
        GError *err = NULL;
        if (!spawn(sb, w, &err)) {
            mg_log(MG_LOG_ERROR, NULL, NULL, "%s", err->message);
            g_error_free(err);
        }
    }
    pthread_mutex_lock(&sb->lock);
    if (ok) {
        mg_poison_forget(sb->kills, sha);
    } else {
        /* Counted in the state file too: a restart keeps the count. */
        *killed = mg_poison_killed(sb->kills, sha);
        sb->deaths++;
    }
    w->busy = false;
    pthread_cond_broadcast(&sb->idle);
    pthread_mutex_unlock(&sb->lock);
    char *d = NULL;
    if (!ok) {
        d = g_strdup_printf("sandbox worker %s: %s",
                            timed_out ? "timed out" : garbled ? "sent a malformed or oversized result" : "failed",
                            why ? why : "broken protocol");
        mg_log(MG_LOG_ERROR, NULL, name, "%s (input sha256 %s, %" PRIu64 " in a row)", d, sha, *killed);
    }
    g_free(why);
    return d;
}

static gchar *input_sha(const uint8_t *data, size_t len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data ? data : (const uint8_t *)"", len);
}

static bool run_in_worker(struct mg_sandbox *sb, const char *name, const uint8_t *data, size_t len,
                          enum mg_type_class forced, struct mg_sandbox_result *res)
{
    /* The input's SHA-256 only matters once some input has killed a
     * worker: hashing every input up front cost more than the rest of the
     * hand-off (glib's SHA-256: 6 ms for a mail with a 1 MB attachment). An
     * input hashed late (its first failure) still counts from 1, and the
     * count is read from the state file then (mg_poison_killed). */
    pthread_mutex_lock(&sb->lock);
    bool any_kills = mg_poison_any(sb->kills);
    pthread_mutex_unlock(&sb->lock);
    gchar *sha = any_kills ? input_sha(data, len) : NULL;
    uint64_t killed = 0;
    char *no_worker = NULL;
    struct worker *w = acquire(sb, name, sha, &killed, &no_worker);
    if (no_worker != NULL) {
        mg_sandbox_reject(sb, name, MG_R_INTERNAL, no_worker, res);
        res->worker_failure = no_worker;
        g_free(sha);
        return false;
    }
    if (w == NULL) {
        /* Killed workers poison-after times in a row already: never again. */
        char *d = g_strdup_printf("killed %" PRIu64 " workers in a row", killed);
        mg_sandbox_reject(sb, name, MG_R_POISON, d, res);
        g_free(d);
        g_free(sha);
        return true;
    }

    bool ok = exchange(sb, w, name, data, len, forced, res);
    int err_no = errno;
    if (!ok && sha == NULL)
        sha = input_sha(data, len);
    char *d = release(sb, w, ok, err_no, name, sha, &killed);
    if (!ok) {
        if (killed >= sb->poison_after) {
            char *pd = g_strdup_printf("killed %" PRIu64 " workers in a row; last: %s", killed, d);
            struct mg_job *job = mg_job_new(sb->engine, NULL);
            if (job == NULL)
                mg_log_fatal("out of memory");
            mg_job_reject(job, name, MG_R_POISON, pd);
            mg_sandbox_result_from_job(job, res);
            /* A poison input is kept for the administrator, like any block. */
            (void)mg_quarantine_store(mg_engine_policy(sb->engine), job, data ? data : (const uint8_t *)"",
                                      len, NULL);
            mg_job_free(job);
            g_free(pd);
        } else {
            /* Never final by itself: the sender (or the operator) retries. */
            mg_sandbox_reject(sb, name, MG_R_INTERNAL, d, res);
        }
        res->worker_failure = d;
    }
    g_free(sha);
    return ok;
}

/* A transform (sandbox.h) in a worker: same acquisition, failure and
 * poison accounting as a job. The poison key covers the kind, the bytes
 * and the Content-Encoding (the same bytes are another parse as deflate),
 * but never a password: the key is logged, and a hash of the password
 * with bytes the sender knows could be brute-forced offline. */
bool mg_sandbox_transform(struct mg_sandbox *sb, enum mg_sandbox_xform kind, const char *param,
                          const uint8_t *data, size_t len, uint64_t max_out, struct mg_sandbox_xresult *res)
{
    memset(res, 0, sizeof(*res));
    if (sb->mode == MG_SANDBOX_OFF) {
        mg_sandbox_xform_local(mg_engine_policy(sb->engine), kind, param, data, len, max_out, res);
        return true;
    }
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    char tag[32];
    snprintf(tag, sizeof(tag), "mugai-transform-%u:", (unsigned)kind);
    g_checksum_update(ck, (const guchar *)tag, (gssize)strlen(tag));
    if (kind == MG_XFORM_HTTP_DECODE && param != NULL)
        g_checksum_update(ck, (const guchar *)param, (gssize)strnlen(param, 256) + 1);
    g_checksum_update(ck, data ? data : (const uint8_t *)"", (gssize)len);
    gchar *sha = g_strdup(g_checksum_get_string(ck));
    g_checksum_free(ck);
    const char *name = mg_sandbox_xform_name(kind);
    uint64_t killed = 0;
    char *no_worker = NULL;
    struct worker *w = acquire(sb, name, sha, &killed, &no_worker);
    bool ok = false;
    if (no_worker != NULL) {
        res->worker_failure = no_worker;
    } else if (w == NULL) {
        res->poison = true;
        res->worker_failure = g_strdup_printf("killed %" PRIu64 " workers in a row", killed);
    } else {
        ok = mg_sandbox_xform_exchange(w->sock, &sb->lim, sb->timeout_ms, kind, param, data, len, max_out, res);
        char *d = release(sb, w, ok, errno, name, sha, &killed);
        if (!ok) {
            res->poison = killed >= sb->poison_after;
            res->worker_failure = d;
        }
    }
    if (!ok)
        res->status = -1;
    g_free(sha);
    return ok;
}

const char *mg_sandbox_gettext(const struct mg_sandbox *sb, const char *msgid)
{
    if (mg_engine_policy(sb->engine)->lang == MG_LANG_EN)
        return msgid;
    return dgettext("mugai", msgid);
}

bool mg_sandbox_audit(const struct mg_sandbox *sb, const struct mg_sandbox_result *res, const char *extra)
{
    return mg_audit_body(mg_engine_policy(sb->engine), res->job_id, extra, res->audit_line,
                         strlen(res->audit_line));
}

bool mg_sandbox_quarantine(const struct mg_sandbox *sb, const struct mg_sandbox_result *res, const char *name,
                           const uint8_t *data, size_t len, const char *meta_json)
{
    struct mg_quarantine_rec q = {
        .id = res->job_id,
        .verdict = mg_verdict_name(res->verdict),
        .reason = mg_reason_keyword(res->reason),
        .name = name,
        .report_json = res->report_json,
    };
    return mg_quarantine_store_rec(mg_engine_policy(sb->engine), &q, data, len, meta_json);
}
