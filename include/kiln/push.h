/* kiln — kiln push: an image (or an index with its attestations) from an OCI layout to a
 * registry, through the content store. */
#ifndef KILN_KILN_PUSH_H
#define KILN_KILN_PUSH_H

#include <stddef.h>

#include "kiln/error.h"
#include "kiln/types.h"
#include "kiln/registry.h"

struct kiln_push_opts {
    const char *root;   /* the store the layout is imported into; NULL: the default store */
    const char *layout; /* LAYOUT, LAYOUT:TAG or LAYOUT@sha256:DIGEST (a ':' that is part of
                           the directory's path stays in it) */
    const char *ref;    /* REGISTRY/REPOSITORY[:TAG] */
    struct kiln_registry_opts registry;
};

struct kiln_push_result {
    char digest[KILN_DIGEST_MAX]; /* what was pushed under the reference */
    size_t blobs_uploaded;        /* blobs the registry did not have */
    size_t blobs_mounted;         /* blobs mounted from another repository */
    size_t blobs_present;         /* blobs the registry had already */
    size_t referrers_tagged;      /* manifests with a subject indexed under a sha256-<hex> tag */
};

/* Imports what the layout's reference names (every blob verified) into the store, then pushes
 * the missing blobs and the manifests, children first; attestations with a subject are made
 * findable as referrers. Errors: KILN_EUSAGE for a bad reference, KILN_EINPUT/KILN_ECORRUPT for
 * the layout, KILN_ENETWORK for the registry. */
int kiln_push(const struct kiln_push_opts *o, struct kiln_push_result *res, kiln_error_t **err);

#endif
