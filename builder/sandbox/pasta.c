/* Starting and stopping pasta for one step (pasta.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "sandbox/hostenv.h"
#include "sandbox/pasta.h"
#include "sandbox_int.h"
#include "util.h"

#define PASTA_LOG_MAX  4096
#define PASTA_NETNS_FD 3 /* where pasta finds the step's network namespace */
#define PASTA_READY_FD 4 /* its "PID file": a pipe kiln reads */
#define PASTA_MAX_ARGS 40

static const char missing_hint[] =
    "the default network of RUN needs pasta, from Debian's passt package (apt-get install "
    "passt); or build with --network none";

int pasta_find(char **path, kiln_error_t **err)
{
    const char *env = getenv("KILN_PASTA");
    if (env && *env) {
        if (env[0] != '/' || access(env, X_OK) < 0)
            return kiln_err(err, KILN_ESANDBOX, errno ? errno : ENOENT, "KILN_PASTA '%s': %s", env,
                            missing_hint);
        *path = xstrdup(env);
        return 0;
    }
    const char *pathenv = getenv("PATH");
    cleanup_free char *dirs = xstrdup(pathenv && *pathenv ? pathenv : "/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue;
        cleanup_free char *p = xasprintf("%s/pasta", d);
        if (access(p, X_OK) == 0) {
            *path = steal_ptr(p);
            return 0;
        }
    }
    return kiln_err(err, KILN_ESANDBOX, 0, "pasta not found in PATH: %s", missing_hint);
}

/* "8080,3128" or "none". */
static char *port_list(const struct netpolicy *p)
{
    if (p->nloop == 0)
        return xstrdup("none");
    char buf[NETPOLICY_MAX_PORTS * 6 + 1];
    size_t off = 0;
    for (size_t i = 0; i < p->nloop; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%u", i ? "," : "",
                                (unsigned)p->loop_ports[i]);
    return xstrdup(buf);
}

struct helper {
    const char *bin;
    char *argv[PASTA_MAX_ARGS];
    int userns, netns, ready_w, log, null;
    pid_t parent;
    const char *tun_dir, *tun_node; /* as root: where the private tun node goes, else NULL */
};

/* In the forked helper: only async-signal-safe calls (kiln may have other threads). */
__attribute__((noreturn)) static void helper_fail(const char *what)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "kiln: %s: %s\n", what, strerror(errno));
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        _exit(126);
    _exit(127);
}

/* As host root, before joining the step's user namespace: a mount namespace of pasta's own
 * where /dev/net/tun is a node the step's root may open (pasta opens it by path). */
static void private_tun(const struct helper *h)
{
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        helper_fail("a mount namespace for pasta");
    if (mount("tmpfs", h->tun_dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=4k,mode=0755") < 0)
        helper_fail("a tmpfs for pasta's tun device");
    umask(0);
    if (mknod(h->tun_node, S_IFCHR | 0666, makedev(10, 200)) < 0 ||
        mount(h->tun_node, "/dev/net/tun", NULL, MS_BIND, NULL) < 0)
        helper_fail("a tun device for pasta");
}

/* Descriptors in place (0, 1: /dev/null, 2: the log, 3: the netns, 4: the ready pipe), the
 * step's user namespace joined as its root, then exec pasta. */
__attribute__((noreturn)) static void helper_main(const struct helper *h)
{
    int from[5] = {h->null, h->null, h->log, h->netns, h->ready_w}, hi[5];
    for (int i = 0; i < 5; i++)
        if ((hi[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 64)) < 0)
            _exit(127);
    for (int i = 0; i < 5; i++)
        if (dup2(hi[i], i) < 0)
            _exit(127);
    if (syscall(SYS_close_range, 5, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        helper_fail("close_range");
    if (h->tun_dir)
        private_tun(h);
    if (setns(h->userns, CLONE_NEWUSER) < 0)
        helper_fail("join the step's user namespace");
    /* root of the step's user namespace: pasta's own --runas 0:0 then changes nothing, so the
     * parent-death signal set here survives into pasta */
    if (sbx_setresgid(0) < 0 || sbx_setresuid(0) < 0)
        helper_fail("become root of the step's user namespace");
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != h->parent)
        _exit(127);
    char *const envp[] = {NULL};
    execve(h->bin, h->argv, envp);
    helper_fail(h->bin);
}

static void fill_argv(struct helper *h, char *ports)
{
    static char *const fixed[] = {
        "pasta",
        "-f",
        "-q",
        "-e",
        "--runas",
        "0:0",
        "--config-net",
        "--no-map-gw",
        "--no-netns-quit",
        "--dns-forward",
        NETPOLICY_DNS_FORWARD,
        "-t",
        "none",
        "-u",
        "none",
        "--netns",
        "/proc/self/fd/3",
        "--netns-only",
        "-P",
        "/proc/self/fd/4",
    };
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
        h->argv[n++] = fixed[i];
    h->argv[n++] = "-T";
    h->argv[n++] = ports;
    h->argv[n++] = "-U";
    h->argv[n++] = ports;
    h->argv[n] = NULL;
}

/* pasta's message from its log, without syslog noise, on one line. */
static char *log_message(const char *path)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, path, PASTA_LOG_MAX, &data, &len, &e) < 0) {
        kiln_error_free(e);
        return xstrdup("no message");
    }
    char out[PASTA_LOG_MAX + 1];
    size_t o = 0;
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strstr(l, "to syslog") || !*l)
            continue;
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "; " : "", l);
        if (o >= sizeof(out) - 1)
            break;
    }
    return xstrdup(o ? out : "no message");
}

static const char *failed_hint(const char *msg)
{
    if (strstr(msg, "tun") && geteuid() != 0)
        return " (rootless, /dev/net/tun must be open to unprivileged users, mode 0666 as udev "
               "makes it; or build with --network none)";
    if (strstr(msg, "No external routable interface"))
        return " (where kiln runs there is no route to the outside: a container started with "
               "--network none? Give it a network, or build with --network none)";
    return "";
}

static int failed(struct pasta *p, const char *log_path, int status, kiln_error_t **err)
{
    cleanup_free char *msg = log_message(log_path);
    if (status < 0)
        kiln_err(err, KILN_ESANDBOX, 0,
                 "default network: pasta did not set up the step's network within %d ms: %s",
                 PASTA_START_TIMEOUT_MS, msg);
    else
        kiln_err(err, KILN_ESANDBOX, 0, "default network: pasta failed (%s %d): %s%s",
                 WIFSIGNALED(status) ? "signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), msg,
                 failed_hint(msg));
    pasta_stop(p);
    return -1;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for pasta's PID line on the ready pipe; its end without one is a failure. */
static int wait_ready(struct pasta *p, int ready_r, const char *log_path, kiln_error_t **err)
{
    long deadline = now_ms() + PASTA_START_TIMEOUT_MS;
    for (;;) {
        struct pollfd pf = {ready_r, POLLIN, 0};
        int n = poll(&pf, 1, 50);
        char buf[32];
        ssize_t got = n > 0 ? read(ready_r, buf, sizeof(buf)) : -1;
        if (got > 0)
            return 0;
        if (got == 0) { /* pasta closed it without a word: it is ending */
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        int st;
        pid_t w = waitpid(p->pid, &st, WNOHANG);
        if (w == p->pid) {
            p->pid = 0;
            return failed(p, log_path, st, err);
        }
        if (now_ms() >= deadline)
            return failed(p, log_path, -1, err);
    }
}

int pasta_start(const struct pasta_opts *o, struct pasta *p, kiln_error_t **err)
{
    p->pid = 0;
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "default network: pipe");
    cleanup_close int ready_r = ready[0];
    cleanup_close int ready_w = ready[1];
    /* pasta reopens the pipe through /proc/self/fd as the step's root: it must own it */
    if (geteuid() == 0 && fchown(ready_w, (uid_t)o->root_uid, (gid_t)o->root_gid) < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "default network: chown the ready pipe");
    cleanup_free char *log_path = xasprintf("%s/pasta.log", o->run_dir);
    cleanup_free char *tun_dir = xasprintf("%s/tun", o->run_dir);
    cleanup_free char *tun_node = xasprintf("%s/tun/tun", o->run_dir);
    /* host root makes pasta a node the step's root may open, unless every user may open the
     * host's (a root in a container's user namespace cannot make device nodes) */
    bool root = geteuid() == 0 && !hostenv_tun_open_to_all();
    cleanup_close int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    cleanup_close int log =
        open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (null < 0 || log < 0 || (root && mkdir(tun_dir, 0700) < 0 && errno != EEXIST))
        return kiln_err_errno(err, KILN_ESANDBOX, "default network: set up '%s'", o->run_dir);
    cleanup_free char *ports = port_list(o->policy);
    struct helper h = {.bin = o->bin,
                       .userns = o->userns,
                       .netns = o->netns,
                       .ready_w = ready_w,
                       .log = log,
                       .null = null,
                       .parent = getpid(),
                       .tun_dir = root ? tun_dir : NULL,
                       .tun_node = tun_node};
    fill_argv(&h, ports);
    fflush(NULL);
    pid_t pid = sbx_fork();
    if (pid < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "default network: fork");
    if (pid == 0)
        helper_main(&h);
    p->pid = pid;
    close(ready_w);
    ready_w = -1;
    return wait_ready(p, ready_r, log_path, err);
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

static void *reaper(void *arg)
{
    reap((pid_t)(intptr_t)arg);
    return NULL;
}

void pasta_stop(struct pasta *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGKILL);
    /* Killed, pasta still takes ~10 ms to exit (hundreds of sockets, large buffers): a thread
     * of its own reaps it and the build goes on meanwhile. Nothing waits for it: every process
     * of the step is gone, and the step's network namespace, empty, ends with pasta. */
    pthread_attr_t a;
    pthread_t t;
    bool detached = pthread_attr_init(&a) == 0 &&
                    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0 &&
                    pthread_create(&t, &a, reaper, (void *)(intptr_t)p->pid) == 0;
    pthread_attr_destroy(&a);
    if (!detached)
        reap(p->pid);
    p->pid = 0;
}
