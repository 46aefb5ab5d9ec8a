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
    const char *parent; /* the new cache root is parent/d */
    const char *final;  /* where it goes, or NULL: it stays */
    uint32_t uid, gid;
    mode_t mode;
};

/* As container root (rootless: the root's new owner may be an id kiln's user is not): the
 * cache root's owner and mode, then its move into place (without replacing: two builds
 * creating it at once agree on the first) and the removal of what is left. */
static int finish_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    (void)result;
    struct owner_args *a = arg;
    cleanup_free char *d = xasprintf("%s/d", a->parent);
    if (fchownat(a->rootfd, d, a->uid + sh->uid, a->gid + sh->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        fchmodat(a->rootfd, d, a->mode, 0) < 0)
        return kiln_err_errno(err, KILN_EIO, "cache mount: owner of '%s'", d);
    if (!a->final)
        return 0;
    if (renameat2(a->rootfd, d, a->rootfd, a->final, RENAME_NOREPLACE) < 0 && errno != EEXIST)
        return kiln_err_errno(err, KILN_EIO, "cache mount: create '%s'", a->final);
    return rm_rf_at(a->rootfd, a->parent, err);
}

/* Makes parent/d (under the store) the new root of a cache: from='s content or an empty
 * directory, with the mount's mode and owner; moved to final unless final is NULL. */
static int cache_root(struct build *b, struct step_mount *sm, const struct idmap *map,
                      const char *parent, const char *final, kiln_error_t **err)
{
    int root = b->store->rootfd;
    cleanup_close int pfd = openat(root, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return kiln_err_errno(err, KILN_EIO, "open '%s'", parent);
    if (sm->view) {
        struct stat st;
        if (view_stat(sm->view, sm->src, &st) < 0 || !S_ISDIR(st.st_mode))
            return kiln_err(err, KILN_EINPUT, 0,
                            "cache mount from=%s: source '%s' is not a directory", sm->m.from,
                            sm->src);
        if (mounts_tree_copy(b, sm->view, sm->src, sm->context, map, pfd, "d", err) < 0)
            return -1;
    } else if (mkdirat(pfd, "d", 0700) < 0) {
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s/d'", parent);
    }
    struct owner_args a = {root,
                           parent,
                           final,
                           sm->m.has_uid ? sm->m.uid : 0,
                           sm->m.has_gid ? sm->m.gid : 0,
                           sm->m.has_mode ? sm->m.mode : 0755};
    char unused;
    return idmap_run(map, finish_fn, &a, &unused, 0, err);
}

/* Creates the cache directory unless it exists. */
static int cache_ensure(struct build *b, struct step_mount *sm, const struct idmap *map,
                        kiln_error_t **err)
{
    int root = b->store->rootfd;
    if (faccessat(root, sm->cache_name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    char rnd[13] = "";
    random_name(rnd, 12);
    cleanup_free char *parent = xasprintf(MOUNTS_DIR "/.new-%s", rnd);
    if (mkdirat(root, parent, 0700) < 0)
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s'", parent);
    if (cache_root(b, sm, map, parent, sm->cache_name, err) == 0)
        return 0;
    kiln_error_t *e = NULL;
    if (rm_rf_at(root, parent, &e) < 0)
        kiln_error_free(e);
    return -1;
}

/* Takes the cache's lock for the sharing mode; *busy when private found it in use. */
static int cache_lock(struct build *b, struct step_mount *sm, bool *busy, kiln_error_t **err)
{
    cleanup_free char *name = xasprintf("%s.lock", sm->cache_name);
    sm->lockfd = openat(b->store->rootfd, name, O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (sm->lockfd < 0)
        return kiln_err_errno(err, KILN_EIO, "cache mount: lock '%s'", name);
    enum df_mount_sharing s = sm->m.sharing;
    int op = s == DF_SHARING_LOCKED    ? LOCK_EX
             : s == DF_SHARING_PRIVATE ? LOCK_EX | LOCK_NB
                                       : LOCK_SH;
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
    if (mkdir_p_at(b->store->rootfd, MOUNTS_DIR, 0700, err) < 0 ||
        cache_lock(b, sm, &busy, err) < 0)
        return kiln_err_wrap(err, "cache mount '%s'", sm->id);
    if (busy) { /* private and in use: a fresh cache of its own, discarded afterwards */
        close(sm->lockfd);
        sm->lockfd = -1;
        if (mounts_make_tmp(b, sm, err) < 0 || cache_root(b, sm, map, sm->tmp, NULL, err) < 0)
            return kiln_err_wrap(err, "cache mount '%s'", sm->id);
        sm->host = xasprintf("%s/%s/d", b->store->root, sm->tmp);
        return 0;
    }
    if (cache_ensure(b, sm, map, err) < 0)
        return kiln_err_wrap(err, "cache mount '%s'", sm->id);
    sm->host = xasprintf("%s/%s", b->store->root, sm->cache_name);
    return 0;
}
