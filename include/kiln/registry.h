/* kiln — how kiln reaches registries: the options kiln build (pulls, --output type=registry,
 * --cache-from/--cache-to) and kiln push share. */
#ifndef KILN_KILN_REGISTRY_H
#define KILN_KILN_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"

#define KILN_MAX_INSECURE_REGISTRIES 64
#define KILN_MAX_REGISTRY_PARALLEL   16

struct kiln_registry_opts {
    const char *ca_file;         /* --registry-ca: also trust this CA bundle (PEM); NULL: none */
    const char *const *insecure; /* --insecure-registry HOST[:PORT]: plain HTTP and unverified
                                    TLS allowed (loopback registries always may use HTTP) */
    size_t ninsecure;            /* at most KILN_MAX_INSECURE_REGISTRIES */
    const char *auth_file;       /* --authfile; NULL: $REGISTRY_AUTH_FILE, else Docker's */
    unsigned parallel;           /* concurrent blob transfers, 1 to 16; 0: 4 */
    uint64_t chunk_size;         /* push: upload in chunks of this size; 0: one PUT */
};

/* An image reference with Docker's normalisation ("python" is
 * "docker.io/library/python:latest"), e.g. to check a -t name before a build. Allocated; NULL
 * with an error naming what is wrong. */
char *kiln_reference_normalize(const char *ref, kiln_error_t **err);

#endif
