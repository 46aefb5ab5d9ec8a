/* Inside the step's root: kiln's pid-1 init and the step's process.
 *
 * init forks the step, reaps every process that ends up as its child and, when the step's main
 * process exits, kills everything left in the pid namespace, then reports the exit status.
 * The step's process sets no_new_privs first, then rlimits, working directory, capabilities and
 * ids, closes every descriptor above 2, loads seccomp last and execs. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "frontend/args.h"
#include "harden.h"
#include "sandbox/seccomp.h"
#include "sandbox_int.h"
#include "util.h"

#define FAIL(c, ...)                                                                               \
    do {                                                                                           \
        chan_fail((c)->sock, KILN_ESANDBOX, errno, __VA_ARGS__);                                   \
        _exit(127);                                                                                \
    } while (0)

static void set_rlimits(struct sbx_child *c)
{
    struct rlimit core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &core) < 0 || setrlimit(RLIMIT_NOFILE, &c->nofile) < 0 ||
        setrlimit(RLIMIT_NPROC, &c->nproc) < 0)
        FAIL(c, "setrlimit");
    for (size_t i = 0; i < c->nrlimits; i++)
        if (setrlimit((__rlimit_resource_t)c->rlimits[i].resource, &c->rlimits[i].lim) < 0)
            FAIL(c, "setrlimit %d", c->rlimits[i].resource);
}

/* mkdir -p of the working directory inside the new root, as container root. */
static void make_cwd(struct sbx_child *c)
{
    const char *cwd = c->spec->cwd ? c->spec->cwd : "/";
    char p[4096];
    size_t n = strlen(cwd);
    if (n >= sizeof(p))
        FAIL(c, "working directory too long");
    memcpy(p, cwd, n + 1);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    mkdir(p, 0755);
    if (chdir(cwd) < 0)
        FAIL(c, "working directory '%s'", cwd);
}

static void drop_bounding(struct sbx_child *c)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (c->caps & (1ull << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            FAIL(c, "drop capability %d", cap);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        FAIL(c, "clear ambient capabilities");
}

static void set_ids(struct sbx_child *c)
{
    const struct sandbox_spec *s = c->spec;
    gid_t groups[SANDBOX_MAX_GROUPS];
    for (size_t i = 0; i < s->ngroups; i++)
        groups[i] = s->groups[i];
    if (s->idmap->mode != IDMAP_SINGLE && syscall(SYS_setgroups, s->ngroups, groups) < 0)
        FAIL(c, "setgroups");
    if (sbx_setresgid(s->gid) < 0)
        FAIL(c, "setgid %u", s->gid);
    if (sbx_setresuid(s->uid) < 0)
        FAIL(c, "setuid %u", s->uid);
    if (s->uid != 0)
        return; /* a non-root uid lost its permitted and effective capabilities with setuid */
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    for (int i = 0; i < 2; i++) {
        uint32_t v = (uint32_t)(c->caps >> (32 * i));
        data[i].effective = data[i].permitted = v; /* inheritable stays empty (CVE-2022-24769) */
    }
    if (syscall(SYS_capset, &hdr, data) < 0)
        FAIL(c, "capset");
}

static const char *env_path(char *const *envp)
{
    for (char *const *e = envp; *e; e++)
        if (!strncmp(*e, "PATH=", 5))
            return *e + 5;
    return DF_DEFAULT_PATH; /* the engine always passes one; a bare sandbox_run may not */
}

/* execve with a PATH search in the step's environment (not kiln's). */
static void exec_step(struct sbx_child *c)
{
    char *const *argv = c->spec->argv;
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, c->spec->envp);
        FAIL(c, "exec '%s'", argv[0]);
    }
    int saved = ENOENT;
    char p[4096];
    for (const char *d = env_path(c->spec->envp); d;) {
        const char *end = strchr(d, ':');
        size_t n = end ? (size_t)(end - d) : strlen(d);
        if (n + strlen(argv[0]) + 2 < sizeof(p)) {
            snprintf(p, sizeof(p), "%.*s%s%s", (int)n, n ? d : ".", "/", argv[0]);
            execve(p, argv, c->spec->envp);
            if (errno == EACCES)
                saved = EACCES;
        }
        d = end ? end + 1 : NULL;
    }
    errno = saved;
    FAIL(c, "exec '%s': not found in PATH", argv[0]);
}

__attribute__((noreturn)) static void step_main(struct sbx_child *c)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        FAIL(c, "no_new_privs");
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(c->out_w, 1) < 0 || dup2(c->out_w, 2) < 0)
        FAIL(c, "standard descriptors");
    signal(SIGPIPE, SIG_DFL);
    if (sbx_harden_step() < 0)
        FAIL(c, "new session");
    set_rlimits(c);
    make_cwd(c);
    drop_bounding(c);
    set_ids(c);
    /* every descriptor above 2 goes at exec; the channel stays until then for errors */
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        FAIL(c, "close_range");
    if (sbx_seccomp_load(&c->seccomp) < 0)
        FAIL(c, "seccomp");
    exec_step(c);
    _exit(127);
}

static void close_others(int keep)
{
    if (keep > 3)
        syscall(SYS_close_range, 3, (unsigned)keep - 1, 0);
    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0);
}

void sbx_init_main(struct sbx_child *c)
{
    pid_t step = sbx_fork();
    if (step < 0)
        FAIL(c, "fork");
    if (step == 0)
        step_main(c);
    close_others(c->sock); /* the output pipe and every host descriptor */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int how = 0, status = 0;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, __WALL);
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0)
            break;
        if (step == 0)
            kill(-1, SIGKILL); /* again: something may have forked meanwhile */
        if (p != step)
            continue;
        step = 0;
        how = WIFSIGNALED(st) ? SANDBOX_SIGNALED : SANDBOX_EXITED;
        status = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
        kill(-1, SIGKILL); /* in our pid namespace: everything but init */
    }
    chan_send(c->sock, CHAN_EXIT, how, status, NULL, 0);
    _exit(0);
}
