/* Confining a worker before it touches input: privileges, rlimits,
 * Landlock (file system), seccomp (system calls). Order matters: the user
 * switch needs privileges the later steps take away, and seccomp goes last
 * because it forbids the calls that set up the others. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mg_config.h"
#include "sandbox/sandbox_private.h"

#ifdef MG_HAVE_SECCOMP
#include <seccomp.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_ASAN_BUILD 1
#endif
#endif

int mg_confine_landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi > 0 ? (int)abi : 0;
#else
    return 0;
#endif
}

static bool set_limit(int res, uint64_t v, char *errbuf, size_t errlen, const char *what)
{
    struct rlimit rl = { .rlim_cur = (rlim_t)v, .rlim_max = (rlim_t)v };
    if (setrlimit(res, &rl) != 0) {
        snprintf(errbuf, errlen, "setrlimit(%s): %s", what, strerror(errno));
        return false;
    }
    return true;
}

void mg_confine_cpu_for_job(uint64_t seconds)
{
    struct rusage ru;
    struct rlimit rl;
    if (seconds == 0 || getrusage(RUSAGE_SELF, &ru) != 0 || getrlimit(RLIMIT_CPU, &rl) != 0)
        return;
    rlim_t used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1;
    rl.rlim_cur = used + (rlim_t)seconds;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
        rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_CPU, &rl);
}

#ifdef SYS_landlock_create_ruleset
static uint64_t fs_rights(int abi)
{
    uint64_t r = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
                 LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                 LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
    if (abi >= 2)
        r |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
    if (abi >= 3)
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
    (void)abi;
    return r;
}

static bool allow_path(int ruleset, const char *path, uint64_t rights)
{
    int fd = open(path, O_PATH | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0)
        return errno == ENOENT;   /* an absent optional folder needs no rule */
    struct landlock_path_beneath_attr pb = { .allowed_access = rights, .parent_fd = fd };
    long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
    close(fd);
    return rc == 0;
}

/* Everything denied except: the scratch folder (all rights; libclamav
 * unpacks into it, spools spill into it) and, read-only, glibc's iconv
 * modules (a charset seen for the first time loads its module). */
static bool landlock(const char *scratch, char *errbuf, size_t errlen)
{
    int abi = mg_confine_landlock_abi();
    if (abi <= 0) {
        snprintf(errbuf, errlen, "Landlock is not available in this kernel (needs Linux 5.13 with "
                 "landlock in lsm=); use [sandbox] mode = rlimits-only to run without file system confinement");
        return false;
    }
    struct landlock_ruleset_attr attr = { .handled_access_fs = fs_rights(abi) };
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
    if (rs < 0) {
        snprintf(errbuf, errlen, "landlock_create_ruleset: %s", strerror(errno));
        return false;
    }
    static const char *const gconv[] = { "/usr/lib/x86_64-linux-gnu/gconv", "/usr/lib/aarch64-linux-gnu/gconv",
                                         "/usr/lib64/gconv", "/usr/lib/gconv", NULL };
    bool ok = allow_path(rs, scratch, fs_rights(abi));
    if (!ok) {
        snprintf(errbuf, errlen, "the worker cannot reach its scratch folder %s: %s (every folder above it, "
                 "up to [general] tmpdir, must be searchable by [sandbox] user)", scratch, strerror(errno));
        close(rs);
        return false;
    }
    for (int i = 0; ok && gconv[i]; i++)
        ok = allow_path(rs, gconv[i], LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
    if (ok)
        ok = syscall(SYS_landlock_restrict_self, rs, 0) == 0;
    int saved = errno;
    close(rs);
    if (!ok)
        snprintf(errbuf, errlen, "landlock: %s", strerror(saved));
    return ok;
}
#else
static bool landlock(const char *scratch, char *errbuf, size_t errlen)
{
    (void)scratch;
    snprintf(errbuf, errlen, "built without Landlock headers");
    return false;
}
#endif

#ifdef MG_HAVE_SECCOMP
/* A denied call ends the worker with SIGSYS, but first says which call it
 * was on stderr (the front end's log), so a missing entry is found fast. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "mugai worker: seccomp denied system call %d\n", si->si_syscall);
    if (n > 0)
        (void)!write(2, msg, (size_t)n);
    signal(sig, SIG_DFL);
    raise(sig);
}

static bool seccomp(char *errbuf, size_t errlen)
{
    struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0) {
        snprintf(errbuf, errlen, "sigaction(SIGSYS): %s", strerror(errno));
        return false;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (ctx == NULL) {
        snprintf(errbuf, errlen, "seccomp_init failed");
        return false;
    }
    /* What sanitizing needs: memory, reading and writing descriptors it
     * has, time, randomness, and the file calls Landlock confines to the
     * scratch folder (libclamav's temporary files). Not here, so fatal:
     * socket, connect, bind, execve, fork/clone, ptrace, mount, ... */
    static const int allow[] = {
        SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
        SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
        SCMP_SYS(statx), SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(ftruncate), SCMP_SYS(fsync),
        SCMP_SYS(fdatasync), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(poll), SCMP_SYS(ppoll),
        SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(brk),
        SCMP_SYS(madvise), SCMP_SYS(memfd_create), SCMP_SYS(futex), SCMP_SYS(clock_gettime),
        SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
        SCMP_SYS(getrandom), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(getppid),
        SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
        SCMP_SYS(getrusage), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64), SCMP_SYS(setrlimit),
        SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(uname), SCMP_SYS(sysinfo),
        /* file system calls: Landlock limits them to the scratch folder */
        SCMP_SYS(openat), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
        SCMP_SYS(rmdir), SCMP_SYS(getdents64), SCMP_SYS(access), SCMP_SYS(faccessat),
        SCMP_SYS(faccessat2), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(rename),
        SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(getcwd), SCMP_SYS(fadvise64),
        /* libclamav chmods its temporary files; Landlock does not cover
         * chmod, but the worker's user owns nothing outside its scratch. */
        SCMP_SYS(chmod), SCMP_SYS(fchmod), SCMP_SYS(fchmodat),
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(allow) / sizeof(allow[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
    /* Signals to itself only (abort(), raise() of the SIGSYS handler). */
    pid_t self = getpid();
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    /* isatty() on stderr: answer "not a terminal" instead of killing. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        snprintf(errbuf, errlen, "seccomp: %s", strerror(-rc));
        return false;
    }
    return true;
}
#else
static bool seccomp(char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "built without libseccomp (MG_HAVE_SECCOMP = 0); use [sandbox] mode = rlimits-only");
    return false;
}
#endif

bool mg_confine_apply(const struct mg_confine *c, char *errbuf, size_t errlen)
{
    /* Dies with the front end; not attachable or dumpable by its user. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || prctl(PR_SET_DUMPABLE, 0) != 0) {
        snprintf(errbuf, errlen, "prctl: %s", strerror(errno));
        return false;
    }
    if (c->drop) {
        if (setgroups(0, NULL) != 0 || setresgid(c->gid, c->gid, c->gid) != 0 ||
            setresuid(c->uid, c->uid, c->uid) != 0) {
            snprintf(errbuf, errlen, "cannot switch to uid %u: %s", (unsigned)c->uid, strerror(errno));
            return false;
        }
        if (getuid() == 0 || geteuid() == 0 || setuid(0) == 0) {
            snprintf(errbuf, errlen, "still root after dropping privileges");
            return false;
        }
        if (prctl(PR_SET_DUMPABLE, 0) != 0)
            return false;
    }
    /* SIGXFSZ would kill the worker; EFBIG from write() is handled. */
    signal(SIGXFSZ, SIG_IGN);
    if (!set_limit(RLIMIT_CORE, 0, errbuf, errlen, "RLIMIT_CORE") ||
        (c->fsize_bytes && !set_limit(RLIMIT_FSIZE, c->fsize_bytes, errbuf, errlen, "RLIMIT_FSIZE")) ||
        (c->nofile && !set_limit(RLIMIT_NOFILE, c->nofile, errbuf, errlen, "RLIMIT_NOFILE")))
        return false;
#if !defined(__SANITIZE_ADDRESS__) && !defined(MG_ASAN_BUILD)
    /* AddressSanitizer reserves terabytes of shadow address space, so the
     * address-space limit is left out of ASan builds only. */
    if (c->as_bytes && !set_limit(RLIMIT_AS, c->as_bytes, errbuf, errlen, "RLIMIT_AS"))
        return false;
#endif
    if (c->mode != MG_SANDBOX_SECCOMP)
        return true;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(errbuf, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return false;
    }
    return landlock(c->scratch, errbuf, errlen) && seccomp(errbuf, errlen);
}
