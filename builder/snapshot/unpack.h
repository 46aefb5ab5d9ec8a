/* Unpacking layers into snapshot directories, safely.
 *
 * A snapshot is a layer's files in overlay format: an OCI whiteout ".wh.NAME" becomes a
 * character device 0:0 named NAME, ".wh..wh..opq" becomes the xattr user.overlay.opaque=y (and
 * trusted.overlay.opaque=y where kiln may set it) on its directory. Files are owned by the
 * store's mapped ids (sandbox/idmap.h: container id + the store's base when kiln runs as root,
 * unpacked inside the user namespace otherwise), so container root owns its files in a step.
 * Snapshots live in ROOT/snapshots/<diff_id hex>, are built in a temporary directory and renamed
 * into place, so a complete name is always a complete snapshot.
 *
 * Hostile entries are refused with KILN_ECORRUPT: absolute paths, ".." components, paths that
 * go through a symlink, hard links to outside the layer, more than UNPACK_MAX_ENTRIES entries or
 * paths longer than UNPACK_MAX_PATH. The uncompressed stream is hashed while it is read and must
 * equal the layer's diff_id; it is counted while it streams, and more than limits->layer_bytes
 * (or one entry larger than limits->entry_bytes) is a KILN_ELIMIT error before it reaches the
 * disk: a small gzip layer cannot fill it (decompression bombs).
 *
 * Device nodes and sockets (a debootstrap base has /dev/console, /dev/null...) are never created
 * on the host: they are left out of the snapshot (an entry of that name earlier in the layer is
 * removed) and counted in the report, so the caller can warn. A step gets its own /dev anyway,
 * and the layer blob itself, which the image keeps, is not changed.
 *
 * Directories an entry needs but the layer does not list (a parent left out, as some tools
 * write layers) are created 0755 and owned by container root (the shifted owner), never by
 * the host user kiln runs as.
 *
 * File capabilities (security.capability) are rewritten for the id map: a v1 or v2 value, whose
 * root is the image's root, and a v3 value with root uid R become v3 values whose root uid is
 * the host uid of container id R (kiln as root), or are written inside the user namespace where
 * the kernel does the same (rootless); a value whose root uid is outside the map, or that is
 * not a valid capability value, is dropped. No layer can make a file whose capabilities hold
 * for host root.
 */
#ifndef KILN_SNAPSHOT_UNPACK_H
#define KILN_SNAPSHOT_UNPACK_H

#include <stdint.h>

#include "kiln/error.h"
#include "store/store.h"

#define UNPACK_MAX_ENTRIES 1000000
#define UNPACK_MAX_PATH    4096
#define UNPACK_MAX_XATTR   (64 * 1024)

/* Bounds on the uncompressed content of one layer (the tar stream) and of one entry (its size,
 * sparse holes included). Real bases have layers of a few GiB (CUDA images: about 4 GiB); the
 * defaults leave room for images that carry model weights and stop a bomb long before a
 * typical CI disk is full. --max-layer-size and --max-file-size raise them. */
#define UNPACK_DEFAULT_MAX_LAYER (32ull << 30)
#define UNPACK_DEFAULT_MAX_ENTRY (16ull << 30)

struct unpack_limits {
    uint64_t layer_bytes; /* 0: UNPACK_DEFAULT_MAX_LAYER */
    uint64_t entry_bytes; /* 0: UNPACK_DEFAULT_MAX_ENTRY */
};

/* What an unpack left out, for a warning. */
struct unpack_report {
    uint64_t devices;    /* device nodes and sockets not created */
    char first_dev[128]; /* the name of the first one (truncated) */
};

/* Unpacks the layer blob in fd (media type gives the compression) into the empty directory
 * destfd, owners as in the tar and no file capabilities (without an id map they could only hold
 * for host root). When diff_id is not NULL the uncompressed tar must hash to it. limits and
 * report may be NULL (defaults; no report). */
int unpack_layer(int fd, const char *media_type, const char *diff_id, int destfd,
                 const struct unpack_limits *limits, struct unpack_report *report,
                 kiln_error_t **err);

struct idshift;
/* The same, with owners shifted into kiln's view of the mapped range (sandbox/idmap.h): an
 * entry owned by container id N becomes host id N + shift; an owner at or above shift->count is
 * refused (KILN_EUNSUPPORTED). File capabilities get their root uid shifted the same way. */
int unpack_layer_shifted(int fd, const char *media_type, const char *diff_id, int destfd,
                         const struct idshift *shift, const struct unpack_limits *limits,
                         struct unpack_report *report, kiln_error_t **err);

/* The snapshot directory of diff_id when it is unpacked already: 1 (*path set), 0 when it is
 * not, -1 when the one there may not be used (snapshot_check_existing). */
int snapshot_find(struct store *s, const char *diff_id, char **path, kiln_error_t **err);
/* Returns (unpacking it first when needed) the snapshot directory of a stored layer. report
 * (may be NULL) is filled when this call unpacked the layer, zeroed otherwise. */
int snapshot_ensure(struct store *s, const char *digest, const char *media_type,
                    const char *diff_id, const struct unpack_limits *limits,
                    struct unpack_report *report, char **path, kiln_error_t **err);

/* "32 GiB", "512 MiB", "1000 bytes": a limit as the user would write it. */
void unpack_size_str(uint64_t n, char *buf, size_t size);

#endif
