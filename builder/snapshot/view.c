#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsutil.h"
#include "layer/toc.h"
#include "sandbox/idmap.h"
#include "strset.h"
#include "util.h"
#include "view.h"

#define VIEW_DIR_CACHE    128 /* directories of layers kept open (a walk revisits its parent) */
#define VIEW_PARENT_CACHE 32  /* merged directories resolved (parent_find) */

struct dir_cache_entry {
    char *canon; /* NULL: free slot */
    size_t layer;
    int fd; /* O_PATH */
    uint64_t used;
};

/* Layers that contribute to a directory, top first. */
struct layer_set {
    size_t idx[VIEW_MAX_LAYERS];
    size_t n;
};

/* A merged directory resolved before: its canonical path (which has no symlink on it) and the
 * layers that make it. A walk looks up every entry of a directory in turn: starting from the
 * directory costs one lookup instead of one per component of the path. */
struct parent_entry {
    char *canon; /* NULL: free slot */
    struct layer_set set;
    uint64_t used;
};

struct view {
    int *fds;                      /* bottom first; -1 for a layer known by its table */
    const struct layer_toc **tocs; /* the table of a layer not unpacked yet, else NULL */
    struct view_lazy lazy;
    size_t n;
    /* Every public function holds the lock: a view may be shared by stages building in
     * parallel threads, and the cache's fds are only valid while it is held. */
    pthread_mutex_t lock;
    struct dir_cache_entry cache[VIEW_DIR_CACHE];
    struct parent_entry parents[VIEW_PARENT_CACHE];
    uint64_t tick;
    view_hidden_fn hidden; /* NULL: everything is visible */
    void *hidden_ctx;
};

int view_new_layers(const struct view_layer *layers, size_t n, const struct view_lazy *lazy,
                    struct view **out, kiln_error_t **err)
{
    if (n > VIEW_MAX_LAYERS)
        return kiln_err(err, KILN_ELIMIT, 0, "image has more than %d layers", VIEW_MAX_LAYERS);
    struct view *v = xcalloc(1, sizeof(*v));
    pthread_mutex_init(&v->lock, NULL);
    v->fds = xcalloc(n ? n : 1, sizeof(int));
    v->tocs = xcalloc(n ? n : 1, sizeof(*v->tocs));
    if (lazy)
        v->lazy = *lazy;
    for (size_t i = 0; i < n; i++) {
        v->fds[i] = -1;
        if (!layers[i].dir && layers[i].toc && lazy) {
            v->tocs[i] = layers[i].toc;
        } else if ((v->fds[i] = open(layers[i].dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
            kiln_err_errno(err, KILN_EIO, "open layer '%s'", layers[i].dir);
            view_free(v);
            return -1;
        }
        v->n++;
    }
    *out = v;
    return 0;
}

int view_new(const char *const *dirs, size_t n, struct view **out, kiln_error_t **err)
{
    if (n > VIEW_MAX_LAYERS)
        return kiln_err(err, KILN_ELIMIT, 0, "image has more than %d layers", VIEW_MAX_LAYERS);
    struct view_layer layers[VIEW_MAX_LAYERS];
    for (size_t i = 0; i < n; i++)
        layers[i] = (struct view_layer){dirs[i], NULL};
    return view_new_layers(layers, n, NULL, out, err);
}

/* Unpacks a layer known by its table; from now on it is a directory like the others. */
static int unpack_layer_now(struct view *v, size_t layer)
{
    if (!v->tocs[layer])
        return 0;
    char *dir = NULL;
    if (v->lazy.unpack(v->lazy.ctx, layer, &dir) < 0)
        return errno = EIO, -1;
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return errno = EIO, -1;
    v->fds[layer] = fd;
    v->tocs[layer] = NULL;
    return 0;
}

/* The host id the view shows for a container id of a table (as an unpacked snapshot has it). */
static uint32_t host_id(const struct view *v, uint32_t id, bool gid)
{
    int64_t h = !v->lazy.map ? id
                : gid        ? idmap_host_gid(v->lazy.map, id)
                             : idmap_host_uid(v->lazy.map, id);
    return h < 0 ? 65534u : (uint32_t)h;
}

static void toc_stat(const struct view *v, const struct toc_entry *e, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode = e->mode;
    st->st_uid = host_id(v, e->uid, false);
    st->st_gid = host_id(v, e->gid, true);
    st->st_size = (off_t)e->size;
    st->st_blocks = (blkcnt_t)((e->size + 511) / 512);
    st->st_blksize = 4096;
    st->st_nlink = e->nlink;
    st->st_ino = e->ino;
    st->st_rdev = (dev_t)e->rdev;
    st->st_mtim.tv_sec = st->st_ctim.tv_sec = st->st_atim.tv_sec = (time_t)e->mtime;
}

/* fstatat of name in the directory parent of a table layer. */
static int toc_lookup(const struct view *v, size_t layer, const char *parent, const char *name,
                      struct stat *st)
{
    char path[VIEW_MAX_PATH];
    int n = snprintf(path, sizeof(path), "%s%s%s", parent, strcmp(parent, "/") ? "/" : "", name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -1;
    const struct toc_entry *e = toc_find(v->tocs[layer], path);
    if (e) {
        toc_stat(v, e, st);
        return 0;
    }
    if (!toc_has_below(v->tocs[layer], path))
        return -1;
    memset(st, 0, sizeof(*st)); /* a directory the layer has only entries below */
    st->st_mode = S_IFDIR | 0755;
    st->st_uid = host_id(v, 0, false);
    st->st_gid = host_id(v, 0, true);
    st->st_nlink = 1;
    return 0;
}

static void parents_clear(struct view *v)
{
    for (size_t i = 0; i < VIEW_PARENT_CACHE; i++) {
        free(v->parents[i].canon);
        v->parents[i].canon = NULL;
    }
}

void view_set_hidden(struct view *v, view_hidden_fn hidden, void *ctx)
{
    pthread_mutex_lock(&v->lock);
    v->hidden = hidden;
    v->hidden_ctx = ctx;
    parents_clear(v); /* resolved under the old rule */
    pthread_mutex_unlock(&v->lock);
}

/* Whether the entry name of the directory canon must not be seen. */
static bool hidden_entry(struct view *v, const char *canon, const char *name, bool dir)
{
    if (!v->hidden)
        return false;
    char path[VIEW_MAX_PATH];
    int n = snprintf(path, sizeof(path), "%s%s%s", canon, strcmp(canon, "/") ? "/" : "", name);
    return n < 0 || (size_t)n >= sizeof(path) || v->hidden(v->hidden_ctx, path, dir);
}

void view_free(struct view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        if (v->fds[i] >= 0)
            close(v->fds[i]);
    for (size_t i = 0; i < VIEW_DIR_CACHE; i++) {
        if (v->cache[i].canon)
            close(v->cache[i].fd);
        free(v->cache[i].canon);
    }
    parents_clear(v);
    pthread_mutex_destroy(&v->lock);
    free(v->fds);
    free(v->tocs);
    free(v);
}

/* Opens a directory of one layer by its canonical path, refusing any symlink on the way. */
static int layer_dir_open(struct view *v, size_t layer, const char *canon, int flags)
{
    const char *rel = canon[0] == '/' ? canon + 1 : canon;
    return openat2_retry(v->fds[layer], *rel ? rel : ".", flags | O_DIRECTORY | O_NOFOLLOW, 0,
                         RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

/* The same as an O_PATH fd owned by the view's cache (valid while v->lock is held; never
 * closed by the caller). */
static int layer_dir(struct view *v, size_t layer, const char *canon)
{
    if (v->tocs[layer] && unpack_layer_now(v, layer) < 0)
        return -1;
    struct dir_cache_entry *victim = &v->cache[0];
    for (size_t i = 0; i < VIEW_DIR_CACHE; i++) {
        struct dir_cache_entry *e = &v->cache[i];
        if (e->canon && e->layer == layer && !strcmp(e->canon, canon)) {
            e->used = ++v->tick;
            return e->fd;
        }
        if (!e->canon || (victim->canon && e->used < victim->used))
            victim = e;
    }
    int fd = layer_dir_open(v, layer, canon, O_PATH);
    if (fd < 0)
        return -1;
    if (victim->canon)
        close(victim->fd);
    free(victim->canon);
    *victim = (struct dir_cache_entry){xstrdup(canon), layer, fd, ++v->tick};
    return fd;
}

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool is_opaque(int dirfd, const char *name)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* (an O_PATH dirfd is fine for openat; fgetxattr needs the real fd opened here) */
    if (fd < 0)
        return false;
    char val[2];
    static const char *const attrs[] = {"trusted.overlay.opaque", "user.overlay.opaque"};
    for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
        ssize_t n = fgetxattr(fd, attrs[i], val, sizeof(val));
        if (n == 1 && val[0] == 'y')
            return true;
    }
    return false;
}

enum lookup_kind { LK_NONE, LK_DIR, LK_OTHER };

/* Looks up name in the merged directory parent (canonical) with contributing layers *set.
 * LK_DIR fills *child with the layers of the child directory; LK_OTHER gives the layer. */
static enum lookup_kind lookup(struct view *v, const struct layer_set *set, const char *parent,
                               const char *name, struct layer_set *child, size_t *layer,
                               struct stat *st)
{
    child->n = 0;
    for (size_t k = 0; k < set->n; k++) {
        size_t i = set->idx[k];
        struct stat s;
        if (v->tocs[i]) { /* no whiteouts, no opaque directories in a table */
            if (toc_lookup(v, i, parent, name, &s) < 0)
                continue;
            if (!S_ISDIR(s.st_mode)) {
                if (child->n)
                    break;
                *layer = i;
                *st = s;
                return LK_OTHER;
            }
            if (child->n == 0)
                *layer = i, *st = s;
            child->idx[child->n++] = i;
            continue;
        }
        int dfd = layer_dir(v, i, parent);
        if (dfd < 0 || fstatat(dfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (is_whiteout(&s))
            break;
        if (!S_ISDIR(s.st_mode)) {
            if (child->n)
                break;
            *layer = i;
            *st = s;
            return LK_OTHER;
        }
        if (child->n == 0) {
            *layer = i;
            *st = s;
        }
        child->idx[child->n++] = i;
        /* an opaque directory hides the layers below it: only worth asking when there are */
        if (k + 1 < set->n && is_opaque(dfd, name))
            break;
    }
    return child->n ? LK_DIR : LK_NONE;
}

struct resolved {
    char canon[VIEW_MAX_PATH];
    struct layer_set set; /* for a directory */
    size_t layer;         /* the layer holding the final entry */
    struct stat st;
    bool exists;
};

static void set_all(struct view *v, struct layer_set *s)
{
    s->n = 0;
    for (size_t i = v->n; i-- > 0;)
        s->idx[s->n++] = i;
}

static int append_component(char *canon, const char *name)
{
    size_t a = strlen(canon), b = strlen(name);
    bool root = a == 1;
    if (a + b + 2 > VIEW_MAX_PATH)
        return -1;
    if (!root)
        canon[a++] = '/';
    memcpy(canon + a, name, b + 1);
    return 0;
}

/* Re-walks a canonical directory path (no symlinks on it) to get its layer set. */
static int rewalk(struct view *v, struct resolved *r)
{
    char path[VIEW_MAX_PATH];
    memcpy(path, r->canon, strlen(r->canon) + 1);
    r->canon[0] = '/', r->canon[1] = '\0';
    set_all(v, &r->set);
    r->exists = true;
    char *save = NULL;
    for (char *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        struct layer_set child;
        if (lookup(v, &r->set, r->canon, c, &child, &r->layer, &r->st) != LK_DIR)
            return -1;
        r->set = child;
        append_component(r->canon, c);
    }
    return 0;
}

/* The target of the symlink name in the directory canon of layer (n bytes in target). */
static ssize_t layer_readlink(struct view *v, size_t layer, const char *canon, const char *name,
                              char *target, size_t size)
{
    if (v->tocs[layer]) {
        char path[VIEW_MAX_PATH];
        int n = snprintf(path, sizeof(path), "%s%s%s", canon, strcmp(canon, "/") ? "/" : "", name);
        const struct toc_entry *e =
            n < 0 || (size_t)n >= sizeof(path) ? NULL : toc_find(v->tocs[layer], path);
        size_t len = e && e->link ? strlen(e->link) : 0;
        if (!e || !e->link || len >= size)
            return errno = EINVAL, -1;
        memcpy(target, e->link, len);
        return (ssize_t)len;
    }
    int dfd = layer_dir(v, layer, canon);
    return dfd < 0 ? -1 : readlinkat(dfd, name, target, size - 1);
}

static int step_symlink(struct view *v, struct resolved *r, const char *name, char **rest,
                        int *hops)
{
    if (++*hops > VIEW_MAX_SYMLINKS)
        return errno = ELOOP, -1;
    char target[VIEW_MAX_PATH];
    ssize_t n = layer_readlink(v, r->layer, r->canon, name, target, sizeof(target));
    if (n < 0)
        return errno = EIO, -1;
    target[n] = '\0';
    char *nr = xasprintf("%s/%s", target, *rest);
    free(*rest);
    *rest = nr;
    if (target[0] == '/') {
        r->canon[0] = '/', r->canon[1] = '\0';
        set_all(v, &r->set);
    }
    return strlen(nr) >= VIEW_MAX_PATH ? (errno = ENAMETOOLONG, -1) : 0;
}

static int pop_component(char *rest, char *name)
{
    char *p = rest;
    while (*p == '/')
        p++;
    size_t n = strcspn(p, "/");
    if (n == 0)
        return 0;
    if (n >= 256)
        return -1;
    memcpy(name, p, n);
    name[n] = '\0';
    memmove(rest, p + n, strlen(p + n) + 1);
    return 1;
}

static bool only_slashes(const char *s)
{
    return s[strspn(s, "/")] == '\0';
}

/* The directory of path as a canonical path ("/a/b" for "a/b/c" and "/a/b/c") and its last
 * name, when every component is a plain name (no ".", "..", empty component or trailing '/')
 * and there are at least two: then, when no symlink is met on the way, the directory resolves
 * to exactly that canonical path. */
static bool literal_parent(const char *path, char parent[VIEW_MAX_PATH], const char **last)
{
    const char *p = path[0] == '/' ? path + 1 : path;
    const char *slash = strrchr(p, '/');
    if (!slash || !slash[1] || slash - p + 2 > VIEW_MAX_PATH)
        return false;
    for (const char *c = p; c <= slash;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += n + 1;
    }
    if (!strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
        return false;
    parent[0] = '/';
    memcpy(parent + 1, p, (size_t)(slash - p));
    parent[slash - p + 1] = '\0';
    *last = slash + 1;
    return true;
}

static struct parent_entry *parent_find(struct view *v, const char *canon)
{
    for (size_t i = 0; i < VIEW_PARENT_CACHE; i++) {
        struct parent_entry *e = &v->parents[i];
        if (e->canon && !strcmp(e->canon, canon)) {
            e->used = ++v->tick;
            return e;
        }
    }
    return NULL;
}

static void parent_put(struct view *v, const char *canon, const struct layer_set *set)
{
    struct parent_entry *victim = &v->parents[0];
    for (size_t i = 0; i < VIEW_PARENT_CACHE && victim->canon; i++)
        if (!v->parents[i].canon || v->parents[i].used < victim->used)
            victim = &v->parents[i];
    free(victim->canon);
    victim->canon = xstrdup(canon);
    victim->set = *set;
    victim->used = ++v->tick;
}

/* Resolves path: intermediate symlinks always, the final one when follow. */
static int resolve(struct view *v, const char *path, bool follow, struct resolved *r)
{
    if (strlen(path) >= VIEW_MAX_PATH)
        return errno = ENAMETOOLONG, -1;
    r->canon[0] = '/', r->canon[1] = '\0';
    set_all(v, &r->set);
    r->exists = true;
    memset(&r->st, 0, sizeof(r->st));
    r->st.st_mode = S_IFDIR | 0755;
    char parent[VIEW_MAX_PATH];
    const char *lastname = NULL;
    bool literal = literal_parent(path, parent, &lastname);
    struct parent_entry *known = literal ? parent_find(v, parent) : NULL;
    if (known) { /* every component but the last is resolved already */
        memcpy(r->canon, parent, strlen(parent) + 1);
        r->set = known->set;
    }
    cleanup_free char *rest = xstrdup(known ? lastname : path);
    int hops = 0;
    char name[256];
    int pr;
    while ((pr = pop_component(rest, name)) > 0) {
        bool last = only_slashes(rest);
        if (last && literal && !known && hops == 0 && !strcmp(r->canon, parent))
            parent_put(v, r->canon, &r->set); /* the literal parent: nothing changed the way */
        if (!strcmp(name, "."))
            continue;
        if (!strcmp(name, "..")) {
            char *slash = strrchr(r->canon, '/');
            slash[slash == r->canon ? 1 : 0] = '\0';
            if (rewalk(v, r) < 0)
                return errno = ENOENT, -1;
            continue;
        }
        struct layer_set child;
        enum lookup_kind k = lookup(v, &r->set, r->canon, name, &child, &r->layer, &r->st);
        if (k != LK_NONE && hidden_entry(v, r->canon, name, k == LK_DIR))
            k = LK_NONE; /* whatever route led here (.dockerignore) */
        if (k == LK_NONE) {
            if (!last)
                return errno = ENOENT, -1;
            r->exists = false;
            return append_component(r->canon, name) < 0 ? (errno = ENAMETOOLONG, -1) : 0;
        }
        if (k == LK_OTHER && S_ISLNK(r->st.st_mode) && (!last || follow)) {
            if (step_symlink(v, r, name, &rest, &hops) < 0)
                return -1;
            continue;
        }
        if (k == LK_OTHER && !last)
            return errno = ENOTDIR, -1;
        if (k == LK_DIR)
            r->set = child;
        if (append_component(r->canon, name) < 0)
            return errno = ENAMETOOLONG, -1;
    }
    return pr < 0 ? (errno = ENAMETOOLONG, -1) : 0;
}

static void view_lock(struct view *v)
{
    pthread_mutex_lock(&v->lock);
}

/* Unlocks, keeping errno for the caller. */
static int view_unlock(struct view *v, int rc)
{
    int e = errno;
    pthread_mutex_unlock(&v->lock);
    errno = e;
    return rc;
}

int view_realpath(struct view *v, const char *path, char **out)
{
    struct resolved *r = xmalloc(sizeof(*r));
    view_lock(v);
    int rc = resolve(v, path, true, r);
    if (rc == 0)
        *out = xstrdup(r->canon);
    free(r);
    return view_unlock(v, rc);
}

static int stat_common(struct view *v, const char *path, bool follow, struct stat *st)
{
    struct resolved *r = xmalloc(sizeof(*r));
    view_lock(v);
    int rc = resolve(v, path, follow, r);
    if (rc == 0 && !r->exists)
        rc = -1, errno = ENOENT;
    if (rc == 0)
        *st = r->st;
    free(r);
    return view_unlock(v, rc);
}

int view_lstat(struct view *v, const char *path, struct stat *st)
{
    return stat_common(v, path, false, st);
}

int view_stat(struct view *v, const char *path, struct stat *st)
{
    return stat_common(v, path, true, st);
}

/* Splits a canonical path into its parent directory and last name. */
static void split_canon(const char *canon, char *parent, const char **name)
{
    const char *slash = strrchr(canon, '/');
    size_t n = slash == canon ? 1 : (size_t)(slash - canon);
    memcpy(parent, canon, n);
    parent[n] = '\0';
    *name = slash + 1;
}

static int open_final(struct view *v, const char *path, bool follow, int flags, char *namebuf,
                      struct resolved *r)
{
    if (resolve(v, path, follow, r) < 0)
        return -1;
    if (!r->exists)
        return errno = ENOENT, -1;
    if (!strcmp(r->canon, "/"))
        return errno = EISDIR, -1;
    char parent[VIEW_MAX_PATH];
    const char *name;
    split_canon(r->canon, parent, &name);
    memcpy(namebuf, name, strlen(name) + 1);
    (void)flags;
    return layer_dir(v, r->layer, parent);
}

int view_readlink(struct view *v, const char *path, char **target)
{
    struct resolved *r = xmalloc(sizeof(*r));
    view_lock(v);
    int rc = resolve(v, path, false, r);
    if (rc == 0 && (!r->exists || !strcmp(r->canon, "/")))
        rc = -1, errno = r->exists ? EINVAL : ENOENT;
    if (rc == 0) {
        char parent[VIEW_MAX_PATH], buf[VIEW_MAX_PATH];
        const char *name;
        split_canon(r->canon, parent, &name);
        ssize_t n = layer_readlink(v, r->layer, parent, name, buf, sizeof(buf));
        rc = n < 0 ? -1 : 0;
        if (n >= 0) {
            buf[n] = '\0';
            *target = xstrdup(buf);
        }
    }
    free(r);
    return view_unlock(v, rc);
}

int view_open(struct view *v, const char *path)
{
    struct resolved *r = xmalloc(sizeof(*r));
    char name[256];
    view_lock(v);
    int dfd = open_final(v, path, true, O_PATH, name, r);
    int fd = -1;
    if (dfd >= 0) {
        if (!S_ISREG(r->st.st_mode))
            errno = S_ISDIR(r->st.st_mode) ? EISDIR : EINVAL;
        else
            fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    }
    free(r);
    return view_unlock(v, fd);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the names of one layer's directory not seen in a higher layer; whiteouts hide the name
 * in the layers below. last: no layer below, so whiteouts need no stat. */
struct list_ctx {
    struct view *v;
    const char *canon;
    struct strset *seen; /* for list_toc_name */
    char ***all;
    size_t *nall;
    const struct layer_toc *toc; /* the table being listed */
};

/* A name of a table layer's directory (toc_children), unless a higher layer gave it. */
static void list_toc_name(void *ctx, const char *name, size_t len)
{
    struct list_ctx *lc = ctx;
    char buf[256];
    if (len >= sizeof(buf))
        return;
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (strset_has(lc->seen, buf))
        return;
    strset_add(lc->seen, buf);
    char path[VIEW_MAX_PATH];
    int n =
        snprintf(path, sizeof(path), "%s%s%s", lc->canon, strcmp(lc->canon, "/") ? "/" : "", buf);
    const struct toc_entry *e = n > 0 && (size_t)n < sizeof(path) ? toc_find(lc->toc, path) : NULL;
    bool dir = !e || S_ISDIR(e->mode); /* no entry: a directory implied by deeper ones */
    if (!hidden_entry(lc->v, lc->canon, buf, dir))
        strv_push(lc->all, lc->nall, xstrdup(buf));
}

static bool listed_hidden(const struct list_ctx *lc, int dfd, const struct dirent *e)
{
    if (!lc->v->hidden)
        return false;
    struct stat s;
    bool dir = e->d_type == DT_DIR ||
               (e->d_type == DT_UNKNOWN && fstatat(dfd, e->d_name, &s, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISDIR(s.st_mode));
    return hidden_entry(lc->v, lc->canon, e->d_name, dir);
}

static void list_layer(const struct list_ctx *lc, int pathfd, bool last, struct strset *seen,
                       char ***all, size_t *nall)
{
    int dfd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || strset_has(seen, e->d_name))
            continue;
        struct stat s;
        bool maybe_whiteout = e->d_type == DT_CHR || e->d_type == DT_UNKNOWN;
        if (maybe_whiteout && fstatat(dirfd(d), e->d_name, &s, AT_SYMLINK_NOFOLLOW) == 0 &&
            is_whiteout(&s)) {
            if (!last)
                strset_add(seen, e->d_name);
            continue;
        }
        strset_add(seen, e->d_name);
        if (!listed_hidden(lc, dirfd(d), e))
            strv_push(all, nall, xstrdup(e->d_name));
    }
    closedir(d);
}

int view_list(struct view *v, const char *dir, char ***names, size_t *n)
{
    struct resolved *r = xmalloc(sizeof(*r));
    view_lock(v);
    int rc = resolve(v, dir, true, r);
    if (rc == 0 && (!r->exists || !S_ISDIR(r->st.st_mode)))
        rc = -1, errno = r->exists ? ENOTDIR : ENOENT;
    if (rc < 0) {
        free(r);
        return view_unlock(v, -1);
    }
    char **all = NULL;
    size_t nall = 0;
    struct strset seen = STRSET_INIT;
    struct list_ctx lc = {v, r->canon, &seen, &all, &nall, NULL};
    for (size_t k = 0; k < r->set.n; k++) {
        size_t i = r->set.idx[k];
        if (v->tocs[i]) {
            lc.toc = v->tocs[i];
            toc_children(v->tocs[i], r->canon, list_toc_name, &lc);
            continue;
        }
        int dfd = layer_dir(v, i, r->canon);
        if (dfd >= 0)
            list_layer(&lc, dfd, k + 1 == r->set.n, &seen, &all, &nall);
    }
    strset_release(&seen);
    free(r);
    view_unlock(v, 0);
    if (nall)
        qsort(all, nall, sizeof(char *), cmp_str);
    *names = all ? all : xcalloc(1, sizeof(char *));
    *n = nall;
    return 0;
}
