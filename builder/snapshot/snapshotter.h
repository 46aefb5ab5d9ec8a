/* The rootfs of a RUN step and the layer it makes.
 *
 * overlay (the default where the kernel has overlayfs for user namespaces): the step's rootfs
 *   is an overlay of the image's snapshots (lower, read-only) and a fresh upper directory; the
 *   sandbox mounts it inside the step's own namespaces. The diff is the upper directory itself:
 *   new and changed entries, whiteout devices as ".wh.NAME", opaque directories as
 *   ".wh..wh..opq". Afterwards the upper directory becomes the new layer's snapshot
 *   (ROOT/snapshots/<diff_id hex>), so later steps and builds use it without unpacking.
 * copy (KILN_SNAPSHOTTER=copy, no overlayfs, or an overlay that cannot be mounted on this
 *   store, see struct snapshotter): the snapshots are copied into a plain directory
 *   (whiteouts and opaque directories applied) and the diff walks it against the snapshots:
 *   changed (type, mode, owner, size, mtime, link target), new and deleted entries. The new
 *   layer's snapshot is unpacked from its blob when a later step needs it.
 *
 * Either way the layer is written in one pass by layer_writer, entries sorted (depth first,
 * names in byte order, a directory before its contents), directories only when new, changed or
 * holding a change; owners are container ids; security.capability and user.* xattrs are kept.
 * Mount points the sandbox had to create (res->stubs of sandbox_run) are removed first, so no
 * stub ever reaches a layer or a snapshot.
 *
 * Ownership: a step_rootfs owns its private directory ROOT/snapshots/.step-XXXX and removes it
 * in step_rootfs_free (as container root, see idmap_run).
 */
#ifndef KILN_SNAPSHOT_SNAPSHOTTER_H
#define KILN_SNAPSHOT_SNAPSHOTTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kiln/error.h"
#include "layer/layer_writer.h"
#include "sandbox/idmap.h"
#include "sandbox/sandbox.h"
#include "store/store.h"

enum snapshotter_kind { SNAPSHOTTER_OVERLAY, SNAPSHOTTER_COPY };

const char *snapshotter_name(enum snapshotter_kind k);

/* Which snapshotter a build's steps use, decided here and nowhere else: $KILN_SNAPSHOTTER
 * ("overlay" or "copy", read once by snapshotter_init) when it is set; else overlay where the
 * kernel has overlayfs that a user namespace may mount (5.11 or later), else copy. An overlay
 * that turns out not to mount on this store (the sandbox's KILN_ESNAPSHOT error, e.g. a store
 * on a filesystem overlayfs refuses as upper layer) makes the step run again with copy, and the
 * build's later steps too. One per build, shared by the threads of its stages. */
struct snapshotter {
    int kind;    /* enum snapshotter_kind, read and written atomically */
    bool forced; /* named by $KILN_SNAPSHOTTER: no fallback */
};
void snapshotter_init(struct snapshotter *s);
/* The kind for the next step. */
enum snapshotter_kind snapshotter_pick(struct snapshotter *s);
/* After a step with kind failed with err: true when it should run again with copy, which the
 * build then keeps. The caller warns with err's message. */
bool snapshotter_fall_back(struct snapshotter *s, enum snapshotter_kind kind,
                           const kiln_error_t *err);

struct step_rootfs;

/* Prepares the rootfs of a step over layers (snapshot directories, bottom first, as
 * snapshot_ensure returns them; n may be 0 for FROM scratch). */
int step_rootfs_prepare(struct store *s, const struct idmap *m, enum snapshotter_kind kind,
                        char *const *layers, size_t n, struct step_rootfs **out,
                        kiln_error_t **err);
/* Points spec->rootfs and spec->run_dir at the prepared rootfs (valid while r lives). */
void step_rootfs_spec(const struct step_rootfs *r, struct sandbox_spec *spec);

struct step_diff_opts {
    enum layer_compression compression;
    int level;     /* -1: default */
    int64_t epoch; /* no entry's mtime is later (layer_entry_mtime) */
    /* the leak scan while the layer is written (layer_writer_scan): NULL for none; index is the
     * layer's place in the image */
    const struct leakscan *scan;
    size_t index;
};

/* Removes the stubs (relative paths, parents first) that are still empty, writes the diff as a
 * layer blob into the store (res; res->nentries == 0 means the step changed nothing) and, for
 * overlay, keeps the upper directory as the snapshot of the new diff_id. */
int step_rootfs_commit(struct step_rootfs *r, char *const *stubs, const struct step_diff_opts *o,
                       struct layer_result *res, kiln_error_t **err);
/* Removes the step's private directory. NULL is fine. */
void step_rootfs_free(struct step_rootfs *r);
static inline void cleanup_step_rootfsp(struct step_rootfs **r)
{
    step_rootfs_free(*r);
}
#define cleanup_step_rootfs __attribute__((cleanup(cleanup_step_rootfsp)))

/* Whether the existing snapshot directory ROOT/snapshots/<name> (st: its lstat) may be used: a
 * directory owned by a host id of the store's map (its container root, or an id a step gave
 * '/'). One planted by another user is refused (KILN_EPOLICY) rather than trusted. */
int snapshot_check_existing(struct store *s, const char *name, const struct stat *st,
                            kiln_error_t **err);

/* Removes ROOT/snapshots/<name> (a snapshot or a step's leftover directory) as container root,
 * so that a rootless store can drop files owned by its subordinate ids. Missing is fine. */
int snapshot_remove(struct store *s, const char *name, kiln_error_t **err);

/* ---- diff.c: the differ, usable on its own (tests) ---- */

/* Writes the changes of dirfd (an overlay upper when lowers is NULL... see below) to w.
 *   upper mode (copy == false): dirfd is an overlay upper directory; lower (may be NULL) is the
 *     view of the layers below, used to leave out directories that only were copied up;
 *   copy mode (copy == true): dirfd is a full rootfs, compared against lower.
 * shift turns owners on disk into container ids. */
struct view;
int diff_write(int dirfd, struct view *lower, bool copy, const struct idshift *shift,
               struct layer_writer *w, kiln_error_t **err);

/* ---- copy.c ---- */

/* Applies the snapshot directories layers (bottom first) onto the empty directory destfd:
 * whiteouts delete, opaque directories hide what is below, owners, modes, times and kept
 * xattrs are copied (file capabilities only when they hold inside the map of sh). */
int copy_layers(char *const *layers, size_t n, int destfd, const struct idshift *sh,
                kiln_error_t **err);

#endif
