#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "fsutil.h"
#include "kernel.h"
#include "snapshot/snapshotter.h"
#include "snapshot/view.h"
#include "util.h"

struct step_rootfs {
    struct store *s;
    const struct idmap *m;
    enum snapshotter_kind kind;
    char *name; /* snapshots/.step-XXXX, relative to the store root */
    char *dir, *upper, *work, *rootfs, *run;
    char **lowers; /* top first, for the sandbox */
    char **layers; /* bottom first */
    size_t nlayers;
};

static bool overlay_usable(void)
{
    cleanup_free char *fs = NULL;
    kiln_error_t *e = NULL;
    if (!kernel_at_least("5.11"))
        return false; /* overlayfs in user namespaces came with 5.11 */
    if (read_file_limited(AT_FDCWD, "/proc/filesystems", 64 * 1024, &fs, NULL, &e) < 0) {
        kiln_error_free(e);
        return false;
    }
    return strstr(fs, "\toverlay\n") != NULL;
}

void snapshotter_init(struct snapshotter *s)
{
    const char *env = getenv("KILN_SNAPSHOTTER");
    s->forced = env && (!strcmp(env, "copy") || !strcmp(env, "overlay"));
    if (s->forced)
        s->kind = !strcmp(env, "copy") ? SNAPSHOTTER_COPY : SNAPSHOTTER_OVERLAY;
    else
        s->kind = overlay_usable() ? SNAPSHOTTER_OVERLAY : SNAPSHOTTER_COPY;
}

enum snapshotter_kind snapshotter_pick(struct snapshotter *s)
{
    return (enum snapshotter_kind)__atomic_load_n(&s->kind, __ATOMIC_RELAXED);
}

bool snapshotter_fall_back(struct snapshotter *s, enum snapshotter_kind kind,
                           const kiln_error_t *err)
{
    if (s->forced || kind != SNAPSHOTTER_OVERLAY || !err || err->code != KILN_ESNAPSHOT)
        return false;
    __atomic_store_n(&s->kind, SNAPSHOTTER_COPY, __ATOMIC_RELAXED);
    return true;
}

const char *snapshotter_name(enum snapshotter_kind k)
{
    return k == SNAPSHOTTER_OVERLAY ? "overlay" : "copy";
}

struct prep_args {
    struct step_rootfs *r;
};

/* Runs as container root: the step's directories, owned by container root. */
static int prepare_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    (void)result;
    struct step_rootfs *r = ((struct prep_args *)arg)->r;
    int root = r->s->rootfd;
    cleanup_free char *empty = xasprintf("%s/empty", r->name);
    const char *dirs[] = {r->name, empty};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
        if (mkdirat(root, dirs[i], i ? 0755 : 0700) < 0)
            return kiln_err_errno(err, KILN_EIO, "snapshot: mkdir '%s'", dirs[i]);
    static const char *const subs[] = {"upper", "work", "run", "rootfs"};
    for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
        cleanup_free char *p = xasprintf("%s/%s", r->name, subs[i]);
        if (mkdirat(root, p, 0755) < 0 || fchownat(root, p, sh->uid, sh->gid, 0) < 0)
            return kiln_err_errno(err, KILN_EIO, "snapshot: mkdir '%s'", p);
    }
    if (r->kind != SNAPSHOTTER_COPY)
        return 0;
    cleanup_free char *p = xasprintf("%s/rootfs", r->name);
    cleanup_close int dfd = openat(root, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return kiln_err_errno(err, KILN_EIO, "snapshot: open '%s'", p);
    return copy_layers(r->layers, r->nlayers, dfd, sh, err);
}

int step_rootfs_prepare(struct store *s, const struct idmap *m, enum snapshotter_kind kind,
                        char *const *layers, size_t n, struct step_rootfs **out, kiln_error_t **err)
{
    if (n > SANDBOX_MAX_LOWERS)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %d layers", SANDBOX_MAX_LOWERS);
    if (mkdir_p_at(s->rootfd, "snapshots", 0700, err) < 0)
        return -1;
    struct step_rootfs *r = xcalloc(1, sizeof(*r));
    char rnd[13] = "";
    random_name(rnd, 12);
    r->s = s, r->m = m, r->kind = kind;
    r->name = xasprintf("snapshots/.step-%s", rnd);
    r->dir = xasprintf("%s/%s", s->root, r->name);
    r->upper = xasprintf("%s/upper", r->dir);
    r->work = xasprintf("%s/work", r->dir);
    r->rootfs = xasprintf("%s/rootfs", r->dir);
    r->run = xasprintf("%s/run", r->dir);
    r->layers = xcalloc(n + 1, sizeof(char *));
    r->lowers = xcalloc(n + 2, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        r->layers[i] = xstrdup(layers[i]);
        r->lowers[n - 1 - i] = xstrdup(layers[i]);
    }
    r->nlayers = n;
    if (n == 0) /* FROM scratch: overlay needs a lower layer, an empty one will do */
        r->lowers[0] = xasprintf("%s/empty", r->dir);
    struct prep_args a = {r};
    char unused;
    if (idmap_run(m, prepare_fn, &a, &unused, 0, err) < 0) {
        step_rootfs_free(r);
        return kiln_err_wrap(err, "prepare the rootfs of the step");
    }
    *out = r;
    return 0;
}

void step_rootfs_spec(const struct step_rootfs *r, struct sandbox_spec *spec)
{
    memset(&spec->rootfs, 0, sizeof(spec->rootfs));
    spec->run_dir = r->run;
    if (r->kind == SNAPSHOTTER_COPY) {
        spec->rootfs.dir = r->rootfs;
        return;
    }
    spec->rootfs.lowers = (const char *const *)r->lowers;
    spec->rootfs.nlowers = r->nlayers ? r->nlayers : 1;
    spec->rootfs.upper = r->upper;
    spec->rootfs.work = r->work;
}

struct commit_args {
    struct step_rootfs *r;
    char *const *stubs;
    const struct step_diff_opts *o;
};

/* Removes a stub when it is still what the sandbox made: an empty directory or empty file. */
static void remove_stub(int root, const char *path)
{
    cleanup_free char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    const char *name = slash ? slash + 1 : path;
    if (slash)
        *slash = '\0';
    cleanup_close int pfd = openat2_retry(root, slash ? parent : ".", O_PATH | O_DIRECTORY, 0,
                                          RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    struct stat st;
    if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return;
    if (S_ISDIR(st.st_mode))
        unlinkat(pfd, name, AT_REMOVEDIR); /* fails, and keeps it, when not empty */
    else if (S_ISREG(st.st_mode) && st.st_size == 0)
        unlinkat(pfd, name, 0);
}

static int keep_snapshot(struct step_rootfs *r, const struct layer_result *res, kiln_error_t **err)
{
    cleanup_free char *final = xasprintf("snapshots/%s", digest_hex(res->diff_id));
    cleanup_free char *upper = xasprintf("%s/upper", r->name);
    if (renameat(r->s->rootfd, upper, r->s->rootfd, final) < 0 && errno != EEXIST &&
        errno != ENOTEMPTY)
        return kiln_err_errno(err, KILN_EIO, "snapshot: keep '%s'", final);
    return 0;
}

static int commit_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    struct commit_args *a = arg;
    struct step_rootfs *r = a->r;
    bool copy = r->kind == SNAPSHOTTER_COPY;
    cleanup_free char *p = xasprintf("%s/%s", r->name, copy ? "rootfs" : "upper");
    cleanup_close int dfd = openat(r->s->rootfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return kiln_err_errno(err, KILN_EIO, "snapshot: open '%s'", p);
    for (size_t i = strv_len(a->stubs); a->stubs && i-- > 0;)
        remove_stub(dfd, a->stubs[i]);
    cleanup_view struct view *v = NULL;
    if (view_new((const char *const *)r->layers, r->nlayers, &v, err) < 0)
        return -1;
    cleanup_layer_writer struct layer_writer *w = NULL;
    if (layer_writer_new(r->s, a->o->compression, a->o->level, a->o->epoch, &w, err) < 0)
        return -1;
    layer_writer_scan(w, a->o->scan, a->o->index);
    if (diff_write(dfd, v, copy, sh, w, err) < 0)
        return -1;
    struct layer_result *res = result;
    if (layer_writer_finish(steal_ptr(w), res, err) < 0)
        return -1;
    return !copy && res->nentries ? keep_snapshot(r, res, err) : 0;
}

int step_rootfs_commit(struct step_rootfs *r, char *const *stubs, const struct step_diff_opts *o,
                       struct layer_result *res, kiln_error_t **err)
{
    struct commit_args a = {r, stubs, o};
    if (idmap_run(r->m, commit_fn, &a, res, sizeof(*res), err) < 0)
        return kiln_err_wrap(err, "layer of the step");
    return 0;
}

static int free_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    (void)sh, (void)result;
    struct step_rootfs *r = arg;
    return rm_rf_at(r->s->rootfd, r->name, err);
}

void step_rootfs_free(struct step_rootfs *r)
{
    if (!r)
        return;
    kiln_error_t *e = NULL;
    char unused;
    if (r->name && idmap_run(r->m, free_fn, r, &unused, 0, &e) < 0)
        kiln_error_free(e);
    strv_free(r->lowers);
    strv_free(r->layers);
    free(r->name), free(r->dir), free(r->upper), free(r->work), free(r->rootfs), free(r->run);
    free(r);
}

struct remove_args {
    struct store *s;
    const char *name;
};

static int remove_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    (void)sh, (void)result;
    struct remove_args *a = arg;
    cleanup_close int dfd = openat(a->s->rootfd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : kiln_err_errno(err, KILN_EIO, "open snapshots");
    return rm_rf_at(dfd, a->name, err);
}

int snapshot_remove(struct store *s, const char *name, kiln_error_t **err)
{
    if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return kiln_err(err, KILN_EINTERNAL, 0, "snapshot_remove: bad name '%s'", name);
    struct idmap m;
    if (idmap_for_store(s->root, &m, err) < 0)
        return -1;
    struct remove_args a = {s, name};
    char unused;
    return idmap_run(&m, remove_fn, &a, &unused, 0, err);
}

static bool in_ranges(const struct idmap_range *r, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (id >= r[i].outside && id - r[i].outside < r[i].count)
            return true;
    return false;
}

int snapshot_check_existing(struct store *s, const char *name, const struct stat *st,
                            kiln_error_t **err)
{
    if (!S_ISDIR(st->st_mode))
        return kiln_err(err, KILN_EPOLICY, 0,
                        "store '%s': snapshot '%s' is not a directory: remove it", s->root, name);
    struct idmap m;
    if (idmap_for_store(s->root, &m, err) < 0)
        return -1;
    if (!in_ranges(m.uids, m.nuids, st->st_uid) || !in_ranges(m.gids, m.ngids, st->st_gid))
        return kiln_err(err, KILN_EPOLICY, 0,
                        "store '%s': snapshot '%s' belongs to %u:%u, outside the store's ids: "
                        "someone else made it; it is not used (remove it)",
                        s->root, name, (unsigned)st->st_uid, (unsigned)st->st_gid);
    return 0;
}
