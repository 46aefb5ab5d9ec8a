#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "fsutil.h"
#include "idmap.h"
#include "idmap_alloc.h"
#include "sandbox/preflight.h"
#include "util.h"

#define NEWUIDMAP "/usr/bin/newuidmap"
#define NEWGIDMAP "/usr/bin/newgidmap"

extern char **environ;

/* The ranges of user (name or decimal uid) in an /etc/sub[ug]id file, in file order, into r
 * (at most max) as container ids from 1 up: a range holding own (the user's own uid or gid) is
 * skipped, and they stop at IDMAP_COUNT - 1 ids in all (*total). -1 when the user has none. Several
 * ranges let a user in a container of 65536 ids map all but its own (as "kiln:1:999" and
 * "kiln:1001:64535" do for uid 1000). */
static int subid_ranges(const char *file, const char *name, uint32_t uid, uint32_t own,
                        struct idmap_range *r, size_t max, size_t *n, uint32_t *total)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    *n = 0;
    *total = 0;
    if (read_file_limited(AT_FDCWD, file, 1u << 20, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return -1;
    }
    char uidstr[16];
    snprintf(uidstr, sizeof(uidstr), "%u", uid);
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line && *n < max && *total < IDMAP_COUNT - 1;
         line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        if (strcmp(line, uidstr) != 0 && (!name || strcmp(line, name) != 0))
            continue;
        uint64_t st, cnt;
        if (parse_u64(c1 + 1, UINT32_MAX, &st) < 0 || parse_u64(c2 + 1, UINT32_MAX, &cnt) < 0 ||
            cnt == 0 || st + cnt > UINT32_MAX || (own >= st && own - st < cnt))
            continue;
        if (cnt > IDMAP_COUNT - 1 - *total)
            cnt = IDMAP_COUNT - 1 - *total;
        r[*n] = (struct idmap_range){1 + *total, (uint32_t)st, (uint32_t)cnt};
        *total += (uint32_t)cnt;
        (*n)++;
    }
    return *n ? 0 : -1;
}

/* Cuts ranges (from container id 1 up) to the first want ids. */
static size_t trim_ranges(struct idmap_range *r, size_t n, uint32_t want)
{
    size_t i = 0;
    for (uint32_t have = 0; i < n && have < want; i++) {
        if (r[i].count > want - have)
            r[i].count = want - have;
        have += r[i].count;
    }
    return i;
}

static void set_ranges(struct idmap *m, uint32_t uid, uint32_t gid)
{
    m->uids[0] = (struct idmap_range){0, uid, m->count};
    m->gids[0] = (struct idmap_range){0, gid, m->count};
    m->nuids = m->ngids = 1;
}

/* ROOT/idmap holds "BASE COUNT" for uids and the same for gids, one line each. */
static int root_map(const char *root, struct idmap *m, kiln_error_t **err)
{
    cleanup_free char *path = xasprintf("%s/idmap", root);
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    unsigned long long ub, uc, gb, gc;
    m->mode = IDMAP_ROOT;
    if (read_file_limited(AT_FDCWD, path, 4096, &data, NULL, &e) == 0) {
        /* never host ids of system or login users (the store's checks keep others out of it) */
        if (sscanf(data, "%llu %llu\n%llu %llu", &ub, &uc, &gb, &gc) != 4 || uc != IDMAP_COUNT ||
            gc != IDMAP_COUNT || ub < IDMAP_MIN_BASE || gb < IDMAP_MIN_BASE ||
            ub + uc > UINT32_MAX || gb + gc > UINT32_MAX)
            return kiln_err(err, KILN_ECORRUPT, 0,
                            "store '%s': bad idmap file (\"BASE %u\" twice, BASE at least %u)",
                            root, IDMAP_COUNT, IDMAP_MIN_BASE);
        m->count = IDMAP_COUNT;
        set_ranges(m, (uint32_t)ub, (uint32_t)gb);
        return 0;
    }
    kiln_error_free(e);
    uint32_t base;
    if (idmap_alloc_store(root, &base, err) < 0) /* a range of its own (idmap_alloc.h) */
        return -1;
    m->count = IDMAP_COUNT;
    set_ranges(m, base, base);
    return 0;
}

static void single_map(struct idmap *m, const char *why)
{
    m->mode = IDMAP_SINGLE;
    m->count = 1;
    m->uids[0] = (struct idmap_range){0, getuid(), 1};
    m->gids[0] = (struct idmap_range){0, getgid(), 1};
    m->nuids = m->ngids = 1;
    snprintf(m->warning, sizeof(m->warning),
             "%s: steps run with a single-id user namespace (only root exists, USER and file "
             "owners other than root are not kept)",
             why);
}

int idmap_for_store(const char *root, struct idmap *m, kiln_error_t **err)
{
    memset(m, 0, sizeof(*m));
    if (geteuid() == 0)
        return root_map(root, m, err);
    uid_t uid = getuid();
    struct passwd *pw = getpwuid(uid);
    const char *name = pw ? pw->pw_name : NULL;
    size_t nu, ng;
    uint32_t uc, gc;
    if (subid_ranges("/etc/subuid", name, uid, uid, &m->uids[1], IDMAP_MAX_RANGES - 1, &nu, &uc) <
            0 ||
        subid_ranges("/etc/subgid", name, uid, getgid(), &m->gids[1], IDMAP_MAX_RANGES - 1, &ng,
                     &gc) < 0) {
        memset(m, 0, sizeof(*m));
        single_map(m, "no subordinate id range in /etc/subuid and /etc/subgid");
        return 0;
    }
    if (access(NEWUIDMAP, X_OK) < 0 || access(NEWGIDMAP, X_OK) < 0) {
        single_map(m, "newuidmap/newgidmap not found (package uidmap)");
        return 0;
    }
    uint32_t n = uc < gc ? uc : gc;
    m->mode = IDMAP_SUBID;
    m->count = n + 1;
    m->uids[0] = (struct idmap_range){0, uid, 1};
    m->gids[0] = (struct idmap_range){0, getgid(), 1};
    m->nuids = 1 + trim_ranges(&m->uids[1], nu, n);
    m->ngids = 1 + trim_ranges(&m->gids[1], ng, n);
    return 0;
}

static int64_t host_id(const struct idmap_range *r, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (id >= r[i].inside && id - r[i].inside < r[i].count)
            return (int64_t)r[i].outside + (id - r[i].inside);
    return -1;
}

int64_t idmap_host_uid(const struct idmap *m, uint32_t n)
{
    return host_id(m->uids, m->nuids, n);
}

int64_t idmap_host_gid(const struct idmap *m, uint32_t n)
{
    return host_id(m->gids, m->ngids, n);
}

static int write_proc(pid_t pid, const char *file, const char *text, kiln_error_t **err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "write %s", path);
    return 0;
}

static char *map_text(const struct idmap_range *r, size_t n)
{
    char buf[256];
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", r[i].inside,
                                r[i].outside, r[i].count);
    return xstrdup(buf);
}

/* Runs newuidmap/newgidmap PID inside outside count ... and waits for it. */
static int run_helper(const char *helper, pid_t pid, const struct idmap_range *r, size_t n,
                      kiln_error_t **err)
{
    char args[1 + 3 * IDMAP_MAX_RANGES][16];
    char *argv[3 + 3 * IDMAP_MAX_RANGES] = {(char *)helper, args[0], NULL};
    snprintf(args[0], sizeof(args[0]), "%d", (int)pid);
    for (size_t i = 0; i < n && i < IDMAP_MAX_RANGES; i++) {
        snprintf(args[1 + 3 * i], 16, "%u", r[i].inside);
        snprintf(args[2 + 3 * i], 16, "%u", r[i].outside);
        snprintf(args[3 + 3 * i], 16, "%u", r[i].count);
        argv[2 + 3 * i] = args[1 + 3 * i];
        argv[3 + 3 * i] = args[2 + 3 * i];
        argv[4 + 3 * i] = args[3 + 3 * i];
        argv[5 + 3 * i] = NULL;
    }
    pid_t child;
    int rc = posix_spawn(&child, helper, NULL, NULL, argv, environ);
    if (rc != 0)
        return kiln_err(err, KILN_ESANDBOX, rc, "run %s", helper);
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return kiln_err(err, KILN_ESANDBOX, 0, "%s %d failed%s", helper, (int)pid,
                        sbx_preflight_idhelper_hint(helper));
    return 0;
}

int idmap_write(const struct idmap *m, pid_t pid, kiln_error_t **err)
{
    if (m->mode == IDMAP_SUBID)
        return run_helper(NEWUIDMAP, pid, m->uids, m->nuids, err) < 0 ||
                       run_helper(NEWGIDMAP, pid, m->gids, m->ngids, err) < 0
                   ? -1
                   : 0;
    /* an unprivileged writer must deny setgroups before it may write gid_map */
    if (m->mode == IDMAP_SINGLE && write_proc(pid, "setgroups", "deny", err) < 0)
        return -1;
    cleanup_free char *u = map_text(m->uids, m->nuids);
    cleanup_free char *g = map_text(m->gids, m->ngids);
    if (write_proc(pid, "uid_map", u, err) < 0 || write_proc(pid, "gid_map", g, err) < 0)
        return -1;
    return 0;
}

/* ---- idmap_run: a child in a user namespace ---- */

static void run_child(int sock, idmap_fn fn, void *arg, size_t result_size)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* newuidmap writes /proc/PID/uid_map only of a process of its caller's that is dumpable
     * (kiln is not): dumpable until the map is written */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (unshare(CLONE_NEWUSER) < 0) {
        chan_fail(sock, KILN_ESANDBOX, errno, "unshare(CLONE_NEWUSER)");
        _exit(1);
    }
    struct chan_msg *msg = xmalloc(sizeof(*msg));
    if (chan_send(sock, CHAN_READY, 0, 0, NULL, 0) < 0 || chan_recv(sock, msg) <= 0 ||
        msg->kind != CHAN_GO)
        _exit(1);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
        chan_fail(sock, KILN_ESANDBOX, errno, "become root in the user namespace");
        _exit(1);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct idshift shift = {0, 0, 0};
    kiln_error_t *e = NULL;
    void *result = xcalloc(1, result_size ? result_size : 1);
    shift.count = IDMAP_COUNT; /* the kernel refuses unmapped ids itself */
    if (fn(arg, &shift, result, &e) < 0) {
        chan_send_error(sock, e);
        _exit(1);
    }
    chan_send(sock, CHAN_RESULT, 0, 0, result, result_size);
    _exit(0);
}

static int run_parent(const struct idmap *m, pid_t pid, int sock, void *result, size_t result_size,
                      kiln_error_t **err)
{
    cleanup_free struct chan_msg *msg = xmalloc(sizeof(*msg));
    int r = chan_recv(sock, msg);
    if (r <= 0)
        return kiln_err(err, KILN_ESANDBOX, r < 0 ? errno : 0, "user namespace helper died");
    if (msg->kind == CHAN_ERROR)
        return chan_to_error(msg, err);
    if (idmap_write(m, pid, err) < 0)
        return -1;
    if (chan_send(sock, CHAN_GO, 0, 0, NULL, 0) < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "user namespace helper");
    r = chan_recv(sock, msg);
    if (r <= 0)
        return kiln_err(err, KILN_ESANDBOX, r < 0 ? errno : 0, "user namespace helper died");
    if (msg->kind == CHAN_ERROR)
        return chan_to_error(msg, err);
    if (msg->kind != CHAN_RESULT || msg->len != result_size)
        return kiln_err(err, KILN_EINTERNAL, 0, "user namespace helper: bad result");
    memcpy(result, msg->data, result_size);
    return 0;
}

int idmap_run(const struct idmap *m, idmap_fn fn, void *arg, void *result, size_t result_size,
              kiln_error_t **err)
{
    if (m->mode == IDMAP_ROOT) {
        struct idshift shift = {m->uids[0].outside, m->gids[0].outside, m->count};
        return fn(arg, &shift, result, err);
    }
    if (result_size > CHAN_MAX)
        return kiln_err(err, KILN_EINTERNAL, 0, "idmap_run: result too large");
    int sv[2];
    if (chan_pair(sv, err) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]), close(sv[1]);
        return kiln_err_errno(err, KILN_ESANDBOX, "fork");
    }
    if (pid == 0) {
        close(sv[0]);
        run_child(sv[1], fn, arg, result_size);
    }
    close(sv[1]);
    int rc = run_parent(m, pid, sv[0], result, result_size, err);
    close(sv[0]);
    if (rc < 0)
        kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return rc;
}
