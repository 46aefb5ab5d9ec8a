/* Choosing the manifest for a platform from an image index or a Docker manifest list, as
 * containerd's platform matcher does for one platform. Pure. */
#ifndef KILN_REGISTRY_PLATFORM_H
#define KILN_REGISTRY_PLATFORM_H

#include <jansson.h>
#include <stdbool.h>

#include "kiln/error.h"
#include "oci/image.h"

struct registry_platform {
    const char *os;      /* "linux" */
    const char *arch;    /* "amd64" (x86_64, aarch64 and friends are normalised) */
    const char *variant; /* "", "v8", "v7"; NULL is "" */
};

/* The canonical architecture name: x86_64/x86-64 -> amd64, aarch64 -> arm64, i386 -> 386. */
const char *registry_platform_arch(const char *arch);
/* True when an image for (os, arch, variant) runs on want; *score ranks the matches (higher is
 * a closer fit): a "vN" variant runs on a platform of variant >= N (amd64 v1 is the empty
 * variant, arm64 v8 is too, arm's default is v7). */
bool registry_platform_match(const struct registry_platform *want, const char *os, const char *arch,
                             const char *variant, int *score);
/* Picks from the index's "manifests" the descriptor that best matches want, skipping
 * attestation manifests (vnd.docker.reference.type) and entries without a platform. No
 * match is a KILN_EINPUT error that lists the platforms the index has. */
int registry_platform_pick(json_t *index, const struct registry_platform *want,
                           struct oci_desc *out, kiln_error_t **err);

#endif
