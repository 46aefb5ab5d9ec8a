/* Walking the graph of an image or index in the store: the top descriptor, then (for an index)
 * its manifests, (for a manifest) its config and layers, each distinct blob once. The one walker
 * of kiln: copying an image out of the store, importing one into it and pushing one all use it,
 * each with its own limits. */
#ifndef KILN_OCI_WALK_H
#define KILN_OCI_WALK_H

#include <jansson.h>
#include <stdbool.h>

#include "kiln/error.h"
#include "oci/image.h"
#include "store/store.h"

#define OCI_WALK_MAX_DEPTH 8 /* indexes in indexes, for layouts kiln reads or writes */

struct oci_walk {
    size_t max_blobs; /* more distinct blobs is a KILN_ELIMIT error */
    int max_depth;    /* a descriptor nested deeper under the top is a KILN_ECORRUPT error */
    /* Called once per distinct descriptor, parents before children, before the children are
     * read from the store: a visit may bring the blob into the store (an import). May be NULL. */
    int (*visit)(void *ctx, const struct oci_desc *d, kiln_error_t **err);
    /* Called once per distinct manifest or index after all of its children (children before
     * parents, the top last), with its bytes and parsed document, which the walk owns. May be
     * NULL. */
    int (*after)(void *ctx, const struct oci_desc *d, const char *data, size_t len, json_t *doc,
                 kiln_error_t **err);
    void *ctx;
};

/* Walks from top. A callback returning -1 stops the walk with its error. */
int oci_walk(struct store *s, const struct oci_desc *top, const struct oci_walk *w,
             kiln_error_t **err);

bool oci_is_index_type(const char *media_type);
bool oci_is_manifest_type(const char *media_type);

#endif
