/* The sandbox child, from clone to pivot_root: it becomes container root, mounts the step's
 * rootfs and the special filesystems beneath it (targets always resolved inside the rootfs with
 * openat2 RESOLVE_IN_ROOT, mounted through their descriptors), then pivots into it.
 *
 * Errors go to the parent over the channel (chan_fail) and the child _exits: it never returns
 * into kiln's code. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <grp.h>

#include "chan.h"
#include "data.h"
#include "fsutil.h"
#include "harden.h"
#include "sandbox/preflight.h"
#include "sandbox_int.h"
#include "util.h"

#define FAIL_CODE(c, code, ...)                                                                    \
    do {                                                                                           \
        chan_fail((c)->sock, (code), errno, __VA_ARGS__);                                          \
        _exit(1);                                                                                  \
    } while (0)
#define FAIL(c, ...) FAIL_CODE(c, KILN_ESANDBOX, __VA_ARGS__)

enum { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM, DEV_URANDOM, DEV_TTY, DEV_N };
static const char *const dev_nodes[DEV_N] = {"null", "zero", "full", "random", "urandom", "tty"};

/* Docker's masked and read-only paths (moby oci/defaults.go). */
static const char *const masked_paths[] = {
    "proc/asound",      "proc/acpi",          "proc/interrupts", "proc/kcore",
    "proc/keys",        "proc/latency_stats", "proc/timer_list", "proc/timer_stats",
    "proc/sched_debug", "proc/scsi",          "sys/firmware",    "sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

/* Descriptors the child opens by path in its new mount namespace, before it drops host root
 * (bind sources must be mounts of its own namespace). */
struct host_fds {
    int run, upper, work, dir, sys;
    int data;     /* run_dir/data: where the DATA tmpfs goes */
    int data_mnt; /* the root of that tmpfs once mounted, else -1 */
    int dev[DEV_N];
    int binds[SANDBOX_MAX_MOUNTS];
    int rootfs; /* the step's root mount, once mounted */
    char rootpath[4096];
    size_t rootlen;
};

static void procfd(char *buf, size_t n, int fd)
{
    snprintf(buf, n, "/proc/self/fd/%d", fd);
}

static int open_path(const char *p, int flags)
{
    return open(p, O_PATH | O_CLOEXEC | flags);
}

static void open_host(struct sbx_child *c, struct host_fds *h)
{
    const struct sandbox_spec *s = c->spec;
    if ((h->run = open_path(s->run_dir, O_DIRECTORY)) < 0)
        FAIL(c, "open '%s'", s->run_dir);
    h->data_mnt = -1;
    if ((h->data = openat(h->run, "data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        FAIL(c, "open '%s/data'", s->run_dir);
    const struct sandbox_rootfs *r = &s->rootfs;
    h->upper = h->work = h->dir = -1;
    if (r->dir && (h->dir = open_path(r->dir, O_DIRECTORY)) < 0)
        FAIL(c, "open rootfs '%s'", r->dir);
    if (!r->dir && ((h->upper = open_path(r->upper, O_DIRECTORY)) < 0 ||
                    (h->work = open_path(r->work, O_DIRECTORY)) < 0))
        FAIL(c, "open overlay upper '%s'", r->upper);
    size_t off = (size_t)snprintf(c->lowerdir_opt, sizeof(c->lowerdir_opt), "lowerdir=");
    for (size_t i = 0; !r->dir && i < r->nlowers; i++) {
        if ((c->lower_fds[i] = open_path(r->lowers[i], O_DIRECTORY)) < 0)
            FAIL(c, "open layer '%s'", r->lowers[i]);
        off += (size_t)snprintf(c->lowerdir_opt + off, sizeof(c->lowerdir_opt) - off,
                                "%s/proc/self/fd/%d", i ? ":" : "", c->lower_fds[i]);
        if (off >= sizeof(c->lowerdir_opt) - 1)
            FAIL(c, "too many layers for one overlay mount");
    }
    for (int i = 0; i < DEV_N; i++) {
        char p[32];
        snprintf(p, sizeof(p), "/dev/%s", dev_nodes[i]);
        if ((h->dev[i] = open_path(p, 0)) < 0)
            FAIL(c, "open '%s'", p);
    }
    h->sys = open_path("/sys", O_DIRECTORY);
    for (size_t i = 0; i < s->nmounts; i++) {
        h->binds[i] = -1;
        if ((s->mounts[i].type == SANDBOX_MOUNT_BIND ||
             s->mounts[i].type == SANDBOX_MOUNT_SOCKET) &&
            (h->binds[i] = open_path(s->mounts[i].source, 0)) < 0)
            FAIL(c, "mount source '%s'", s->mounts[i].source);
    }
}

static void become_root(struct sbx_child *c)
{
    struct chan_msg m; /* on the stack: no allocation in the child (kiln may have threads) */
    if (chan_recv(c->sock, &m) <= 0 || m.kind != CHAN_GO)
        _exit(1); /* the parent gave up */
    if (sbx_setresgid(0) < 0 || sbx_setresuid(0) < 0)
        FAIL(c, "become root in the user namespace");
    if (sbx_harden_after_map() < 0)
        FAIL(c, "make the step's init not dumpable");
    if (c->spec->idmap->mode != IDMAP_SINGLE && syscall(SYS_setgroups, 0, NULL) < 0)
        FAIL(c, "setgroups");
    /* credentials changed: the parent-death signal must be set again */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL)
        FAIL(c, "unshare(CLONE_NEWCGROUP)");
}

static void net_and_uts(struct sbx_child *c)
{
    const char *hn = c->spec->hostname ? c->spec->hostname : "kiln";
    /* a seccomp profile that refuses it leaves the inherited name (sandbox/preflight.h) */
    if (sethostname(hn, strlen(hn)) < 0 && !sbx_preflight_hostname_refused())
        FAIL(c, "sethostname");
    sbx_net_setup(c); /* network.c */
}

static void mount_rootfs(struct sbx_child *c, struct host_fds *h)
{
    const struct sandbox_rootfs *r = &c->spec->rootfs;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        FAIL(c, "make mounts private");
    cleanup_close int mp = openat(h->run, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char target[64], src[64];
    procfd(target, sizeof(target), mp);
    if (mp < 0)
        FAIL(c, "open rootfs mount point");
    if (r->dir) {
        procfd(src, sizeof(src), h->dir);
        if (mount(src, target, NULL, MS_BIND, NULL) < 0)
            FAIL(c, "bind rootfs '%s'", r->dir);
    } else {
        char opts[4096 + 256];
        if (r->nlowers == 0)
            FAIL(c, "overlay rootfs without a lower layer");
        snprintf(opts, sizeof(opts),
                 "%s,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d,userxattr", c->lowerdir_opt,
                 h->upper, h->work);
        if (mount("overlay", target, "overlay", 0, opts) < 0) /* the copy snapshotter may do */
            FAIL_CODE(c, KILN_ESNAPSHOT, "mount overlay rootfs");
    }
    /* a fresh lookup crosses into the new mount (the old descriptor is the covered directory) */
    h->rootfs = openat(h->run, "rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC);
    char link[64];
    procfd(link, sizeof(link), h->rootfs);
    ssize_t n = h->rootfs < 0 ? -1 : readlink(link, h->rootpath, sizeof(h->rootpath) - 1);
    if (n <= 0)
        FAIL(c, "open rootfs");
    h->rootpath[n] = '\0';
    h->rootlen = (size_t)n;
}

/* Opens rel beneath the rootfs: symlinks and ".." stay inside it. */
static int in_root(struct host_fds *h, const char *rel, int flags)
{
    return openat2_retry(h->rootfs, rel, flags, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* Tells the parent about a mount point the sandbox had to create (fd: the new entry). */
static void report_stub(struct sbx_child *c, struct host_fds *h, int fd)
{
    char link[64], path[4096];
    procfd(link, sizeof(link), fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= (ssize_t)h->rootlen || strncmp(path, h->rootpath, h->rootlen) != 0 ||
        path[h->rootlen] != '/')
        return;
    chan_send(c->sock, CHAN_STUB, 0, 0, path + h->rootlen + 1, (size_t)n - h->rootlen - 1);
}

/* Returns an O_PATH descriptor of rel in the rootfs, creating it (and missing parents) when
 * missing: a directory, or an empty file when !dir. Created entries are reported as stubs. */
static int ensure(struct sbx_child *c, struct host_fds *h, const char *rel, bool dir)
{
    int fd = in_root(h, rel, O_PATH);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char parent[4096];
    const char *slash = strrchr(rel, '/');
    size_t plen = slash ? (size_t)(slash - rel) : 0;
    if (plen >= sizeof(parent))
        return errno = ENAMETOOLONG, -1;
    memcpy(parent, rel, plen);
    parent[plen] = '\0';
    cleanup_close int pfd = plen ? ensure(c, h, parent, true) : in_root(h, ".", O_PATH);
    if (pfd < 0)
        return -1;
    cleanup_close int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *name = slash ? slash + 1 : rel;
    if (dfd < 0)
        return -1;
    int r = dir ? mkdirat(dfd, name, 0755)
                : openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (r < 0)
        return -1;
    if (!dir)
        close(r);
    fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        report_stub(c, h, fd);
    return fd;
}

static int mount_at(int tfd, const char *src, const char *type, unsigned long flags,
                    const char *data)
{
    char target[64];
    procfd(target, sizeof(target), tfd);
    return mount(src, target, type, flags, data);
}

/* Bind-mounts the object of srcfd (a mount of this namespace) on tfd with the given attributes,
 * through a detached copy so the attributes are set before it becomes visible. */
static int bind_at(int srcfd, int tfd, uint64_t attrs, bool recursive)
{
    unsigned rec = recursive ? AT_RECURSIVE : 0;
    cleanup_close int t =
        open_tree(srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
    if (t < 0)
        return -1;
    struct mount_attr a = {.attr_set = attrs};
    if (attrs && mount_setattr(t, "", AT_EMPTY_PATH | rec, &a, sizeof(a)) < 0)
        return -1;
    return move_mount(t, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

#define RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static void mount_proc_sys(struct sbx_child *c, struct host_fds *h)
{
    cleanup_close int p = ensure(c, h, "proc", true);
    if (p < 0 || mount_at(p, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        FAIL(c, "mount /proc");
    cleanup_close int s = ensure(c, h, "sys", true);
    if (s < 0)
        FAIL(c, "mount point /sys");
    /* sysfs needs a network namespace of our own; with the host's, bind the host's read-only */
    if (mount_at(s, "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
        (h->sys < 0 || bind_at(h->sys, s, RO_ATTRS, true) < 0))
        FAIL(c, "mount /sys");
}

static void mask_paths(struct sbx_child *c, struct host_fds *h)
{
    for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
        cleanup_close int t = in_root(h, masked_paths[i], O_PATH | O_NOFOLLOW);
        struct stat st;
        if (t < 0 || fstat(t, &st) < 0)
            continue;
        int r = S_ISDIR(st.st_mode)
                    ? mount_at(t, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               "size=0,mode=0755")
                    : bind_at(h->dev[DEV_NULL], t, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, false);
        if (r < 0)
            FAIL(c, "mask /%s", masked_paths[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
        cleanup_close int t = in_root(h, readonly_paths[i], O_PATH | O_NOFOLLOW);
        if (t < 0)
            continue;
        if (bind_at(t, t, RO_ATTRS, true) < 0)
            FAIL(c, "read-only /%s", readonly_paths[i]);
    }
}

static void dev_links(struct sbx_child *c, int dfd)
{
    static const char *const links[][2] = {
        {"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
        {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(links); i++)
        if (symlinkat(links[i][1], dfd, links[i][0]) < 0)
            FAIL(c, "/dev/%s", links[i][0]);
}

static void mount_dev(struct sbx_child *c, struct host_fds *h)
{
    cleanup_close int d = ensure(c, h, "dev", true);
    if (d < 0 ||
        mount_at(d, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
        FAIL(c, "mount /dev");
    cleanup_close int dfd = in_root(h, "dev", O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        FAIL(c, "open /dev");
    for (int i = 0; i < DEV_N; i++) {
        int f = openat(dfd, dev_nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        if (f >= 0)
            close(f);
        cleanup_close int t = openat(dfd, dev_nodes[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (f < 0 || t < 0 ||
            bind_at(h->dev[i], t, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false) < 0)
            FAIL(c, "/dev/%s", dev_nodes[i]);
    }
    const char *pts_opts = c->spec->idmap->count > 5 ? "newinstance,ptmxmode=0666,mode=0620,gid=5"
                                                     : "newinstance,ptmxmode=0666,mode=0620";
    if (mkdirat(dfd, "pts", 0755) < 0 || mkdirat(dfd, "shm", 01777) < 0)
        FAIL(c, "/dev/pts");
    cleanup_close int pts = openat(dfd, "pts", O_PATH | O_CLOEXEC);
    cleanup_close int shm = openat(dfd, "shm", O_PATH | O_CLOEXEC);
    if (pts < 0 || mount_at(pts, "devpts", "devpts", MS_NOSUID | MS_NOEXEC, pts_opts) < 0)
        FAIL(c, "mount /dev/pts");
    if (shm < 0 || mount_at(shm, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, c->shm_opt) < 0)
        FAIL(c, "mount /dev/shm");
    dev_links(c, dfd);
}

static void mount_etc(struct sbx_child *c, struct host_fds *h)
{
    static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        char rel[32];
        snprintf(rel, sizeof(rel), "etc/%s", files[i]);
        cleanup_close int src = openat(h->run, files[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int t = ensure(c, h, rel, false);
        struct stat st;
        /* a directory or a device at /etc/hosts: leave it, as Docker does not mount over it */
        if (t >= 0 && fstat(t, &st) == 0 && !S_ISREG(st.st_mode))
            continue;
        if (src < 0 || t < 0 || bind_at(src, t, RO_ATTRS, false) < 0)
            FAIL(c, "mount /%s", rel);
    }
}

/* The tmpfs for DATA mounts, sized for all of them: created detached (fsopen/fsmount, never
 * visible anywhere else), then attached at run_dir/data in this namespace only, so that its
 * files can be bind-mounted. */
static void data_tmpfs(struct sbx_child *c, struct host_fds *h)
{
    const struct sandbox_spec *s = c->spec;
    unsigned long long size = 4096, files = 4;
    for (size_t i = 0; i < s->nmounts; i++)
        if (s->mounts[i].type == SANDBOX_MOUNT_DATA)
            size += (s->mounts[i].len + 4095) / 4096 * 4096, files++;
    char sz[32], inodes[32];
    snprintf(sz, sizeof(sz), "%llu", size);
    snprintf(inodes, sizeof(inodes), "%llu", files);
    prctl(PR_SET_DUMPABLE, 0); /* this process holds secrets: no ptrace, no /proc/N/mem */
    cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", sz, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        FAIL(c, "secret tmpfs");
    h->data_mnt =
        fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (h->data_mnt < 0 || move_mount(h->data_mnt, "", h->data, "",
                                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        FAIL(c, "mount the secret tmpfs");
}

/* Writes DATA mount i into the private tmpfs and binds the file read-only on t. */
static void mount_data(struct sbx_child *c, struct host_fds *h, size_t i, int t)
{
    const struct sandbox_mount *m = &c->spec->mounts[i];
    if (h->data_mnt < 0)
        data_tmpfs(c, h);
    char name[24];
    snprintf(name, sizeof(name), "%zu", i);
    cleanup_close int fd =
        openat(h->data_mnt, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || sbx_data_copy(c->data_fds[i], fd, m->len) < 0 || fchown(fd, m->uid, m->gid) < 0 ||
        fchmod(fd, m->mode ? m->mode : 0400) < 0)
        FAIL(c, "write '%s'", m->target);
    close(c->data_fds[i]);
    c->data_fds[i] = -1;
    cleanup_close int src = openat(h->data_mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0 || bind_at(src, t, RO_ATTRS, false) < 0)
        FAIL(c, "bind mount '%s'", m->target);
}

static void extra_mounts(struct sbx_child *c, struct host_fds *h)
{
    const struct sandbox_spec *s = c->spec;
    for (size_t i = 0; i < s->nmounts; i++) {
        const struct sandbox_mount *m = &s->mounts[i];
        struct stat st;
        bool dir =
            m->type == SANDBOX_MOUNT_TMPFS ||
            (m->type == SANDBOX_MOUNT_BIND && fstat(h->binds[i], &st) == 0 && S_ISDIR(st.st_mode));
        cleanup_close int t = ensure(c, h, m->target + strspn(m->target, "/"), dir);
        if (t < 0)
            FAIL(c, "mount point '%s'", m->target);
        uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        attrs |= (m->flags & SANDBOX_MNT_RO) ? MOUNT_ATTR_RDONLY : 0;
        attrs |= (m->flags & SANDBOX_MNT_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0;
        if (m->type == SANDBOX_MOUNT_DATA) {
            mount_data(c, h, i, t);
            continue;
        }
        if (m->type == SANDBOX_MOUNT_SOCKET) {
            struct stat sst;
            if (fstat(h->binds[i], &sst) < 0 ||
                ((sst.st_uid != m->uid || sst.st_gid != m->gid) &&
                 fchownat(h->binds[i], "", m->uid, m->gid, AT_EMPTY_PATH) < 0))
                FAIL(c, "socket '%s': owner", m->target);
        }
        if (m->type == SANDBOX_MOUNT_BIND || m->type == SANDBOX_MOUNT_SOCKET) {
            if (bind_at(h->binds[i], t, attrs, false) < 0)
                FAIL(c, "bind mount '%s'", m->target);
            continue;
        }
        char opts[128];
        snprintf(opts, sizeof(opts), "size=%llu,mode=%o,uid=%u,gid=%u",
                 (unsigned long long)(m->size ? m->size : 64u << 20), m->mode ? m->mode : 01777,
                 m->uid, m->gid);
        unsigned long fl = MS_NOSUID | MS_NODEV | ((m->flags & SANDBOX_MNT_RO) ? MS_RDONLY : 0) |
                           ((m->flags & SANDBOX_MNT_NOEXEC) ? MS_NOEXEC : 0);
        if (mount_at(t, "tmpfs", "tmpfs", fl, opts) < 0)
            FAIL(c, "tmpfs '%s'", m->target);
    }
}

static void pivot(struct sbx_child *c, struct host_fds *h)
{
    if (fchdir(h->rootfs) < 0)
        FAIL(c, "chdir rootfs");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        FAIL(c, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        FAIL(c, "detach the old root");
    if (chdir("/") < 0)
        FAIL(c, "chdir /");
}

void sbx_child_main(struct sbx_child *c)
{
    struct host_fds h;
    memset(&h, 0, sizeof(h));
    if (sbx_harden_child_start(c) < 0)
        FAIL(c, "new session");
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    open_host(c, &h);
    if (sbx_net_ready(c) < 0)
        _exit(1);
    become_root(c);
    net_and_uts(c);
    mount_rootfs(c, &h);
    mount_proc_sys(c, &h);
    mount_dev(c, &h);
    mask_paths(c, &h);
    mount_etc(c, &h);
    extra_mounts(c, &h);
    pivot(c, &h);
    sbx_init_main(c);
}
