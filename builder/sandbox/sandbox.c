/* The parent side of a step: prepares everything the child needs (files in run_dir, the seccomp
 * program, the cgroups, the channel and the output pipe), clones the child into its namespaces,
 * writes its id map, then streams its output until it ends, enforcing the timeout and limits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "chan.h"
#include "data.h"
#include "limit.h"
#include "fsutil.h"
#include "sandbox/pasta.h"
#include "sandbox/preflight.h"
#include "sandbox/seccomp.h"
#include "sandbox_int.h"
#include "util.h"

#define POLL_MS      100
#define OUTPUT_CHUNK 65536

static const char hosts_text[] =
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

bool sandbox_available(const char **why)
{
    cleanup_free char *v = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, "/proc/sys/user/max_user_namespaces", 64, &v, NULL, &e) == 0 &&
        v[0] == '0') {
        *why = "user namespaces are disabled (user.max_user_namespaces = 0)";
        return false;
    }
    kiln_error_free(e);
    return true;
}

static bool valid_hostname(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > SANDBOX_HOSTNAME_MAX || h[0] == '-' || h[0] == '.')
        return false;
    return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

static int check_spec(const struct sandbox_spec *s, kiln_error_t **err)
{
    const struct sandbox_rootfs *r = &s->rootfs;
    if (!s->argv || !s->argv[0] || !s->argv[0][0] || !s->envp || !s->run_dir || !s->idmap)
        return kiln_err(err, KILN_EINTERNAL, 0, "sandbox: incomplete spec");
    if (strv_len(s->argv) + strv_len(s->envp) > SANDBOX_MAX_ARGS)
        return kiln_err(err, KILN_ELIMIT, 0, "sandbox: more than %d arguments", SANDBOX_MAX_ARGS);
    if (!r->dir && (!r->upper || !r->work || r->nlowers == 0 || r->nlowers > SANDBOX_MAX_LOWERS))
        return kiln_err(err, KILN_ELIMIT, 0, "sandbox: overlay needs 1 to %d layers",
                        SANDBOX_MAX_LOWERS);
    if (s->nmounts > SANDBOX_MAX_MOUNTS || s->ngroups > SANDBOX_MAX_GROUPS)
        return kiln_err(err, KILN_ELIMIT, 0, "sandbox: too many mounts or groups");
    if (s->cwd && s->cwd[0] != '/')
        return kiln_err(err, KILN_EINPUT, 0, "working directory '%s' is not absolute", s->cwd);
    if (s->hostname && !valid_hostname(s->hostname))
        return kiln_err(err, KILN_EINPUT, 0, "invalid hostname '%s'", s->hostname);
    for (size_t i = 0; i < s->nmounts; i++) {
        const struct sandbox_mount *m = &s->mounts[i];
        if (!m->target || m->target[0] != '/' || !m->target[1] ||
            ((m->type == SANDBOX_MOUNT_BIND || m->type == SANDBOX_MOUNT_SOCKET) &&
             (!m->source || m->source[0] != '/')))
            return kiln_err(err, KILN_EINPUT, 0, "mount: bad source or target '%s'",
                            m->target ? m->target : "");
        if (m->type == SANDBOX_MOUNT_DATA && (m->len > SANDBOX_MAX_DATA || (m->len && !m->data)))
            return kiln_err(err, KILN_ELIMIT, 0, "mount '%s': data over %u bytes", m->target,
                            SANDBOX_MAX_DATA);
        if ((m->type != SANDBOX_MOUNT_BIND) &&
            (m->uid >= s->idmap->count || m->gid >= s->idmap->count))
            return kiln_err(err, KILN_EINPUT, 0,
                            "mount '%s': owner %u:%u is not mapped in the "
                            "sandbox (%s)",
                            m->target, m->uid, m->gid,
                            s->idmap->warning[0] ? s->idmap->warning : "range too small");
    }
    uint32_t n = s->idmap->count;
    if (s->uid >= n || s->gid >= n)
        return kiln_err(err, KILN_EINPUT, 0, "user %u:%u is not mapped in the sandbox (%s)", s->uid,
                        s->gid, s->idmap->warning[0] ? s->idmap->warning : "range too small");
    return 0;
}

/* /etc/hosts, /etc/hostname and /etc/resolv.conf for the step, in run_dir. */
static int write_etc(const struct sandbox_spec *s, kiln_error_t **err)
{
    cleanup_close int dfd = open(s->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "open '%s'", s->run_dir);
    cleanup_free char *hn = xasprintf("%s\n", s->hostname ? s->hostname : "kiln");
    cleanup_free char *resolv = NULL;
    size_t rlen = 0;
    kiln_error_t *e = NULL;
    /* with no network there is nothing to resolve against: an empty file */
    if (s->network == SANDBOX_NET_HOST &&
        read_file_limited(AT_FDCWD, "/etc/resolv.conf", 64 * 1024, &resolv, &rlen, &e) < 0)
        kiln_error_free(e);
    if (s->network == SANDBOX_NET_DEFAULT) {
        resolv = sbx_net_resolv();
        rlen = strlen(resolv);
    }
    if (mkdirat(dfd, "rootfs", 0755) < 0 && errno != EEXIST)
        return kiln_err_errno(err, KILN_ESANDBOX, "sandbox: mkdir '%s/rootfs'", s->run_dir);
    /* the mount point of the step's private tmpfs for DATA mounts */
    if (mkdirat(dfd, "data", 0700) < 0 && errno != EEXIST)
        return kiln_err_errno(err, KILN_ESANDBOX, "sandbox: mkdir '%s/data'", s->run_dir);
    cleanup_free char *hosts = xasprintf("%s%s", hosts_text, s->extra_hosts ? s->extra_hosts : "");
    if (write_file_atomic(dfd, "hosts", hosts, strlen(hosts), 0644, err) < 0 ||
        write_file_atomic(dfd, "hostname", hn, strlen(hn), 0644, err) < 0 ||
        write_file_atomic(dfd, "resolv.conf", resolv ? resolv : "", rlen, 0644, err) < 0)
        return kiln_err_wrap(err, "sandbox");
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The state of one running step, seen from the parent. */
struct run {
    const struct sandbox_spec *spec;
    struct sandbox_result *res;
    struct cgroup *cg;
    pid_t pid;
    char *pasta_bin;    /* the default network: pasta's binary */
    struct pasta pasta; /* and pasta once started */
    int sock, out_r;
    bool exited; /* init reported the exit status */
    bool killed;
    kiln_error_t *err; /* the first failure */
    size_t nstubs, nwarnings;
    char *buf;
};

static void kill_step(struct run *r, kiln_error_t *e)
{
    if (!r->killed)
        kill(r->pid, SIGKILL); /* pid 1 of the namespace: the kernel kills the rest */
    r->killed = true;
    if (!r->err)
        r->err = e;
    else
        kiln_error_free(e);
}

/* The default network once the id map is written: pasta, given the namespaces the child sent. */
static int start_network(struct run *r, struct chan_msg *m, kiln_error_t **err)
{
    if (r->spec->network != SANDBOX_NET_DEFAULT)
        return 0;
    if (m->nfds != 2)
        return kiln_err(err, KILN_ESANDBOX, 0, "sandbox: the child sent no namespaces");
    struct pasta_opts o = {r->pasta_bin,
                           r->spec->policy,
                           m->fds[0],
                           m->fds[1],
                           idmap_host_uid(r->spec->idmap, 0),
                           idmap_host_gid(r->spec->idmap, 0),
                           r->spec->run_dir};
    return pasta_start(&o, &r->pasta, err);
}

static void close_fds(struct chan_msg *m)
{
    for (size_t i = 0; i < m->nfds; i++)
        close(m->fds[i]);
    m->nfds = 0;
}

static int on_message(struct run *r, struct chan_msg *m)
{
    switch (m->kind) {
    case CHAN_READY: {
        kiln_error_t *e = NULL;
        if (cgroup_add(r->cg, r->pid, &e) < 0 || idmap_write(r->spec->idmap, r->pid, &e) < 0 ||
            sbx_rlimits_raise(r->spec, r->pid, &e) < 0 || start_network(r, m, &e) < 0 ||
            chan_send(r->sock, CHAN_GO, 0, 0, NULL, 0) < 0) {
            if (!e)
                kiln_err_errno(&e, KILN_ESANDBOX, "sandbox: start");
            kill_step(r, e);
        }
        return 0;
    }
    case CHAN_STUB:
        if (r->nstubs < SANDBOX_MAX_STUBS * 4)
            strv_push(&r->res->stubs, &r->nstubs, xstrndup(m->data, m->len));
        return 0;
    case CHAN_ERROR: {
        kiln_error_t *e = NULL;
        chan_to_error(m, &e);
        kill_step(r, e);
        return 0;
    }
    case CHAN_EXIT:
        r->exited = true;
        r->res->how = m->a == SANDBOX_SIGNALED ? SANDBOX_SIGNALED : SANDBOX_EXITED;
        r->res->status = m->b;
        return 0;
    default:
        return -1;
    }
}

static void read_output(struct run *r)
{
    ssize_t n = read(r->out_r, r->buf, OUTPUT_CHUNK);
    if (n > 0 && r->spec->output)
        r->spec->output(r->spec->output_ctx, r->buf, (size_t)n);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        close(r->out_r);
        r->out_r = -1;
    }
}

static void read_channel(struct run *r, struct chan_msg *m)
{
    int n = chan_recv(r->sock, m);
    if (n <= 0) {
        close(r->sock);
        r->sock = -1;
    } else if (on_message(r, m) < 0) {
        kill_step(r, NULL);
    }
    if (n > 0)
        close_fds(m);
}

static void check_limits(struct run *r, double deadline)
{
    char msg[128];
    const char *over = cgroup_exceeded(r->cg, msg, sizeof(msg));
    if (over) {
        kiln_error_t *e = NULL;
        kiln_err(&e, KILN_EBUILD, 0, "%s", over);
        kill_step(r, e);
    } else if (deadline > 0 && now() >= deadline) {
        kiln_error_t *e = NULL;
        kiln_err(&e, KILN_EBUILD, 0, "step timeout of %llu s exceeded",
                 (unsigned long long)r->spec->limits.timeout_sec);
        kill_step(r, e);
    }
}

/* Streams output and messages until both the pipe and the channel are closed. */
static void pump(struct run *r)
{
    cleanup_free struct chan_msg *m = xmalloc(sizeof(*m));
    double t0 = now();
    double deadline = r->spec->limits.timeout_sec ? t0 + (double)r->spec->limits.timeout_sec : 0;
    while (r->out_r >= 0 || r->sock >= 0) {
        struct pollfd p[2] = {{r->out_r, POLLIN, 0}, {r->sock, POLLIN, 0}};
        int n = poll(p, 2, POLL_MS);
        if (n < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            read_output(r);
        if (p[1].revents)
            read_channel(r, m);
        if (!r->killed)
            check_limits(r, deadline);
    }
    r->res->seconds = now() - t0;
}

static pid_t clone_child(struct sbx_child *c)
{
    int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (c->spec->network != SANDBOX_NET_HOST)
        flags |= CLONE_NEWNET;
    fflush(NULL);
    /* fork semantics (no stack given): the child gets a copy of the address space */
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0)
        sbx_child_main(c);
    return pid;
}

static int prepare(const struct sandbox_spec *spec, struct sbx_child *c, char **pasta_bin,
                   int out[2], int sv[2], kiln_error_t **err)
{
    memset(c, 0, sizeof(*c));
    c->spec = spec;
    if (sbx_net_prepare(spec, c, pasta_bin, err) < 0 || write_etc(spec, err) < 0 ||
        sbx_data_prepare(spec, c->data_fds, err) < 0)
        return -1;
    if (sbx_seccomp_build(c->caps, &c->seccomp, err) < 0) {
        sbx_data_close(c->data_fds);
        return -1;
    }
    struct rlimit cur;
    getrlimit(RLIMIT_NOFILE, &cur);
    rlim_t want = cur.rlim_max < 1048576 ? cur.rlim_max : 1048576; /* never above the hard */
    c->nofile = (struct rlimit){want, want};
    getrlimit(RLIMIT_NPROC, &c->nproc); /* sbx_limit_setup may lower it */
    if (sbx_rlimits_prepare(spec, c, err) < 0) {
        sbx_data_close(c->data_fds);
        return -1;
    }
    snprintf(c->shm_opt, sizeof(c->shm_opt), "mode=1777,size=%lluk",
             (unsigned long long)(spec->shm_size ? (spec->shm_size + 1023) / 1024 : 65536));
    if (pipe2(out, O_CLOEXEC) < 0) {
        sbx_data_close(c->data_fds);
        return kiln_err_errno(err, KILN_ESANDBOX, "pipe");
    }
    if (chan_pair(sv, err) < 0) {
        close(out[0]), close(out[1]);
        sbx_data_close(c->data_fds);
        return -1;
    }
    c->sock = sv[1];
    c->out_w = out[1];
    return 0;
}

static void finish(struct run *r)
{
    int st;
    while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
        ;
    char msg[128];
    const char *over = cgroup_exceeded(r->cg, msg, sizeof(msg));
    if (over && (!r->err || r->err->code != KILN_EBUILD)) {
        kiln_error_free(r->err);
        r->err = NULL;
        kiln_err(&r->err, KILN_EBUILD, 0, "%s", over);
    }
    if (!r->err && !r->exited)
        kiln_err(&r->err, KILN_ESANDBOX, 0, "sandbox: the step's init died (%s %d)",
                 WIFSIGNALED(st) ? "signal" : "exit status",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    pasta_stop(&r->pasta); /* the step's network namespace goes with it */
    free(r->pasta_bin);
    cgroup_destroy(r->cg);
}

int sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *res, kiln_error_t **err)
{
    memset(res, 0, sizeof(*res));
    size_t nwarnings = 0;
    if (check_spec(spec, err) < 0 || sbx_preflight(spec, &res->warnings, &nwarnings, err) < 0)
        return -1;
    struct sbx_child c;
    int out[2], sv[2];
    char *pasta_bin = NULL;
    if (prepare(spec, &c, &pasta_bin, out, sv, err) < 0) {
        free(c.seccomp.filter);
        free(pasta_bin);
        return -1;
    }
    struct run r = {.spec = spec,
                    .res = res,
                    .sock = sv[0],
                    .out_r = out[0],
                    .pasta_bin = pasta_bin,
                    .nwarnings = nwarnings};
    if (sbx_limit_setup(spec, &r.cg, &c.nproc, res, &r.nwarnings, err) < 0) {
        close(sv[0]), close(sv[1]), close(out[0]), close(out[1]);
        sbx_data_close(c.data_fds);
        free(c.seccomp.filter);
        free(pasta_bin);
        return -1;
    }
    if (spec->idmap->warning[0])
        strv_push(&res->warnings, &r.nwarnings, xstrdup(spec->idmap->warning));
    r.pid = clone_child(&c);
    int clone_errno = errno;
    close(sv[1]);
    close(out[1]);
    sbx_data_close(c.data_fds);
    free(c.seccomp.filter);
    if (r.pid < 0) {
        close(sv[0]), close(out[0]);
        cgroup_destroy(r.cg);
        free(r.pasta_bin);
        return kiln_err(err, KILN_ESANDBOX, clone_errno, "sandbox: clone");
    }
    r.buf = xmalloc(OUTPUT_CHUNK);
    fcntl(r.out_r, F_SETFL, O_NONBLOCK);
    pump(&r);
    free(r.buf);
    finish(&r);
    if (r.err) {
        *err = r.err;
        return -1;
    }
    return 0;
}

void sandbox_result_release(struct sandbox_result *res)
{
    strv_free(res->stubs);
    strv_free(res->warnings);
    res->stubs = res->warnings = NULL;
}
