/* The sandbox's preflight (preflight.h): a throwaway child makes the namespaces and mounts a
 * step's child makes, and the parent turns the first refusal into an error that says what is
 * missing and how to allow it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sandbox/hostenv.h"
#include "sandbox/preflight.h"
#include "sandbox_int.h"
#include "secmem.h"
#include "util.h"

enum probe_stage {
    PROBE_OK,
    PROBE_USERNS, /* unshare(CLONE_NEWUSER) */
    PROBE_MAP,    /* writing the probe's own single-id map */
    PROBE_NS,     /* the other namespaces */
    PROBE_FORK,   /* pid 1 of the new pid namespace */
    PROBE_MOUNT,  /* a mount in the new mount namespace (private propagation, a tmpfs) */
    PROBE_PROC,   /* a fresh proc of the new pid namespace */
};

struct probe_result {
    int32_t stage, err;
    int32_t ns_flag;      /* PROBE_NS: the namespace refused (0: only all of them at once) */
    int32_t hostname_err; /* errno of sethostname in the new uts namespace, 0 when it worked */
};

static const struct {
    int flag;
    const char *name;
} namespaces[] = {
    {CLONE_NEWNS, "mount"}, {CLONE_NEWPID, "pid"}, {CLONE_NEWNET, "network"},
    {CLONE_NEWIPC, "ipc"},  {CLONE_NEWUTS, "uts"},
};

/* ---- the probe: a forked child, raw syscalls only (kiln may have other threads) ---- */

__attribute__((noreturn)) static void probe_exit(int fd, struct probe_result *r, int stage)
{
    r->stage = stage;
    r->err = stage == PROBE_OK ? 0 : errno;
    if (write(fd, r, sizeof(*r)) < 0)
        _exit(2);
    _exit(stage == PROBE_OK ? 0 : 1);
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* kiln's own ids, once: root of the new namespace (what the step's child becomes) */
static int own_map(uid_t uid, gid_t gid)
{
    char m[48];
    snprintf(m, sizeof(m), "0 %u 1\n", (unsigned)uid);
    if (write_text("/proc/self/uid_map", m) < 0)
        return -1;
    if (write_text("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
        return -1;
    snprintf(m, sizeof(m), "0 %u 1\n", (unsigned)gid);
    return write_text("/proc/self/gid_map", m);
}

static int unshare_each(struct probe_result *r)
{
    int all = 0;
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
        all |= namespaces[i].flag;
    if (unshare(all) == 0)
        return 0;
    int saved = errno;
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
        if (unshare(namespaces[i].flag) < 0) {
            r->ns_flag = namespaces[i].flag;
            return -1;
        }
    errno = saved;
    return -1;
}

/* pid 1 of the probe's pid namespace: the first mounts of a step's child, over dir (a private
 * directory of the step's) in the probe's own mount namespace, gone when it exits. */
__attribute__((noreturn)) static void probe_init(int fd, const char *dir, struct probe_result *r)
{
    char proc[4200];
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=0755") < 0)
        probe_exit(fd, r, PROBE_MOUNT);
    snprintf(proc, sizeof(proc), "%s/proc", dir);
    if (mkdir(proc, 0755) < 0)
        probe_exit(fd, r, PROBE_MOUNT);
    if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        probe_exit(fd, r, PROBE_PROC);
    probe_exit(fd, r, PROBE_OK);
}

__attribute__((noreturn)) static void probe_child(int fd, const char *dir)
{
    struct probe_result r;
    memset(&r, 0, sizeof(r));
    uid_t uid = geteuid();
    gid_t gid = getegid();
    secmem_drop_helpers(); /* as the step's child: no secret in a process that may be dumpable */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* /proc/self/uid_map of a non-dumpable process is root's: dumpable to write its own map */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (unshare(CLONE_NEWUSER) < 0)
        probe_exit(fd, &r, PROBE_USERNS);
    if (own_map(uid, gid) < 0)
        probe_exit(fd, &r, PROBE_MAP);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (unshare_each(&r) < 0)
        probe_exit(fd, &r, PROBE_NS);
    if (sethostname("kiln", 4) < 0)
        r.hostname_err = errno;
    pid_t pid = sbx_fork();
    if (pid < 0)
        probe_exit(fd, &r, PROBE_FORK);
    if (pid == 0)
        probe_init(fd, dir, &r);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    _exit(0);
}

static int run_probe(const char *dir, struct probe_result *r, kiln_error_t **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "sandbox preflight: pipe");
    fflush(NULL);
    pid_t pid = sbx_fork();
    if (pid < 0) {
        close(p[0]), close(p[1]);
        return kiln_err_errno(err, KILN_ESANDBOX, "sandbox preflight: fork");
    }
    if (pid == 0) {
        close(p[0]);
        probe_child(p[1], dir);
    }
    close(p[1]);
    ssize_t n;
    while ((n = read(p[0], r, sizeof(*r))) < 0 && errno == EINTR)
        ;
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(*r))
        return kiln_err(err, KILN_ESANDBOX, 0, "sandbox preflight: the probe died (%s %d)",
                        WIFSIGNALED(st) ? "signal" : "exit status",
                        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}

/* ---- what a refusal means here, and how to allow it ---- */

const char *sbx_preflight_seccomp_hint(void)
{
    if (hostenv_status("Seccomp") != 2)
        return "";
    return "kiln runs under a seccomp filter that refuses it (Docker's and containerd's "
           "default profiles allow namespaces and mount only with CAP_SYS_ADMIN): run kiln's "
           "container with a profile that allows unshare, clone, mount, umount2, pivot_root and "
           "setns (podman's default does; docker run --security-opt seccomp=unconfined; "
           "Kubernetes securityContext.seccompProfile.type: Unconfined); kiln confines every "
           "step with its own seccomp filter. An AppArmor profile that denies mount, such as "
           "docker-default, refuses it too (--security-opt apparmor=unconfined)";
}

const char *sbx_preflight_userns_hint(int errnum)
{
    if (errnum == ENOSPC)
        return "user.max_user_namespaces is 0 or its limit is reached: sysctl -w "
               "user.max_user_namespaces=15000, on the host when kiln runs in a container";
    if (errnum == EUSERS)
        return "user namespaces nest 32 deep at most";
    if (hostenv_sysctl("kernel/unprivileged_userns_clone") == 0)
        return "kernel.unprivileged_userns_clone is 0: sysctl -w "
               "kernel.unprivileged_userns_clone=1 on the host";
    if (hostenv_sysctl("kernel/apparmor_restrict_unprivileged_userns") == 1)
        return "AppArmor restricts unprivileged user namespaces "
               "(kernel.apparmor_restrict_unprivileged_userns = 1): give kiln an AppArmor profile "
               "with 'userns,' or set the sysctl to 0";
    return sbx_preflight_seccomp_hint();
}

const char *sbx_preflight_idhelper_hint(const char *helper)
{
    if (hostenv_status("NoNewPrivs") == 1)
        return ": kiln runs with no_new_privs, so the helper cannot gain its privileges "
               "(Kubernetes: allowPrivilegeEscalation must not be false; podman, docker: no "
               "--security-opt no-new-privileges)";
    struct stat st;
    if (hostenv_nested() && stat(helper, &st) == 0 && (st.st_mode & S_ISUID) &&
        getxattr(helper, "security.capability", NULL, 0) < 0)
        return ": in a container without CAP_SYS_ADMIN a setuid-root helper may not write the "
               "map of a namespace kiln owns; give it file capabilities instead (chmod u-s, "
               "setcap cap_setuid=ep /usr/bin/newuidmap, setcap cap_setgid=ep /usr/bin/newgidmap), "
               "as kiln's image does";
    return " (is the range in /etc/subuid and /etc/subgid?)";
}

static const char *ns_name(int flag)
{
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
        if (namespaces[i].flag == flag)
            return namespaces[i].name;
    return "mount, pid, network, ipc or uts";
}

/* "WHAT (strerror): HINT", or without the hint when there is none */
static int refused(kiln_error_t **err, int errnum, const char *what, const char *hint)
{
    return kiln_err(err, KILN_ESANDBOX, 0, "%s (%s)%s%s", what, strerror(errnum), *hint ? ": " : "",
                    hint);
}

static int proc_error(int errnum, kiln_error_t **err)
{
    static const char what[] = "cannot mount proc in the step's pid namespace";
    char covers[512];
    size_t n = hostenv_proc_covers(covers, sizeof(covers));
    if (n == 0 || (errnum != EPERM && errnum != EACCES))
        return refused(err, errnum, what, sbx_preflight_seccomp_hint());
    return kiln_err(
        err, KILN_ESANDBOX, 0,
        "%s (%s): /proc is masked by the container runtime (%s mounted over it), and the kernel "
        "mounts a new proc in a user namespace only where proc is fully visible. Unmask it: "
        "podman run --security-opt unmask=/proc/* (or unmask=ALL); docker run --security-opt "
        "systempaths=unconfined; Kubernetes securityContext.procMount: Unmasked (with hostUsers: "
        "false)%s. The steps get the masked paths again in their own proc",
        what, strerror(errnum), covers,
        hostenv_nested() ? ""
                         : "; only together with a user namespace for the container "
                           "(podman --userns=auto), where its root cannot write the host's /proc");
}

static int probe_error(const struct probe_result *r, kiln_error_t **err)
{
    int e = r->err;
    char what[128];
    switch (r->stage) {
    case PROBE_USERNS:
        return refused(err, e, "cannot create a user namespace for the steps",
                       sbx_preflight_userns_hint(e));
    case PROBE_MAP:
        /* root mapping itself needs CAP_SETFCAP, which a step's map (never root's id) does
         * not: without it the probe cannot go on, and the sandbox reports what it meets */
        if (geteuid() == 0 && e == EPERM)
            return 0;
        return refused(err, e, "cannot write the id map of a step's user namespace", "");
    case PROBE_NS:
        snprintf(what, sizeof(what), "cannot create a %s namespace for the steps",
                 ns_name(r->ns_flag));
        return refused(err, e, what, sbx_preflight_seccomp_hint());
    case PROBE_FORK:
        return refused(err, e, "cannot start the step's init", "");
    case PROBE_MOUNT:
        return refused(err, e, "cannot mount in the step's mount namespace",
                       sbx_preflight_seccomp_hint());
    case PROBE_PROC:
        return proc_error(e, err);
    default:
        return 0;
    }
}

static int tun_check(kiln_error_t **err)
{
    if (hostenv_tun_open_to_all())
        return 0;
    if (!hostenv_tun_present())
        return kiln_err(err, KILN_ESANDBOX, 0,
                        "the default network of RUN needs /dev/net/tun (for pasta), and there is "
                        "none here: run kiln's container with --device /dev/net/tun (podman, "
                        "docker), load the tun module on a host (modprobe tun), or build with "
                        "--network none");
    if (geteuid() == 0 && !hostenv_nested())
        return 0; /* host root: pasta gets a node of its own (pasta.c) */
    return kiln_err(err, KILN_ESANDBOX, 0,
                    "the default network of RUN needs a /dev/net/tun every user may open (pasta "
                    "opens it as the step's root, an unprivileged id), and this one is not: chmod "
                    "0666 /dev/net/tun (udev's default; in a container, the host's node comes "
                    "with its mode through --device /dev/net/tun), or build with --network none");
}

/* ---- once per process ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool probed, warned;
static struct probe_result result;

bool sbx_preflight_hostname_refused(void)
{
    return __atomic_load_n(&result.hostname_err, __ATOMIC_RELAXED) != 0;
}

static char *hostname_warning(const struct sandbox_spec *spec)
{
    const char *want = spec->hostname ? spec->hostname : "kiln";
    struct utsname u;
    if (uname(&u) < 0 || !strcmp(u.nodename, want))
        return NULL;
    return xasprintf("the steps keep the hostname '%s' in their own uts namespace, not '%s': "
                     "the seccomp profile kiln runs under refuses sethostname (%s; podman's "
                     "default does without CAP_SYS_ADMIN); start kiln's container with --hostname "
                     "%s for the name kiln gives steps",
                     u.nodename, want, strerror(result.hostname_err), want);
}

/* Docker's default capabilities (SANDBOX_CAPS) the bounding set lacks, by name; CAP_NET_RAW
 * is left out (podman's default drops it, and the default network takes it from steps anyway). */
static char *caps_warning(void)
{
    static const char *const names[] = {
        [0] = "CHOWN",       [1] = "DAC_OVERRIDE", [3] = "FOWNER",
        [4] = "FSETID",      [5] = "KILL",         [6] = "SETGID",
        [7] = "SETUID",      [8] = "SETPCAP",      [10] = "NET_BIND_SERVICE",
        [18] = "SYS_CHROOT", [27] = "MKNOD",       [29] = "AUDIT_WRITE",
        [31] = "SETFCAP",
    };
    uint64_t bnd;
    if (hostenv_status_hex("CapBnd", &bnd) < 0)
        return NULL;
    uint64_t missing = SANDBOX_CAPS & ~(1ull << SANDBOX_CAP_NET_RAW) & ~bnd;
    if (!missing)
        return NULL;
    char list[256];
    size_t off = 0;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if ((missing >> i) & 1 && names[i])
            off += (size_t)snprintf(list + off, sizeof(list) - off, "%sCAP_%s", off ? ", " : "",
                                    names[i]);
    return xasprintf("RUN steps get fewer capabilities than Docker's defaults: the bounding set "
                     "kiln runs with lacks %s (a container that drops them; keep its runtime's "
                     "defaults, e.g. no Kubernetes capabilities.drop: [ALL])",
                     list);
}

int sbx_preflight(const struct sandbox_spec *spec, char ***warnings, size_t *n, kiln_error_t **err)
{
    pthread_mutex_lock(&lock);
    int rc = 0;
    if (!probed && (rc = run_probe(spec->run_dir, &result, err)) == 0)
        probed = true;
    bool warn = rc == 0 && !warned;
    warned = warned || warn;
    pthread_mutex_unlock(&lock);
    if (rc < 0 || probe_error(&result, err) < 0)
        return -1;
    if (spec->network == SANDBOX_NET_DEFAULT && tun_check(err) < 0)
        return -1;
    char *w;
    if (warn && result.hostname_err && (w = hostname_warning(spec)))
        strv_push(warnings, n, w);
    if (warn && (w = caps_warning()))
        strv_push(warnings, n, w);
    return 0;
}
