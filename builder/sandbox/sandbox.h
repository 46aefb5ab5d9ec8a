/* The sandbox: runs one build step (a RUN) in fresh namespaces. This folder is the only code in
 * kiln that calls clone, unshare, mount, pivot_root, setns, seccomp or capability syscalls.
 *
 * What a step gets (DESIGN.md, "Key decisions"):
 *   - user, mount, pid, net (unless SANDBOX_NET_HOST), ipc, uts and cgroup namespaces; container
 *     root maps to an unprivileged host id range (sandbox/idmap.h);
 *   - its network (enum sandbox_network): only loopback, the host's (the caller checks the
 *     entitlement), or by default loopback plus user-mode networking through pasta
 *     (sandbox/pasta.h) under spec->policy (net/netpolicy.h, sandbox/fibrules.h), with
 *     CAP_NET_RAW dropped and unprivileged ICMP sockets (ping) allowed for the step's groups;
 *   - its rootfs: an overlay of spec->rootfs.lowers (top first) with a writable upper, or a plain
 *     directory (the copy snapshotter), mounted inside the step's own mount namespace, entered
 *     with pivot_root (the old root is detached, never chroot alone);
 *   - a fresh /proc with Docker's masked and read-only paths, a read-only /sys, a tmpfs /dev with
 *     null, zero, full, random, urandom, tty, a private devpts (ptmxmode=0666) and a /dev/shm;
 *   - /etc/hosts (localhost lines), /etc/hostname and /etc/resolv.conf bind-mounted read-only
 *     while the step runs; a mount point the rootfs lacked is created in the upper layer and
 *     listed in res->stubs so the snapshotter removes it before the diff;
 *   - no_new_privs, a capability bounding set of at most Docker's 14 defaults (root keeps those
 *     as permitted/effective, any other uid keeps none), rlimits (no core dumps, open files at
 *     most the current hard limit), moby's default seccomp profile loaded last before execve;
 *   - descriptors: stdin /dev/null, stdout and stderr one pipe streamed to spec->output, every
 *     other descriptor closed; the environment is exactly spec->envp;
 *   - a session of its own: the child calls setsid() (no controlling terminal: /dev/tty fails
 *     with ENXIO, no TIOCSTI into the user's terminal), and the step's process leads its own
 *     session and process group too (kill(0) reaches only the step, never kiln or its caller);
 *     the child is dumpable only until its id map is written, the init never;
 *   - a pid-1 init (kiln's own code, not exec'd from the rootfs) that reaps orphans and, when the
 *     main process exits, kills every process left in the step's pid namespace.
 *
 * Limits (memory, pids, cpus) go to a cgroup made for the step (v2 where delegated, v1 per
 * controller otherwise); RLIMIT_NPROC stands in for the pids cgroup where it bounds the whole
 * step (sandbox/limit.h). A limit that cannot be applied fails the step before it starts,
 * unless limits.allow_unenforced: then res->warnings says so. A step that goes over a limit is
 * killed and sandbox_run() fails with an error naming the limit.
 */
#ifndef KILN_SANDBOX_H
#define KILN_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiln/error.h"
#include "net/netpolicy.h"
#include "sandbox/idmap.h"

#define SANDBOX_MAX_LOWERS   128   /* overlay lower layers */
#define SANDBOX_MAX_MOUNTS   64    /* extra mounts */
#define SANDBOX_MAX_GROUPS   64    /* supplementary groups */
#define SANDBOX_MAX_ARGS     65536 /* argv + envp entries */
#define SANDBOX_MAX_STUBS    16
#define SANDBOX_HOSTNAME_MAX 63
#define SANDBOX_MAX_DATA     (512u * 1024) /* bytes of one DATA mount */

enum sandbox_network {
    SANDBOX_NET_NONE,    /* a new network namespace with only loopback, brought up */
    SANDBOX_NET_HOST,    /* the host's network namespace (the caller checks it is allowed) */
    SANDBOX_NET_DEFAULT, /* a new network namespace reaching the outside through pasta: what
                            spec->policy allows, /etc/resolv.conf naming pasta's DNS forward */
};

enum sandbox_mount_type {
    SANDBOX_MOUNT_BIND,   /* source: a host path (file or directory) */
    SANDBOX_MOUNT_TMPFS,  /* a fresh tmpfs of size bytes (0: 64 MiB) */
    SANDBOX_MOUNT_DATA,   /* a file holding data[0, len) (a secret): written to a tmpfs that exists
                             only in the step's mount namespace (never on disk, unreachable once the
                             old root is detached) and bind-mounted on the target; mode (0: 0400),
                             uid and gid are the file's */
    SANDBOX_MOUNT_SOCKET, /* source: a host Unix socket (an agent), bound on the target file;
                             its owner becomes uid:gid (container ids) in the step's namespace
                             (as root, the caller sets the host owner first); the caller sets
                             its mode */
};

enum {
    SANDBOX_MNT_RO = 1u << 0,
    SANDBOX_MNT_NOSUID = 1u << 1,
    SANDBOX_MNT_NODEV = 1u << 2,
    SANDBOX_MNT_NOEXEC = 1u << 3,
};

/* An extra mount (secrets, caches, bind mounts). The target is resolved inside
 * the rootfs (symlinks stay inside it) and created when missing (a stub, removed from the diff);
 * bind mounts are never recursive. Every mount gets nosuid and nodev whatever flags says.
 * The source is opened by kiln's own credentials, but the step reads it with its own: a file
 * owned by an id outside the step's map is "nobody" there, so give it a mode the step may read
 * or the host id of the step's user (idmap_host_uid). */
struct sandbox_mount {
    enum sandbox_mount_type type;
    const char *source; /* BIND: absolute host path, opened by the parent before the step starts */
    const char *target; /* absolute path inside the container */
    unsigned flags;     /* SANDBOX_MNT_* */
    uint64_t size;      /* TMPFS: bytes */
    mode_t mode;        /* TMPFS: mode of its root (0: 01777); DATA: the file's (0: 0400) */
    uint32_t uid, gid;  /* TMPFS: owner of its root, DATA: of the file; container ids */
    const void *data;   /* DATA: the content (copied into a sealed memfd before the clone: the
                           caller may keep it in memory children do not inherit, secmem) */
    size_t len;
};

/* The step's root filesystem: either an overlay (lowers + upper + work) or a plain directory. */
struct sandbox_rootfs {
    const char *const *lowers; /* overlay lower directories, top first; may be empty */
    size_t nlowers;
    const char *upper; /* overlay upper and work dirs, same filesystem */
    const char *work;
    const char *dir; /* when not NULL: a plain directory (no overlay) */
};

struct sandbox_limits {
    uint64_t memory;       /* bytes; 0: none */
    uint64_t pids;         /* 0: none */
    uint64_t cpus_milli;   /* 1000 = one CPU; 0: none */
    uint64_t timeout_sec;  /* wall-clock; 0: none */
    bool allow_unenforced; /* the operator accepts a limit that cannot be applied (a warning) */
};

/* A resource limit for the step (--ulimit). A hard limit above kiln's own is raised from the
 * parent when kiln may (CAP_SYS_RESOURCE), else the step fails before it runs. RLIMIT_CORE is
 * refused (a dump goes to the host's core_pattern handler). */
struct sandbox_rlimit {
    int resource;        /* RLIMIT_* */
    uint64_t soft, hard; /* RLIM_INFINITY: unlimited */
};
#define SANDBOX_MAX_RLIMITS 16

/* Receives the step's stdout and stderr interleaved, as it comes. */
typedef void (*sandbox_output_fn)(void *ctx, const char *data, size_t len);

struct sandbox_spec {
    struct sandbox_rootfs rootfs;
    const char *run_dir;    /* an empty private directory the sandbox may use while the step
                               runs (mount point, hosts files); the caller removes it after */
    char *const *argv;      /* argv[0] is looked up in PATH from envp when it has no '/' */
    char *const *envp;      /* NULL-terminated; exactly the step's environment */
    const char *cwd;        /* absolute; created (as container root) when missing */
    uint32_t uid, gid;      /* container ids */
    const uint32_t *groups; /* supplementary groups, container ids */
    size_t ngroups;
    const char *hostname; /* NULL: "kiln" */
    enum sandbox_network network;
    const struct netpolicy *policy; /* DEFAULT: the build's destination policy, finished */
    const struct sandbox_mount *mounts;
    size_t nmounts;
    struct sandbox_limits limits;
    const char *extra_hosts; /* --add-host: lines ("IP\tNAME\n") after the localhost lines of
                                /etc/hosts, or NULL */
    uint64_t shm_size;       /* bytes of /dev/shm; 0: 64 MiB */
    const struct sandbox_rlimit *rlimits; /* --ulimit */
    size_t nrlimits;
    const struct idmap *idmap; /* how container ids map to host ids (idmap_for_store) */
    sandbox_output_fn output;  /* may be NULL: output is dropped */
    void *output_ctx;
};

enum sandbox_exit {
    SANDBOX_EXITED,   /* res->status is the exit code */
    SANDBOX_SIGNALED, /* res->status is the signal */
};

struct sandbox_result {
    enum sandbox_exit how;
    int status;
    char **stubs;    /* NULL-terminated, owned: mount points the sandbox created in the rootfs
                        (relative paths, parents before children) */
    char **warnings; /* NULL-terminated, owned: limits or features that could not be applied */
    double seconds;  /* wall-clock time of the step */
    bool limits_unenforced; /* a limit that is set could not be applied (see limits) */
};

/* Runs the step and waits for it and every process it started.
 *
 * Returns 0 when the step ran to its end, whatever its exit status (see res->how and
 * res->status). Returns -1 with:
 *   KILN_ESANDBOX  the sandbox could not be set up (namespaces, mounts, id maps, exec failed:
 *                  "exec '/bin/sh': No such file or directory"), a bad spec, or a limit that
 *                  cannot be applied ("memory limit of 64 MiB cannot be enforced: ..."); for the
 *                  default network also "pasta not found ..." or "default network: pasta
 *                  failed ...";
 *   KILN_EBUILD    the step was killed over a limit: "memory limit of 64 MiB exceeded",
 *                  "pids limit of 32 exceeded", "step timeout of 5 s exceeded".
 * res is filled in both cases (stubs and warnings too); release it with sandbox_result_release.
 * The caller's state is untouched: no mount, process, cgroup or file outside run_dir and the
 * rootfs is left behind. */
int sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *res, kiln_error_t **err);
void sandbox_result_release(struct sandbox_result *res);

/* Whether this kernel and user can run steps at all (user namespaces available); when not,
 * *why says why (static string). */
bool sandbox_available(const char **why);

#endif
