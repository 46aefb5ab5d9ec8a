/* kiln prune (kiln/prune.h): the records, what they use, and a sweep of the rest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "kiln/prune.h"
#include "snapshot/snapshotter.h"
#include "stepcache.h"
#include "store/store.h"
#include "strset.h"
#include "util.h"

struct record {
    char key[DIGEST_STR_LEN + 1];
    struct step_record r;
    struct timespec used;
    uint64_t bytes; /* its blob and snapshot */
    bool drop;
};

struct pruner {
    struct store *s;
    struct record *rec;
    size_t nrec;
    struct kiln_prune_result *res;
};

/* Disk usage of a tree (not following links). */
static uint64_t tree_size(int parent, const char *name, int depth)
{
    struct stat st;
    if (depth > 512 || fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return (uint64_t)st.st_blocks * 512;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    uint64_t total = (uint64_t)st.st_blocks * 512;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            total += tree_size(dirfd(d), e->d_name, depth + 1);
    closedir(d);
    return total;
}

/* Names in a store subdirectory (NULL-terminated vector; empty when missing). */
static char **list_dir(int rootfd, const char *dir, size_t *n)
{
    char **v = NULL;
    *n = 0;
    int fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                strv_push(&v, n, xstrdup(e->d_name));
        closedir(d);
    } else if (fd >= 0) {
        close(fd);
    }
    return v ? v : xcalloc(1, sizeof(char *));
}

static void load_records(struct pruner *p)
{
    size_t n, cap = 0;
    cleanup_strv char **names = list_dir(p->s->rootfd, STEPCACHE_DIR, &n);
    for (size_t i = 0; i < n; i++) {
        struct record r = {0};
        snprintf(r.key, sizeof(r.key), "sha256:%s", names[i]);
        cleanup_free char *path = xasprintf(STEPCACHE_DIR "/%s", names[i]);
        struct stat st;
        bool ok = digest_valid(r.key) && stepcache_read(p->s, r.key, &r.r) == 0 &&
                  store_has_blob(p->s, r.r.digest) && fstatat(p->s->rootfd, path, &st, 0) == 0;
        if (!ok) { /* damaged, half-written or orphaned: never used, so removed */
            p->res->records += unlinkat(p->s->rootfd, path, 0) == 0;
            continue;
        }
        r.used = st.st_mtim;
        cleanup_free char *blob = xasprintf("blobs/sha256/%s", digest_hex(r.r.digest));
        cleanup_free char *snap = xasprintf("snapshots/%s", digest_hex(r.r.diff_id));
        r.bytes = tree_size(p->s->rootfd, blob, 0) + tree_size(p->s->rootfd, snap, 0);
        xgrow(&p->rec, &cap, p->nrec + 1, sizeof(*p->rec));
        p->rec[p->nrec++] = r;
    }
}

static int by_use(const void *a, const void *b)
{
    const struct record *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    return x->used.tv_nsec < y->used.tv_nsec ? -1 : x->used.tv_nsec > y->used.tv_nsec;
}

/* Drops the least recently used records until what the rest use fits in keep bytes. */
static void apply_keep_storage(struct pruner *p, uint64_t keep)
{
    qsort(p->rec, p->nrec, sizeof(*p->rec), by_use);
    uint64_t total = 0;
    for (size_t i = 0; i < p->nrec; i++)
        total += p->rec[i].bytes;
    for (size_t i = 0; i < p->nrec && total > keep; i++) {
        p->rec[i].drop = true;
        total -= p->rec[i].bytes;
    }
}

static void remove_unused(struct pruner *p, const char *dir, const struct strset *keep,
                          uint64_t *count)
{
    size_t n;
    cleanup_strv char **names = list_dir(p->s->rootfd, dir, &n);
    for (size_t i = 0; i < n; i++) {
        if (strset_has(keep, names[i]))
            continue;
        cleanup_free char *path = xasprintf("%s/%s", dir, names[i]);
        uint64_t size = tree_size(p->s->rootfd, path, 0);
        kiln_error_t *e = NULL;
        /* snapshots: as container root, so a rootless store can remove its subordinate ids' files
         */
        int r = !strcmp(dir, "snapshots") ? snapshot_remove(p->s, names[i], &e)
                                          : rm_rf_at(p->s->rootfd, path, &e);
        if (r == 0) {
            p->res->bytes_freed += size;
            (*count)++;
        }
        kiln_error_free(e);
    }
}

static void sweep(struct pruner *p)
{
    struct strset blobs = STRSET_INIT, snaps = STRSET_INIT, none = STRSET_INIT;
    for (size_t i = 0; i < p->nrec; i++) {
        const struct record *r = &p->rec[i];
        if (r->drop) {
            cleanup_free char *path = xasprintf(STEPCACHE_DIR "/%s", digest_hex(r->key));
            p->res->records += unlinkat(p->s->rootfd, path, 0) == 0;
            continue;
        }
        strset_add(&blobs, digest_hex(r->r.digest));
        strset_add(&snaps, digest_hex(r->r.diff_id));
    }
    uint64_t tmp = 0;
    remove_unused(p, "blobs/sha256", &blobs, &p->res->blobs);
    remove_unused(p, "snapshots", &snaps, &p->res->snapshots);
    remove_unused(p, "cache/toc", &snaps, &tmp); /* tables of layers (layer/toc.h) */
    remove_unused(p, "tmp", &none, &tmp);
    strset_release(&blobs);
    strset_release(&snaps);
}

static int rm_mounts_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    (void)sh, (void)result;
    return rm_rf_at(*(int *)arg, "cache/mounts", err);
}

/* --all: the RUN cache mounts too (as container root: their files belong to the step's ids). */
static void remove_cache_mounts(struct pruner *p)
{
    struct idmap m;
    kiln_error_t *e = NULL;
    uint64_t size = tree_size(p->s->rootfd, "cache/mounts", 0);
    char unused;
    if (size && idmap_for_store(p->s->root, &m, &e) == 0 &&
        idmap_run(&m, rm_mounts_fn, &p->s->rootfd, &unused, 0, &e) == 0)
        p->res->bytes_freed += size;
    kiln_error_free(e);
}

int kiln_prune(const struct kiln_prune_opts *o, struct kiln_prune_result *res, kiln_error_t **err)
{
    memset(res, 0, sizeof(*res));
    cleanup_free char *root = o->root ? xstrdup(o->root) : store_default_root(err);
    if (!root)
        return -1;
    struct stat st;
    if (stat(root, &st) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "store '%s'", root);
    struct pruner p = {.res = res};
    if (store_open_locked(root, true, o->waiting, o->ctx, &p.s, err) < 0)
        return -1;
    load_records(&p);
    if (o->all)
        for (size_t i = 0; i < p.nrec; i++)
            p.rec[i].drop = true;
    else if (o->keep_storage)
        apply_keep_storage(&p, o->keep_storage);
    sweep(&p);
    if (o->all) {
        unlinkat(p.s->rootfd, "cache/hashindex", 0);
        remove_cache_mounts(&p);
    }
    res->bytes_kept = tree_size(p.s->rootfd, "blobs", 0) + tree_size(p.s->rootfd, "snapshots", 0);
    free(p.rec);
    store_close(p.s);
    return 0;
}
