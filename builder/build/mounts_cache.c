/* Cache mounts: directories kept in the store across builds, with BuildKit's sharing modes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "mounts_int.h"
#include "util.h"

struct owner_args {
    int rootfd;
    const char *path;
    uint32_t uid, gid;
    mode_t mode;
};

/* As container root: the cache root's owner and mode. */
static int owner_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    (void)result;
    struct owner_args *a = arg;
    if (fchownat(a->rootfd, a->path, a->uid + sh->uid, a->gid + sh->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        fchmodat(a->rootfd, a->path, a->mode, 0) < 0)
        return kiln_err_errno(err, KILN_EIO, "cache mount: owner of '%s'", a->path);
    return 0;
}

/* Makes rel (under the store, not existing) the new root of a cache: from='s content or an
 * empty directory, with the mount's mode and owner. */
static int cache_root(struct build *b, struct step_mount *sm, const struct idmap *map,
                      const char *parent, kiln_error_t **err)
{
    int root = b->store->rootfd;
    cleanup_close int pfd = openat(root, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return kiln_err_errno(err, KILN_EIO, "open '%s'", parent);
    if (sm->view) {
        struct stat st;
        if (view_stat(sm->view, sm->src, &st) < 0 || !S_ISDIR(st.st_mode))
            return kiln_err(err, KILN_EINPUT, 0, "cache mount from=%s: source '%s' is not a directory",
                            sm->m.from, sm->src);
        if (mounts_tree_copy(b, sm->view, sm->src, sm->context, map, pfd, "d", err) < 0)
            return -1;
    } else if (mkdirat(pfd, "d", 0700) < 0) {
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s/d'", parent);
    }
    cleanup_free char *path = xasprintf("%s/d", parent);
    struct owner_args a = {root, path, sm->m.has_uid ? sm->m.uid : 0, sm->m.has_gid ? sm->m.gid : 0,
                           sm->m.has_mode ? sm->m.mode : 0755};
    char unused;
    return idmap_run(map, owner_fn, &a, &unused, 0, err);
}

/* Creates the cache directory unless it exists; two builds creating it at once agree on the
 * first (rename without replacing). */
static int cache_ensure(struct build *b, struct step_mount *sm, const struct idmap *map,
                        kiln_error_t **err)
{
    int root = b->store->rootfd;
    if (faccessat(root, sm->cache_name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    char rnd[13] = "";
    random_name(rnd, 12);
    cleanup_free char *parent = xasprintf(MOUNTS_DIR "/.new-%s", rnd);
    cleanup_free char *d = xasprintf("%s/d", parent);
    if (mkdirat(root, parent, 0700) < 0)
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s'", parent);
    int rc = cache_root(b, sm, map, parent, err);
    if (rc == 0 && renameat2(root, d, root, sm->cache_name, RENAME_NOREPLACE) < 0 && errno != EEXIST)
        rc = kiln_err_errno(err, KILN_EIO, "cache mount: create '%s'", sm->cache_name);
    kiln_error_t *e = NULL;
    if (rm_rf_at(root, parent, &e) < 0)
        kiln_error_free(e);
    return rc;
}

/* Takes the cache's lock for the sharing mode; *busy when private found it in use. */
static int cache_lock(struct build *b, struct step_mount *sm, bool *busy, kiln_error_t **err)
{
    cleanup_free char *name = xasprintf("%s.lock", sm->cache_name);
    sm->lockfd = openat(b->store->rootfd, name, O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (sm->lockfd < 0)
        return kiln_err_errno(err, KILN_EIO, "cache mount: lock '%s'", name);
    enum run_mount_sharing s = sm->m.sharing;
    int op = s == RUN_SHARING_LOCKED ? LOCK_EX : s == RUN_SHARING_PRIVATE ? LOCK_EX | LOCK_NB : LOCK_SH;
    int r;
    while ((r = flock(sm->lockfd, op)) < 0 && errno == EINTR)
        ;
    *busy = r < 0 && errno == EWOULDBLOCK;
    if (r < 0 && !*busy)
        return kiln_err_errno(err, KILN_EIO, "cache mount: lock '%s'", name);
    return 0;
}

int mounts_cache_open(struct build *b, struct step_mount *sm, const struct idmap *map,
                      kiln_error_t **err)
{
    bool busy = false;
    if (mkdir_p_at(b->store->rootfd, MOUNTS_DIR, 0700, err) < 0 || cache_lock(b, sm, &busy, err) < 0)
        return kiln_err_wrap(err, "cache mount '%s'", sm->id);
    if (busy) { /* private and in use: a fresh cache of its own, discarded afterwards */
        close(sm->lockfd);
        sm->lockfd = -1;
        if (mounts_make_tmp(b, sm, err) < 0 || cache_root(b, sm, map, sm->tmp, err) < 0)
            return kiln_err_wrap(err, "cache mount '%s'", sm->id);
        sm->host = xasprintf("%s/%s/d", b->store->root, sm->tmp);
        return 0;
    }
    if (cache_ensure(b, sm, map, err) < 0)
        return kiln_err_wrap(err, "cache mount '%s'", sm->id);
    sm->host = xasprintf("%s/%s", b->store->root, sm->cache_name);
    return 0;
}
