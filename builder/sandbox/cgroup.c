#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fsutil.h"
#include "util.h"

#define CGROUP2_MAGIC 0x63677270
#define CG_MAX_FILE   (64 * 1024)

enum ctrl { CG_MEMORY = CGROUP_MEMORY, CG_PIDS = CGROUP_PIDS, CG_CPU = CGROUP_CPU, CG_N };
static const char *const ctrl_names[CG_N] = {"memory", "pids", "cpu"};

struct cgroup {
    char *dirs[CG_N]; /* the step's cgroup directory per controller, NULL when not used */
    bool v2[CG_N];
    struct sandbox_limits limits;
};

static char *read_small(const char *path)
{
    char *data = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, path, CG_MAX_FILE, &data, NULL, &e) < 0)
        kiln_error_free(e);
    return data;
}

static int write_str(const char *dir, const char *file, const char *val)
{
    cleanup_free char *p = xasprintf("%s/%s", dir, file);
    cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, val, strlen(val)) < 0)
        return -1;
    return 0;
}

/* kiln's own cgroup path in the hierarchy of ctrl ("" for v2), from /proc/self/cgroup. */
static char *own_path(const char *ctrl)
{
    cleanup_free char *data = read_small("/proc/self/cgroup");
    char *save = NULL;
    for (char *l = data ? strtok_r(data, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        bool match = *ctrl ? false : !strcmp(c1 + 1, "");
        for (char *save2 = NULL, *t = *ctrl ? strtok_r(c1 + 1, ",", &save2) : NULL; t;
             t = strtok_r(NULL, ",", &save2))
            match = match || !strcmp(t, ctrl);
        if (match)
            return xstrdup(c2 + 1);
    }
    return NULL;
}

static char *v2_mount(void)
{
    struct statfs sf;
    if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_MAGIC)
        return xstrdup("/sys/fs/cgroup");
    if (statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_MAGIC)
        return xstrdup("/sys/fs/cgroup/unified");
    return NULL;
}

static bool word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; p && (p = strstr(p, w)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
            return true;
    return false;
}

/* The parent directory for the step's cgroup of ctrl, and whether it is v2. */
static char *parent_dir(enum ctrl c, bool *v2)
{
    cleanup_free char *mnt = v2_mount();
    cleanup_free char *p2 = mnt ? own_path("") : NULL;
    if (p2) {
        cleanup_free char *dir = xasprintf("%s%s", mnt, strcmp(p2, "/") ? p2 : "");
        cleanup_free char *f = xasprintf("%s/cgroup.controllers", dir);
        cleanup_free char *ctrls = read_small(f);
        if (ctrls && word_in(ctrls, ctrl_names[c])) {
            cleanup_free char *val = xasprintf("+%s", ctrl_names[c]);
            write_str(dir, "cgroup.subtree_control", val); /* may already be on */
            *v2 = true;
            return steal_ptr(dir);
        }
    }
    cleanup_free char *p1 = own_path(ctrl_names[c]);
    cleanup_free char *base = xasprintf("/sys/fs/cgroup/%s", ctrl_names[c]);
    struct statfs sf;
    if (!p1 || statfs(base, &sf) < 0 || sf.f_type == CGROUP2_MAGIC)
        return NULL;
    *v2 = false;
    return xasprintf("%s%s", base, strcmp(p1, "/") ? p1 : "");
}

static int apply(struct cgroup *cg, enum ctrl c, const char *dir)
{
    char val[64];
    const struct sandbox_limits *l = &cg->limits;
    bool v2 = cg->v2[c];
    switch (c) {
    case CG_MEMORY:
        snprintf(val, sizeof(val), "%llu", (unsigned long long)l->memory);
        if (write_str(dir, v2 ? "memory.max" : "memory.limit_in_bytes", val) < 0)
            return -1;
        /* no swap beyond the limit, where the kernel accounts it */
        write_str(dir, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes", v2 ? "0" : val);
        return 0;
    case CG_PIDS:
        snprintf(val, sizeof(val), "%llu", (unsigned long long)l->pids);
        return write_str(dir, "pids.max", val);
    case CG_CPU:
        if (v2) {
            snprintf(val, sizeof(val), "%llu 100000", (unsigned long long)l->cpus_milli * 100);
            return write_str(dir, "cpu.max", val);
        }
        snprintf(val, sizeof(val), "%llu", (unsigned long long)l->cpus_milli * 100);
        if (write_str(dir, "cpu.cfs_period_us", "100000") < 0)
            return -1;
        return write_str(dir, "cpu.cfs_quota_us", val);
    default:
        return -1;
    }
}

/* Returns NULL when the limit applies, else why not (allocated). */
static char *create_one(struct cgroup *cg, enum ctrl c)
{
    bool v2 = false;
    cleanup_free char *parent = parent_dir(c, &v2);
    if (!parent)
        return xasprintf("no %s cgroup controller kiln may use", ctrl_names[c]);
    char name[] = "kiln-XXXXXXXXXXXX";
    random_name(name + 5, 12);
    cleanup_free char *dir = xasprintf("%s/%s", parent, name);
    bool made = false;
    for (int k = 0; v2 && k < (int)c; k++) /* a process has one v2 cgroup: share it */
        if (cg->dirs[k] && cg->v2[k]) {
            free(dir);
            dir = xstrdup(cg->dirs[k]);
            made = true;
        }
    cg->v2[c] = v2;
    if ((!made && mkdir(dir, 0755) < 0) || apply(cg, c, dir) < 0) {
        int e = errno;
        if (!made)
            rmdir(dir);
        return xasprintf("cgroup %s '%s': %s", v2 ? "v2" : "v1", parent, strerror(e));
    }
    cg->dirs[c] = steal_ptr(dir);
    return NULL;
}

unsigned cgroup_create(const struct sandbox_limits *l, struct cgroup **out,
                       char *why[CGROUP_NLIMITS])
{
    struct cgroup *cg = xcalloc(1, sizeof(*cg));
    cg->limits = *l;
    bool want[CG_N] = {l->memory != 0, l->pids != 0, l->cpus_milli != 0};
    bool any = false;
    unsigned failed = 0;
    for (int c = 0; c < CG_N; c++) {
        why[c] = want[c] ? create_one(cg, (enum ctrl)c) : NULL;
        failed |= why[c] ? 1u << c : 0;
        any = any || cg->dirs[c];
    }
    if (!any) {
        cgroup_destroy(cg);
        cg = NULL;
    }
    *out = cg;
    return failed;
}

int cgroup_add(struct cgroup *cg, pid_t pid, kiln_error_t **err)
{
    char val[32];
    snprintf(val, sizeof(val), "%d", (int)pid);
    for (int c = 0; cg && c < CG_N; c++) {
        /* several controllers may share one v2 directory: the first write moves the process */
        if (cg->dirs[c] && write_str(cg->dirs[c], "cgroup.procs", val) < 0)
            return kiln_err_errno(err, KILN_ESANDBOX, "cgroup '%s': add process", cg->dirs[c]);
    }
    return 0;
}

/* The value of "key N" in a flat keyed file such as memory.events. */
static unsigned long long keyed(const char *dir, const char *file, const char *key)
{
    cleanup_free char *p = xasprintf("%s/%s", dir, file);
    cleanup_free char *data = read_small(p);
    size_t n = strlen(key);
    for (char *l = data; l && *l;) {
        if (!strncmp(l, key, n) && l[n] == ' ')
            return strtoull(l + n + 1, NULL, 10);
        l = strchr(l, '\n');
        l = l ? l + 1 : NULL;
    }
    return 0;
}

static void human(uint64_t b, char *buf, size_t n)
{
    if (b % (1ull << 30) == 0)
        snprintf(buf, n, "%llu GiB", (unsigned long long)(b >> 30));
    else if (b % (1ull << 20) == 0)
        snprintf(buf, n, "%llu MiB", (unsigned long long)(b >> 20));
    else if (b % 1024 == 0)
        snprintf(buf, n, "%llu KiB", (unsigned long long)(b >> 10));
    else
        snprintf(buf, n, "%llu bytes", (unsigned long long)b);
}

const char *cgroup_describe(const struct sandbox_limits *l, enum cgroup_limit k, char *buf,
                            size_t n)
{
    char h[32];
    switch (k) {
    case CGROUP_MEMORY:
        human(l->memory, h, sizeof(h));
        snprintf(buf, n, "memory limit of %s", h);
        break;
    case CGROUP_PIDS:
        snprintf(buf, n, "pids limit of %llu", (unsigned long long)l->pids);
        break;
    default:
        snprintf(buf, n, "cpu limit of %llu.%02llu CPUs", (unsigned long long)l->cpus_milli / 1000,
                 (unsigned long long)l->cpus_milli % 1000 / 10);
        break;
    }
    return buf;
}

const char *cgroup_exceeded(struct cgroup *cg, char *buf, size_t n)
{
    if (!cg)
        return NULL;
    const char *m = cg->dirs[CG_MEMORY];
    if (m && keyed(m, cg->v2[CG_MEMORY] ? "memory.events" : "memory.oom_control", "oom_kill")) {
        char h[32];
        human(cg->limits.memory, h, sizeof(h));
        snprintf(buf, n, "memory limit of %s exceeded", h);
        return buf;
    }
    const char *p = cg->dirs[CG_PIDS];
    if (p && keyed(p, "pids.events", "max")) {
        snprintf(buf, n, "pids limit of %llu exceeded", (unsigned long long)cg->limits.pids);
        return buf;
    }
    return NULL;
}

static void kill_all(const char *dir)
{
    cleanup_free char *p = xasprintf("%s/cgroup.procs", dir);
    cleanup_free char *data = read_small(p);
    for (char *l = data; l && *l;) {
        long pid = strtol(l, &l, 10);
        if (pid > 0)
            kill((pid_t)pid, SIGKILL);
        while (*l == '\n')
            l++;
    }
}

void cgroup_destroy(struct cgroup *cg)
{
    if (!cg)
        return;
    for (int c = 0; c < CG_N; c++) {
        if (!cg->dirs[c])
            continue;
        for (int tries = 0; tries < 200 && rmdir(cg->dirs[c]) < 0 && errno == EBUSY; tries++) {
            kill_all(cg->dirs[c]);
            nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
        }
        free(cg->dirs[c]);
    }
    free(cg);
}
