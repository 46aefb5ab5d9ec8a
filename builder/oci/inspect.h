/* Reading an OCI layout for `kiln inspect`: the image a reference names, its config summary
 * and its attestations, every blob checked against its digest. Read-only: no store. */
#ifndef KILN_OCI_INSPECT_H
#define KILN_OCI_INSPECT_H

#include <jansson.h>

#include "kiln/error.h"
#include "oci/image.h"

struct inspect_result {
    char index_digest[DIGEST_STR_LEN + 1]; /* the nested index, "" when index.json points at
                                               the manifest */
    char manifest_digest[DIGEST_STR_LEN + 1];
    json_t *manifest;
    json_t *config;
    json_t *attestations; /* array of {predicateType, statement} read from attestation layers */
};

/* ref: a tag (org.opencontainers.image.ref.name), a digest, or NULL for a one-image layout. */
int layout_inspect(const char *dir, const char *ref, struct inspect_result *out,
                   kiln_error_t **err);
void inspect_result_release(struct inspect_result *r);

#endif
