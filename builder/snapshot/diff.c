/* The differ: one walk of a directory tree, depth first with names in byte order, feeding
 * layer_writer. A directory that holds no change of its own is kept pending and written only
 * when something below it is (so the tar has parents before children, and no directory that was
 * merely copied up). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "snapshot/fcaps.h"
#include "snapshot/snapshotter.h"
#include "snapshot/view.h"
#include "util.h"

#define DIFF_MAX_DEPTH  1024
#define DIFF_MAX_XATTRS 32
#define DIFF_MAX_XATTR  (64 * 1024)
#define NOBODY          65534u

struct pending {
    char *path;
    struct stat st;
    bool written;
};

struct hardlink {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct differ {
    int root;
    struct view *lower;
    bool copy;
    const struct idshift *shift;
    struct layer_writer *w;
    struct pending stack[DIFF_MAX_DEPTH];
    size_t depth;
    struct hardlink *links;
    size_t nlinks, caplinks;
};

static uint32_t to_container(uint32_t id, uint32_t base, uint32_t count)
{
    return id >= base && id - base < count ? id - base : NOBODY;
}

static bool kept_xattr(const char *name)
{
    return !strcmp(name, "security.capability") ||
           (str_has_prefix(name, "user.") && !str_has_prefix(name, "user.overlay."));
}

struct xattrs {
    struct layer_xattr x[DIFF_MAX_XATTRS];
    char names[4096];
    unsigned char *vals[DIFF_MAX_XATTRS];
    size_t n;
};

static void xattrs_release(struct xattrs *xs)
{
    for (size_t i = 0; i < xs->n; i++)
        free(xs->vals[i]);
    xs->n = 0;
}

static int read_xattrs(struct differ *d, int fd, struct xattrs *xs, kiln_error_t **err)
{
    xs->n = 0;
    ssize_t len = flistxattr(fd, xs->names, sizeof(xs->names));
    if (len < 0)
        return errno == ENOTSUP ? 0 : kiln_err_errno(err, KILN_EIO, "diff: list xattrs");
    for (char *nm = xs->names; nm < xs->names + len; nm += strlen(nm) + 1) {
        if (!kept_xattr(nm) || xs->n >= DIFF_MAX_XATTRS)
            continue;
        unsigned char *v = xmalloc(DIFF_MAX_XATTR);
        ssize_t vn = fgetxattr(fd, nm, v, DIFF_MAX_XATTR);
        if (vn < 0) {
            free(v);
            continue;
        }
        if (!strcmp(nm, "security.capability")) {
            /* as the image expects it: v2, or v3 with a container root uid (fcaps.h) */
            unsigned char c[FCAPS_MAX];
            vn = (ssize_t)fcaps_to_layer(v, (size_t)vn, d->shift, c);
            memcpy(v, c, (size_t)vn);
            if (!vn) {
                free(v);
                continue;
            }
        }
        xs->vals[xs->n] = v;
        xs->x[xs->n++] = (struct layer_xattr){nm, v, (size_t)vn};
    }
    return 0;
}

static void fill_common(struct differ *d, struct layer_entry *e, const char *path,
                        const struct stat *st)
{
    memset(e, 0, sizeof(*e));
    e->path = path;
    e->mode = st->st_mode & (S_IFMT | 07777);
    e->uid = to_container(st->st_uid, d->shift->uid, d->shift->count);
    e->gid = to_container(st->st_gid, d->shift->gid, d->shift->count);
    e->fd = -1;
    e->has_mtime = true; /* clamped to the epoch by the layer writer */
    e->mtime = st->st_mtim.tv_sec;
}

static int write_dir(struct differ *d, const char *path, const struct stat *st, kiln_error_t **err)
{
    cleanup_close int fd = openat(d->root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EIO, "diff: open '%s'", path);
    struct xattrs xs;
    struct layer_entry e;
    fill_common(d, &e, path, st);
    int rc = read_xattrs(d, fd, &xs, err);
    e.xattrs = xs.x, e.nxattrs = xs.n;
    if (rc == 0)
        rc = layer_writer_add(d->w, &e, err);
    xattrs_release(&xs);
    return rc;
}

/* Writes the pending ancestors that are not written yet, outermost first. */
static int flush_pending(struct differ *d, kiln_error_t **err)
{
    for (size_t i = 0; i < d->depth; i++) {
        struct pending *p = &d->stack[i];
        if (p->written)
            continue;
        if (write_dir(d, p->path, &p->st, err) < 0)
            return -1;
        p->written = true;
    }
    return 0;
}

static int write_marker(struct differ *d, const char *dir, const char *name, kiln_error_t **err)
{
    if (flush_pending(d, err) < 0)
        return -1;
    cleanup_free char *p = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
    struct layer_entry e;
    memset(&e, 0, sizeof(e));
    e.path = p;
    e.mode = S_IFREG;
    e.fd = -1;
    e.whiteout = true;
    return layer_writer_add(d->w, &e, err);
}

static const char *hardlink_target(struct differ *d, const struct stat *st, const char *path)
{
    if (st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < d->nlinks; i++)
        if (d->links[i].dev == st->st_dev && d->links[i].ino == st->st_ino)
            return d->links[i].path;
    xgrow(&d->links, &d->caplinks, d->nlinks + 1, sizeof(*d->links));
    d->links[d->nlinks++] = (struct hardlink){st->st_dev, st->st_ino, xstrdup(path)};
    return NULL;
}

static int write_file(struct differ *d, int dfd, const char *name, const char *path,
                      const struct stat *st, kiln_error_t **err)
{
    if (S_ISSOCK(st->st_mode))
        return 0; /* sockets do not go into layers */
    if (flush_pending(d, err) < 0)
        return -1;
    struct layer_entry e;
    fill_common(d, &e, path, st);
    char target[LAYER_MAX_PATH + 1];
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return kiln_err_errno(err, KILN_EIO, "diff: readlink '%s'", path);
        target[n] = '\0';
        e.linkname = target;
        return layer_writer_add(d->w, &e, err);
    }
    if (!S_ISREG(st->st_mode)) {
        e.rdev = st->st_rdev;
        return layer_writer_add(d->w, &e, err);
    }
    const char *first = hardlink_target(d, st, path);
    if (first) {
        e.hardlink = true;
        e.linkname = first;
        return layer_writer_add(d->w, &e, err);
    }
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EIO, "diff: open '%s'", path);
    struct xattrs xs;
    int rc = read_xattrs(d, fd, &xs, err);
    e.fd = fd;
    e.size = (uint64_t)st->st_size;
    e.xattrs = xs.x, e.nxattrs = xs.n;
    if (rc == 0)
        rc = layer_writer_add(d->w, &e, err);
    xattrs_release(&xs);
    return rc;
}

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dfd, const char *name)
{
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    static const char *const attrs[] = {"user.overlay.opaque", "trusted.overlay.opaque"};
    char v[2];
    for (size_t i = 0; fd >= 0 && i < ARRAY_SIZE(attrs); i++)
        if (fgetxattr(fd, attrs[i], v, sizeof(v)) == 1 && v[0] == 'y')
            return true;
    return false;
}

static bool meta_differs(const struct stat *a, const struct stat *b)
{
    return a->st_mode != b->st_mode || a->st_uid != b->st_uid || a->st_gid != b->st_gid;
}

/* copy mode: whether a non-directory is the same as in the layers below */
static bool unchanged(struct differ *d, int dfd, const char *name, const char *abs,
                      const struct stat *st, const struct stat *low)
{
    if (meta_differs(st, low) || st->st_size != low->st_size ||
        st->st_mtim.tv_sec != low->st_mtim.tv_sec || st->st_mtim.tv_nsec != low->st_mtim.tv_nsec)
        return false;
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
        return st->st_rdev == low->st_rdev;
    if (!S_ISLNK(st->st_mode))
        return true;
    char t[LAYER_MAX_PATH + 1];
    cleanup_free char *lt = NULL;
    ssize_t n = readlinkat(dfd, name, t, sizeof(t) - 1);
    if (n < 0 || view_readlink(d->lower, abs, &lt) < 0)
        return false;
    t[n] = '\0';
    return strcmp(t, lt) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory (no "." and ".."). */
static int list_dir(int dfd, char ***out, size_t *n, kiln_error_t **err)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd < 0 ? NULL : fdopendir(fd);
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return kiln_err_errno(err, KILN_EIO, "diff: read directory");
    }
    cleanup_dir DIR *dd = dir;
    char **v = NULL;
    size_t nv = 0;
    struct dirent *e;
    while ((e = readdir(dd)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            strv_push(&v, &nv, xstrdup(e->d_name));
    if (nv)
        qsort(v, nv, sizeof(*v), cmp_names);
    *out = v ? v : xcalloc(1, sizeof(char *));
    *n = nv;
    return 0;
}

static int walk(struct differ *d, int dfd, const char *rel, bool low_ok, kiln_error_t **err);

static int visit_dir(struct differ *d, int dfd, const char *name, const char *path,
                     const struct stat *st, const struct stat *low, bool has_low,
                     kiln_error_t **err)
{
    if (d->depth >= DIFF_MAX_DEPTH)
        return kiln_err(err, KILN_ELIMIT, 0, "diff: '%s' is nested too deep", path);
    bool opaque = !d->copy && is_opaque(dfd, name);
    bool dir_low = has_low && S_ISDIR(low->st_mode);
    struct pending *p = &d->stack[d->depth++];
    *p = (struct pending){xstrdup(path), *st, false};
    int rc = 0;
    if (opaque || !dir_low || meta_differs(st, low))
        rc = flush_pending(d, err);
    if (rc == 0 && opaque)
        rc = write_marker(d, path, ".wh..wh..opq", err);
    cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rc == 0 && sub < 0)
        rc = kiln_err_errno(err, KILN_EIO, "diff: open '%s'", path);
    if (rc == 0)
        rc = walk(d, sub, path, dir_low && !opaque, err);
    free(d->stack[--d->depth].path);
    return rc;
}

static int visit(struct differ *d, int dfd, const char *rel, const char *name, bool in_new,
                 bool low_ok, kiln_error_t **err)
{
    cleanup_free char *path = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
    if (strlen(path) > LAYER_MAX_PATH - 16)
        return kiln_err(err, KILN_ELIMIT, 0, "diff: path too long '%.64s...'", path);
    if (!in_new) { /* copy mode: in the layers below, gone now */
        cleanup_free char *wh = xasprintf(".wh.%s", name);
        return write_marker(d, rel, wh, err);
    }
    struct stat st, low;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return kiln_err_errno(err, KILN_EIO, "diff: stat '%s'", path);
    if (!d->copy && is_whiteout(&st)) {
        cleanup_free char *wh = xasprintf(".wh.%s", name);
        return write_marker(d, rel, wh, err);
    }
    cleanup_free char *abs = xasprintf("/%s", path);
    bool has_low = low_ok && d->lower && view_lstat(d->lower, abs, &low) == 0;
    if (S_ISDIR(st.st_mode))
        return visit_dir(d, dfd, name, path, &st, &low, has_low, err);
    if (d->copy && has_low && unchanged(d, dfd, name, abs, &st, &low))
        return 0;
    return write_file(d, dfd, name, path, &st, err);
}

/* The names below rel in the layers (copy mode), sorted; empty when there are none. */
static void list_lower(struct differ *d, const char *rel, bool low_ok, char ***v, size_t *n)
{
    *v = NULL;
    *n = 0;
    cleanup_free char *abs = xasprintf("/%s", rel);
    if (!d->copy || !low_ok || !d->lower || view_list(d->lower, abs, v, n) < 0) {
        *v = xcalloc(1, sizeof(char *));
        *n = 0;
    }
}

/* One name of a directory walk, keyed by the name it has in the tar (".wh.NAME" for a deletion)
 * so that the entries of a directory come out sorted by their tar path. */
struct item {
    char *key;
    const char *name;
    bool in_new;
};

static int cmp_items(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->key, ((const struct item *)b)->key);
}

static struct item *merge_names(struct differ *d, int dfd, char **now, size_t nnow, char **low,
                                size_t nlow, size_t *n)
{
    struct item *it = xcalloc(nnow + nlow + 1, sizeof(*it));
    size_t i = 0, j = 0, k = 0;
    while (i < nnow || j < nlow) {
        int c = i == nnow ? 1 : j == nlow ? -1 : strcmp(now[i], low[j]);
        const char *name = c <= 0 ? now[i] : low[j];
        struct stat st;
        bool wh = c > 0 || (!d->copy && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            is_whiteout(&st));
        it[k++] = (struct item){wh ? xasprintf(".wh.%s", name) : xstrdup(name), name, c <= 0};
        i += c <= 0;
        j += c >= 0;
    }
    qsort(it, k, sizeof(*it), cmp_items);
    *n = k;
    return it;
}

static int walk(struct differ *d, int dfd, const char *rel, bool low_ok, kiln_error_t **err)
{
    cleanup_strv char **now = NULL, **low = NULL;
    size_t nnow = 0, nlow = 0, n = 0;
    if (list_dir(dfd, &now, &nnow, err) < 0)
        return -1;
    list_lower(d, rel, low_ok, &low, &nlow);
    struct item *it = merge_names(d, dfd, now, nnow, low, nlow, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = visit(d, dfd, rel, it[i].name, it[i].in_new, low_ok, err);
        free(it[i].key);
    }
    free(it);
    return rc;
}

int diff_write(int dirfd, struct view *lower, bool copy, const struct idshift *shift,
               struct layer_writer *w, kiln_error_t **err)
{
    struct differ *d = xcalloc(1, sizeof(*d));
    d->root = dirfd;
    d->lower = lower;
    d->copy = copy;
    d->shift = shift;
    d->w = w;
    int rc = walk(d, dirfd, "", true, err);
    for (size_t i = 0; i < d->nlinks; i++)
        free(d->links[i].path);
    free(d->links);
    free(d);
    return rc;
}
