/* Walking the graph of an image or index in the store: the top descriptor, then (for an index)
 * its manifests, (for a manifest) its config and layers, each distinct blob once, parents
 * before children. Used to copy an image out of the store, to import one into it, to push it. */
#ifndef KILN_OCI_WALK_H
#define KILN_OCI_WALK_H

#include <stdbool.h>

#include "kiln/error.h"
#include "oci/image.h"
#include "store/store.h"

#define OCI_WALK_MAX_DEPTH 8

/* Called once per distinct descriptor, before its children are read from the store: a visit
 * may bring the blob into the store (an import). Return -1 to stop the walk. */
typedef int (*oci_visit_fn)(void *ctx, const struct oci_desc *d, kiln_error_t **err);

/* Walks from top; more than max distinct blobs is a KILN_ELIMIT error. */
int oci_walk(struct store *s, const struct oci_desc *top, size_t max, oci_visit_fn visit, void *ctx,
             kiln_error_t **err);

bool oci_is_index_type(const char *media_type);
bool oci_is_manifest_type(const char *media_type);

#endif
