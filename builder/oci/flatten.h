/* An image's root filesystem as one stream of tar entries, read from its layer blobs: the
 * layers applied bottom to top as the OCI image spec says (".wh.NAME" deletes NAME and what is
 * under it, ".wh..wh..opq" hides what lower layers put in its directory, a non-directory hides
 * what lower layers put under its path), each path once, with the metadata of the layer that
 * put it there (owners are the image's ids, modes, times and xattrs as in the layer).
 *
 * The order: layers bottom first, each in its own order, except that every directory comes
 * before what is in it (a directory a layer does not list is given as 0755 root:root at the
 * epoch) and a hard link comes after its target. A hard link whose target a higher layer
 * replaced or deleted keeps the content it had: it is given as a regular file (and the other
 * links to that content as hard links to it). An entry under a path that is not a directory in
 * the result (a hostile layer: "a -> /etc", then "a/passwd") is dropped: no filesystem could
 * hold it. This is the stream the local, tar and docker-free outputs of kiln build write.
 *
 * Layers are read from the store twice (headers, then data) and never unpacked on disk; the
 * content of link targets that need it is spooled to unnamed temporary files in tmpfd.
 */
#ifndef KILN_OCI_FLATTEN_H
#define KILN_OCI_FLATTEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiln/error.h"
#include "oci/image.h"
#include "store/store.h"

#define FLATTEN_MAX_ENTRIES 4000000u /* paths in the result */
#define FLATTEN_MAX_SPOOLS  1024u    /* link targets a higher layer replaced */

struct archive;
struct archive_entry;

/* Where the data of a regular file comes from. */
struct flatten_data {
    struct archive *a; /* read with archive_read_data, or */
    int fd;            /* this spool (when a is NULL) */
};
/* Reads up to n bytes of the entry's data: the count, 0 at its end, -1 on error. */
ssize_t flatten_read(struct flatten_data *d, void *buf, size_t n);

/* Receives each entry of the result, in order. The entry's pathname is relative and clean
 * ("usr/bin/env", no "./", no trailing '/'), a hard link's target likewise. data is NULL for
 * entries without content (directories, links, devices, empty files). */
struct flatten_sink {
    void *ctx;
    int (*entry)(void *ctx, struct archive_entry *e, struct flatten_data *data, kiln_error_t **err);
};

struct flatten_stats {
    size_t entries; /* given to the sink */
    size_t dropped; /* under a non-directory */
};

/* Streams the root filesystem of the layers (bottom first) to sink. Errors: KILN_ECORRUPT for a
 * layer that cannot be read or holds ".." or absolute escapes, KILN_ELIMIT over the limits
 * above, or the sink's own. epoch is the mtime of directories no layer lists. */
int flatten_layers(struct store *s, const struct image_layer *layers, size_t n, int tmpfd,
                   int64_t epoch, const struct flatten_sink *sink, struct flatten_stats *stats,
                   kiln_error_t **err);

#endif
