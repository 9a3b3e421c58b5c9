/* The spawner: a process forked when the pool starts, before the front end
 * has threads, that forks every worker on request. Forking workers from a
 * multi-threaded front end (serve) would copy locks other threads hold at
 * that instant (gettext, glib, libclamav) into the child, where nobody
 * would ever release them; the spawner has one thread, so its forks are
 * clean. Workers are its children: it kills and reaps them on request and
 * reports their wait status. Requests are serialised by a mutex. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/frame.h"
#include "sandbox/sandbox_private.h"

enum { OP_SPAWN = 1, OP_REAP = 2 };

struct mg_spawner {
    pid_t pid;
    int ctl;
    pthread_mutex_t lock;
};

static void reset_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static bool reply(int ctl, uint32_t a, uint32_t b, const char *msg, int fd)
{
    struct mg_buf out;
    mg_buf_init(&out);
    mg_frame_put_u32(&out, a);
    mg_frame_put_u32(&out, b);
    mg_frame_put_str(&out, msg);
    bool ok = mg_frame_send(ctl, &out, fd);
    mg_buf_free(&out);
    return ok;
}

_Noreturn static void spawner_main(int ctl, mg_spawner_child child, void *ud)
{
    struct mg_buf in;
    mg_buf_init(&in);
    for (;;) {
        int fd = -1;
        if (!mg_frame_recv(ctl, &in, 65536, &fd, -1))
            _exit(0);   /* the front end is gone or done: workers follow (PDEATHSIG) */
        if (fd >= 0)
            close(fd);
        struct mg_frame_reader r;
        mg_frame_reader_init(&r, in.data, in.len);
        uint32_t op = mg_frame_get_u32(&r);
        if (op == OP_SPAWN) {
            char *scratch = mg_frame_get_str(&r, 4096);
            if (!mg_frame_done(&r) || scratch == NULL)
                _exit(1);
            int sv[2] = { -1, -1 };
            pid_t pid = -1;
            int err = 0;
            if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
                err = errno;
            } else {
                pid = fork();
                if (pid == 0) {
                    close(ctl);
                    close(sv[0]);
                    child(ud, scratch, sv[1]);
                }
                err = errno;
                close(sv[1]);
            }
            bool ok = reply(ctl, pid > 0, pid > 0 ? (uint32_t)pid : 0, pid > 0 ? "" : strerror(err),
                            pid > 0 ? sv[0] : -1);
            if (sv[0] >= 0)
                close(sv[0]);
            g_free(scratch);
            if (!ok)
                _exit(1);
        } else if (op == OP_REAP) {
            uint32_t pid = mg_frame_get_u32(&r), force = mg_frame_get_u32(&r);
            if (!mg_frame_done(&r) || pid == 0 || pid > INT32_MAX)
                _exit(1);
            if (force)
                kill((pid_t)pid, SIGKILL);
            int st = 0;
            pid_t got;
            while ((got = waitpid((pid_t)pid, &st, 0)) < 0 && errno == EINTR)
                ;
            if (!reply(ctl, got == (pid_t)pid, (uint32_t)st, "", -1))
                _exit(1);
        } else {
            _exit(1);
        }
    }
}

struct mg_spawner *mg_spawner_start(mg_spawner_child child, void *ud, GError **err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "sandbox: socketpair: %s", g_strerror(errno));
        return NULL;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "sandbox: fork: %s", g_strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    if (pid == 0) {
        reset_signals();
        int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (dn < 0 || dup2(dn, 0) < 0 || dup2(2, 1) < 0 || dup2(sv[1], 3) < 0)
            _exit(1);
        close_range(4, ~0u, 0);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(1);
        spawner_main(3, child, ud);
    }
    close(sv[1]);
    struct mg_spawner *s = g_new0(struct mg_spawner, 1);
    s->pid = pid;
    s->ctl = sv[0];
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

/* One request, one answer; the spawner's answers are quick (a fork, or a
 * wait for a process that was just killed or told to exit). */
static bool ask(struct mg_spawner *s, const struct mg_buf *req, uint32_t *a, uint32_t *b, char **msg, int *fd)
{
    struct mg_buf in;
    mg_buf_init(&in);
    pthread_mutex_lock(&s->lock);
    bool ok = s->ctl >= 0 && mg_frame_send(s->ctl, req, -1) && mg_frame_recv(s->ctl, &in, 65536, fd, 60000);
    pthread_mutex_unlock(&s->lock);
    struct mg_frame_reader r;
    mg_frame_reader_init(&r, in.data, in.len);
    if (ok) {
        *a = mg_frame_get_u32(&r);
        *b = mg_frame_get_u32(&r);
        *msg = mg_frame_get_str(&r, 1024);
        ok = mg_frame_done(&r);
    }
    mg_buf_free(&in);
    return ok;
}

bool mg_spawner_spawn(struct mg_spawner *s, const char *scratch, pid_t *pid, int *sock, GError **err)
{
    struct mg_buf req;
    mg_buf_init(&req);
    mg_frame_put_u32(&req, OP_SPAWN);
    mg_frame_put_str(&req, scratch);
    uint32_t ok = 0, p = 0;
    char *msg = NULL;
    int fd = -1;
    bool sent = ask(s, &req, &ok, &p, &msg, &fd);
    mg_buf_free(&req);
    if (!sent || !ok || p == 0 || fd < 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "sandbox: the spawner cannot start a worker: %s",
                    sent ? (msg && *msg ? msg : "no descriptor") : "spawner gone");
        if (fd >= 0)
            close(fd);
        g_free(msg);
        return false;
    }
    g_free(msg);
    *pid = (pid_t)p;
    *sock = fd;
    return true;
}

int mg_spawner_reap(struct mg_spawner *s, pid_t pid, bool force)
{
    struct mg_buf req;
    mg_buf_init(&req);
    mg_frame_put_u32(&req, OP_REAP);
    mg_frame_put_u32(&req, (uint32_t)pid);
    mg_frame_put_u32(&req, force);
    uint32_t have = 0, st = 0;
    char *msg = NULL;
    int fd = -1;
    bool ok = ask(s, &req, &have, &st, &msg, &fd);
    mg_buf_free(&req);
    g_free(msg);
    if (fd >= 0)
        close(fd);
    return ok && have ? (int)st : -1;
}

void mg_spawner_stop(struct mg_spawner *s)
{
    if (s == NULL)
        return;
    if (s->ctl >= 0)
        close(s->ctl);
    int st;
    while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
        ;
    pthread_mutex_destroy(&s->lock);
    g_free(s);
}
