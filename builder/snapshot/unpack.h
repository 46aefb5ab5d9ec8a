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
 * go through a symlink, hard links to outside the layer, device nodes, more than
 * UNPACK_MAX_ENTRIES entries or paths longer than UNPACK_MAX_PATH. The uncompressed stream is
 * hashed while it is read and must equal the layer's diff_id.
 */
#ifndef KILN_SNAPSHOT_UNPACK_H
#define KILN_SNAPSHOT_UNPACK_H

#include <stdint.h>

#include "kiln/error.h"
#include "store/store.h"

#define UNPACK_MAX_ENTRIES 1000000
#define UNPACK_MAX_PATH    4096
#define UNPACK_MAX_XATTR   (64 * 1024)

/* Unpacks the layer blob in fd (media type gives the compression) into the empty directory
 * destfd. When diff_id is not NULL the uncompressed tar must hash to it. */
int unpack_layer(int fd, const char *media_type, const char *diff_id, int destfd,
                 kiln_error_t **err);

struct idshift;
/* The same, with owners shifted into kiln's view of the mapped range (sandbox/idmap.h): an
 * entry owned by container id N becomes host id N + shift; an owner at or above shift->count is
 * refused (KILN_EUNSUPPORTED). File capabilities get the rootid of container root. */
int unpack_layer_shifted(int fd, const char *media_type, const char *diff_id, int destfd,
                         const struct idshift *shift, kiln_error_t **err);

/* Returns (unpacking it first when needed) the snapshot directory of a stored layer. */
int snapshot_ensure(struct store *s, const char *digest, const char *media_type,
                    const char *diff_id, char **path, kiln_error_t **err);

#endif
