/* Bind sources and cache seeds: the content digest of a tree in a view (for the step's cache
 * key) and a private copy of it (what the step sees). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts_int.h"
#include "cache/hashindex.h"
#include "fsutil.h"
#include "util.h"

#define TREE_MAX_DEPTH 256

struct tree_walk {
    struct build *b;
    struct view *v;
    bool context;
    size_t count;
    struct cache_key k;      /* digest */
    const struct idmap *map; /* copy */
};

/* Whether a walk of the main context skips path (and everything below it). */
static bool skipped(struct tree_walk *w, const char *path, bool dir)
{
    if (!w->context || !w->b->input.src.ignore || !strcmp(path, "/") ||
        !dockerignore_excluded(w->b->input.src.ignore, path + 1))
        return false;
    return !(dir && dockerignore_may_include_below(w->b->input.src.ignore, path + 1));
}

static int visit(struct tree_walk *w, const char *path, struct stat *st, kiln_error_t **err)
{
    if (++w->count > BUILD_MAX_CONTEXT_ENTRIES)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %u files in a mount source",
                        BUILD_MAX_CONTEXT_ENTRIES);
    if (view_lstat(w->v, path, st) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "stat '%s'", path);
    return 0;
}

static int digest_node(struct tree_walk *w, const char *path, const char *rel, int depth,
                       kiln_error_t **err)
{
    struct stat st;
    if (depth > TREE_MAX_DEPTH)
        return kiln_err(err, KILN_ELIMIT, 0, "'%s': directories nested too deep", path);
    if (visit(w, path, &st, err) < 0)
        return -1;
    cache_key_add(&w->k, rel);
    cache_key_addu(&w->k, st.st_mode);
    cache_key_addu(&w->k, w->context ? 0 : ((uint64_t)st.st_uid << 32 | st.st_gid));
    if (S_ISREG(st.st_mode)) {
        char d[DIGEST_STR_LEN + 1];
        cleanup_close int fd = view_open(w->v, path);
        if (fd < 0 || hashindex_file(w->b->hashes, fd, d, err) < 0)
            return fd < 0 ? kiln_err_errno(err, KILN_EINPUT, "open '%s'", path) : -1;
        cache_key_add(&w->k, d);
    } else if (S_ISLNK(st.st_mode)) {
        cleanup_free char *target = NULL;
        if (view_readlink(w->v, path, &target) < 0)
            return kiln_err_errno(err, KILN_EINPUT, "readlink '%s'", path);
        cache_key_add(&w->k, target);
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    cleanup_strv char **names = NULL;
    size_t n = 0;
    if (view_list(w->v, path, &names, &n) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "read directory '%s'", path);
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = path_join(path, names[i]);
        cleanup_free char *r = path_join(rel, names[i]);
        struct stat cst;
        if (view_lstat(w->v, p, &cst) == 0 && skipped(w, p, S_ISDIR(cst.st_mode)))
            continue;
        if (digest_node(w, p, r, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

int mounts_tree_digest(struct build *b, struct view *v, const char *path, bool context,
                       char out[DIGEST_STR_LEN + 1], kiln_error_t **err)
{
    struct tree_walk w = {.b = b, .v = v, .context = context};
    cache_key_begin(&w.k, "mount-tree");
    if (digest_node(&w, path, "/", 0, err) < 0) {
        sha256_release(&w.k.h);
        return -1;
    }
    cache_key_end(&w.k, out);
    return 0;
}

/* ---- copy ---- */

/* The owner a copied entry gets on disk: as root, the main context's files become container
 * root's and a stage's keep their (already mapped) ids; otherwise they stay kiln's user, who
 * is container root. */
static int set_owner(struct tree_walk *w, int dirfd, const char *name, const struct stat *st,
                     kiln_error_t **err)
{
    if (w->map->mode != IDMAP_ROOT)
        return 0;
    uid_t uid = w->context ? (uid_t)idmap_host_uid(w->map, 0) : st->st_uid;
    gid_t gid = w->context ? (gid_t)idmap_host_gid(w->map, 0) : st->st_gid;
    if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return kiln_err_errno(err, KILN_EIO, "chown '%s'", name);
    return 0;
}

static int copy_file(struct tree_walk *w, const char *path, int dirfd, const char *name,
                     const struct stat *st, kiln_error_t **err)
{
    cleanup_close int in = view_open(w->v, path);
    if (in < 0)
        return kiln_err_errno(err, KILN_EINPUT, "open '%s'", path);
    cleanup_close int out =
        openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return kiln_err_errno(err, KILN_EIO, "create '%s'", name);
    if (copy_fd(in, out, err) < 0 || set_owner(w, dirfd, name, st, err) < 0)
        return -1;
    if (fchmod(out, st->st_mode & 07777) < 0)
        return kiln_err_errno(err, KILN_EIO, "chmod '%s'", name);
    return 0;
}

static int copy_node(struct tree_walk *w, const char *path, int dirfd, const char *name, int depth,
                     kiln_error_t **err);

static int copy_dir(struct tree_walk *w, const char *path, int dirfd, const char *name,
                    const struct stat *st, int depth, kiln_error_t **err)
{
    if (mkdirat(dirfd, name, 0700) < 0)
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s'", name);
    cleanup_close int dfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_strv char **names = NULL;
    size_t n = 0;
    if (dfd < 0)
        return kiln_err_errno(err, KILN_EIO, "open '%s'", name);
    if (view_list(w->v, path, &names, &n) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "read directory '%s'", path);
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = path_join(path, names[i]);
        struct stat cst;
        if (view_lstat(w->v, p, &cst) == 0 && skipped(w, p, S_ISDIR(cst.st_mode)))
            continue;
        if (copy_node(w, p, dfd, names[i], depth + 1, err) < 0)
            return -1;
    }
    if (set_owner(w, dirfd, name, st, err) < 0)
        return -1;
    if (fchmod(dfd, st->st_mode & 07777) < 0)
        return kiln_err_errno(err, KILN_EIO, "chmod '%s'", name);
    return 0;
}

static int copy_node(struct tree_walk *w, const char *path, int dirfd, const char *name, int depth,
                     kiln_error_t **err)
{
    struct stat st;
    if (depth > TREE_MAX_DEPTH)
        return kiln_err(err, KILN_ELIMIT, 0, "'%s': directories nested too deep", path);
    if (visit(w, path, &st, err) < 0)
        return -1;
    if (S_ISDIR(st.st_mode))
        return copy_dir(w, path, dirfd, name, &st, depth, err);
    if (S_ISREG(st.st_mode))
        return copy_file(w, path, dirfd, name, &st, err);
    if (S_ISLNK(st.st_mode)) {
        cleanup_free char *target = NULL;
        if (view_readlink(w->v, path, &target) < 0 || symlinkat(target, dirfd, name) < 0)
            return kiln_err_errno(err, KILN_EIO, "symlink '%s'", path);
        return set_owner(w, dirfd, name, &st, err);
    }
    if (S_ISFIFO(st.st_mode) && mkfifoat(dirfd, name, st.st_mode & 07777) < 0)
        return kiln_err_errno(err, KILN_EIO, "mkfifo '%s'", path);
    return 0; /* sockets and devices are not copied */
}

int mounts_tree_copy(struct build *b, struct view *v, const char *path, bool context,
                     const struct idmap *map, int destdir, const char *name, kiln_error_t **err)
{
    struct tree_walk w = {.b = b, .v = v, .context = context, .map = map};
    return copy_node(&w, path, destdir, name, 0, err);
}

int mounts_make_tmp(struct build *b, struct step_mount *sm, kiln_error_t **err)
{
    char rnd[13] = "";
    random_name(rnd, 12);
    sm->tmp = xasprintf("tmp/mnt-%s", rnd);
    if (mkdirat(b->store->rootfd, sm->tmp, 0700) < 0) {
        free(steal_ptr(sm->tmp));
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s/tmp/mnt-%s'", b->store->root, rnd);
    }
    return 0;
}
