/* kiln — kiln inspect: a summary of an image in an OCI layout, read-only (no store). */
#ifndef KILN_KILN_INSPECT_H
#define KILN_KILN_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"
#include "kiln/types.h"

struct kiln_count {
    char *name;
    size_t n;
};

/* The packages of one SPDX SBOM attestation, counted by purl type ("deb", "pypi", ...; "other"
 * without a purl), types in the order they first appear. */
struct kiln_sbom_summary {
    size_t packages;
    struct kiln_count *types;
    size_t ntypes;
};

struct kiln_inspect_result {
    char index_digest[KILN_DIGEST_MAX]; /* the image's index, "" when none */
    char manifest_digest[KILN_DIGEST_MAX];
    char *os, *architecture, *created; /* from the config; NULL when it has none */
    char *user;                        /* the config's User; NULL or "" when none (root) */
    size_t nlayers;
    uint64_t layers_size; /* bytes, as the layers are stored (compressed) */
    size_t nattestations; /* in-toto statements attached to the image */
    struct kiln_sbom_summary *sboms;
    size_t nsboms;
};

/* layout: LAYOUT, LAYOUT:TAG or LAYOUT@sha256:DIGEST (a layout holding one image needs no tag).
 * Every blob read is checked against its digest. On error, r needs no release. */
int kiln_inspect(const char *layout, struct kiln_inspect_result *r, kiln_error_t **err);
void kiln_inspect_result_release(struct kiln_inspect_result *r);

#endif
