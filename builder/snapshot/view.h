/* A read-only view of an image's root filesystem through its unpacked layers, without
 * mounting anything: lookups walk the layer directories from the top down and apply
 * whiteouts and opaque directories as the OCI image spec says.
 *
 * Layer directories are snapshots in overlay format (builder/snapshot/unpack.h): a deleted
 * path is a character device 0:0, an opaque directory carries the xattr
 * "trusted.overlay.opaque" or "user.overlay.opaque" = "y". A plain directory (no whiteouts) is a
 * valid one-layer view, e.g. a debootstrap tree for tests.
 *
 * Paths are absolute or relative to the image root; symlinks (absolute or relative) resolve
 * inside the root, never outside it, with at most VIEW_MAX_SYMLINKS hops. Functions return -1
 * with errno set (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EIO) and never raise a kiln_error, so
 * callers (catalogers, COPY, the user resolver) decide what a missing file means.
 */
#ifndef KILN_SNAPSHOT_VIEW_H
#define KILN_SNAPSHOT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "kiln/error.h"

#define VIEW_MAX_SYMLINKS 40
#define VIEW_MAX_PATH     4096
#define VIEW_MAX_LAYERS   128

struct view;

/* dirs: layer directories, bottom first. The view keeps its own fds. */
int view_new(const char *const *dirs, size_t n, struct view **out, kiln_error_t **err);

/* A layer not unpacked yet, known by its table of contents (layer/toc.h): lookups, listings and
 * link targets come from the table; the first open of one of its files (or anything else that
 * needs the tree) unpacks it through lazy->unpack and goes on with the directory. Owners are
 * shown as host ids, as in an unpacked snapshot, through lazy->map (an id outside it shows as
 * 65534); st_dev is 0 and st_ino a number of the table, the same for a file's hard links. */
struct layer_toc;
struct idmap;
struct view_layer {
    const char *dir;             /* the snapshot, or NULL */
    const struct layer_toc *toc; /* when dir is NULL: borrowed, must outlive the view */
};
struct view_lazy {
    /* The snapshot directory of layer i (newly allocated), unpacking it; -1 on failure (the
     * view function then fails with EIO). Called with the view's lock held. */
    int (*unpack)(void *ctx, size_t i, char **dir);
    void *ctx;
    const struct idmap *map;
};
int view_new_layers(const struct view_layer *layers, size_t n, const struct view_lazy *lazy,
                    struct view **out, kiln_error_t **err);
void view_free(struct view *v);
static inline void cleanup_viewp(struct view **v)
{
    view_free(*v);
}
#define cleanup_view __attribute__((cleanup(cleanup_viewp)))

/* Paths the view must not show (a context's .dockerignore): hidden(ctx, canon, dir) is asked for
 * every entry a lookup reaches, by its canonical path ("/a/b"), whatever route led there: each
 * component of a path, each symlink and each component of a link's target. A hidden entry does
 * not exist for any function of the view (ENOENT; view_list leaves it out). ctx is borrowed. */
typedef bool (*view_hidden_fn)(void *ctx, const char *canon, bool dir);
void view_set_hidden(struct view *v, view_hidden_fn hidden, void *ctx);

/* Resolves every symlink of path inside the root; the last component need not exist (it is
 * resolved when it exists). *out is a clean absolute path. */
int view_realpath(struct view *v, const char *path, char **out);
/* stat of the entry itself (final symlink not followed). */
int view_lstat(struct view *v, const char *path, struct stat *st);
/* stat following a final symlink. */
int view_stat(struct view *v, const char *path, struct stat *st);
int view_readlink(struct view *v, const char *path, char **target);
/* Opens a regular file for reading (following symlinks inside the root). Returns an fd. */
int view_open(struct view *v, const char *path);
/* Names in a directory, merged over layers, whiteouts applied, sorted (no "." or ".."). */
int view_list(struct view *v, const char *dir, char ***names, size_t *n);

#endif
