/* Internal to builder/sandbox: what the parent prepares for the child, and the child's steps. */
#ifndef KILN_SANDBOX_INT_H
#define KILN_SANDBOX_INT_H

#include <linux/filter.h>
#include <stdint.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#define SANDBOX_CAP_NET_RAW 13

/* Docker's default capabilities (moby oci/caps/defaults.go), the most a step ever keeps. */
#define SANDBOX_CAPS                                                                               \
    ((1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4) | (1ull << 5) | (1ull << 6) |           \
     (1ull << 7) | (1ull << 8) | (1ull << 10) | (1ull << 13) | (1ull << 18) | (1ull << 27) |       \
     (1ull << 29) | (1ull << 31))

/* Everything the child needs, set up by the parent before clone (no allocation after it). */
struct sbx_child {
    const struct sandbox_spec *spec;
    int sock;  /* the child's end of the channel */
    int out_w; /* write end of the output pipe */
    struct sock_fprog seccomp;
    uint64_t caps; /* the step's capabilities (SANDBOX_CAPS, less CAP_NET_RAW by default) */
    struct rlimit nofile;
    struct rlimit nproc; /* the step's RLIMIT_NPROC (sandbox/limit.h) */
    struct {
        int resource;
        struct rlimit lim;
    } rlimits[SANDBOX_MAX_RLIMITS]; /* --ulimit, nofile and nproc excepted (in those) */
    size_t nrlimits;
    char shm_opt[64];        /* the /dev/shm tmpfs options */
    char lowerdir_opt[4096]; /* "lowerdir=/proc/self/fd/N:..." filled by the child */
    int lower_fds[SANDBOX_MAX_LOWERS];
    int data_fds[SANDBOX_MAX_MOUNTS]; /* sealed memfds of the DATA mounts (sandbox/data.h) */
};

/* The child is made by a raw clone, so glibc still believes the threads of kiln exist there:
 * it must not call malloc, fork() or the glibc set*id wrappers (which would signal those
 * threads). These act on the calling thread only, which is the whole child process. */
static inline int sbx_setresuid(uint32_t id)
{
    return (int)syscall(SYS_setresuid, id, id, id);
}
static inline int sbx_setresgid(uint32_t id)
{
    return (int)syscall(SYS_setresgid, id, id, id);
}
/* fork without glibc's atfork handlers (malloc locks copied from other threads) */
static inline pid_t sbx_fork(void)
{
    return (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
}

/* rlimits.c: --ulimit. Before clone: checks the spec's limits and copies them into c (nofile
 * and nproc replace kiln's own; sbx_limit_setup may still lower nproc). After clone, before the
 * child goes on: raises the hard limits above kiln's own on pid, which needs CAP_SYS_RESOURCE (an
 * error says so). */
int sbx_rlimits_prepare(const struct sandbox_spec *spec, struct sbx_child *c, kiln_error_t **err);
int sbx_rlimits_raise(const struct sandbox_spec *spec, pid_t pid, kiln_error_t **err);

/* The child: never returns. Runs with the parent's memory copied (fork semantics). */
__attribute__((noreturn)) void sbx_child_main(struct sbx_child *c);

/* network.c: the network of a step.
 * Parent: the step's capabilities, pasta's binary and resolv.conf for the network chosen. */
int sbx_net_prepare(const struct sandbox_spec *spec, struct sbx_child *c, char **pasta_bin,
                    kiln_error_t **err);
/* The resolv.conf of the default network: the DNS forward, the host's search and options. */
char *sbx_net_resolv(void);
/* Child: announces it is ready for its id map; with the default network the message carries
 * its user and network namespaces for pasta. -1 when the parent is gone. */
int sbx_net_ready(struct sbx_child *c);
/* Child, as root of its namespaces: loopback up; the default network's policy rules and ping
 * range. Fails the step (chan_fail + _exit) on error. */
void sbx_net_setup(struct sbx_child *c);

/* Inside the new root, after pivot_root: becomes pid-1 init, runs the step, reports its exit
 * status. Never returns. */
__attribute__((noreturn)) void sbx_init_main(struct sbx_child *c);

#endif
