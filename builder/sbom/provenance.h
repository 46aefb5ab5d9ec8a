/* SLSA v1 provenance (https://slsa.dev/spec/v1.0/provenance) for a kiln build, as the
 * predicate of an in-toto statement of type https://slsa.dev/provenance/v1.
 *
 * buildType https://kiln.dev/build/v1 (described in builder/sbom/buildtype-v1.md):
 *   externalParameters   what the user asked for: dockerfile {path, digest}, context, target,
 *                        platform, buildArgs {name: value}, secretBuildArgs [name],
 *                        secrets [{id}], noCache
 *   internalParameters   what kiln decided: sourceDateEpoch, network, builderPlatform
 *   resolvedDependencies the base images (and other materials) with their digests
 *   runDetails           builder.id https://kiln.dev/builder/kiln@<KILN_VERSION>,
 *                        metadata {invocationId, startedOn, finishedOn}
 *
 * Secrets never appear: a secret mount is recorded by id, a build argument marked secret by
 * name; neither value is read. The output is deterministic: invocationId is a UUID derived
 * from the inputs, and the times are the ones given (the driver passes SOURCE_DATE_EPOCH for
 * both in reproducible builds). */
#ifndef KILN_SBOM_PROVENANCE_H
#define KILN_SBOM_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"

#define PROVENANCE_PREDICATE_TYPE "https://slsa.dev/provenance/v1"
#define PROVENANCE_BUILD_TYPE     "https://kiln.dev/build/v1"
#define PROVENANCE_BUILDER_ID     "https://kiln.dev/builder/kiln@" KILN_VERSION

#define PROVENANCE_MAX_ARGS      1024 /* build args, secret ids or materials */
#define PROVENANCE_MAX_VALUE     (64u * 1024)
#define PROVENANCE_MAX_PREDICATE (16u * 1024 * 1024)

struct provenance_arg {
    const char *name;
    const char *value; /* never written when secret */
    bool secret;
};

/* A resolved input: a base image (FROM), a named context image, an ADD URL. */
struct provenance_material {
    const char *ref;      /* "docker.io/library/debian:bookworm" (or a URL); required */
    const char *digest;   /* "sha256:<hex>"; required */
    const char *platform; /* "linux/amd64" for images; optional */
    const char *uri;      /* optional: used as is instead of the purl made from ref */
};

/* Everything is borrowed for the call; NULL / 0 means unknown or not set. */
struct provenance_info {
    const char *dockerfile_path;   /* as given on the command line, e.g. "Dockerfile" */
    const char *dockerfile_digest; /* "sha256:<hex>" of its content */
    const char *context;           /* the build context as given ("." or a URL) */
    const char *target;            /* --target */
    const char *platform;          /* the target platform, "linux/amd64" */
    const struct provenance_arg *args;
    size_t n_args;
    const char *const *secret_ids; /* --secret id=... */
    size_t n_secret_ids;
    const struct provenance_material *materials;
    size_t n_materials;
    bool no_cache;
    const char *network;          /* "default", "none" or "host" */
    const char *builder_platform; /* the platform kiln ran on */
    int64_t source_date_epoch;
    int64_t started_on, finished_on; /* seconds since the epoch */
    const char *image_digest;        /* "sha256:<hex>" of the image manifest: seeds invocationId */
};

/* Writes the predicate (a JSON object) into *out, owned by the caller. KILN_EINPUT for a bad
 * digest, a missing material ref or text that is not UTF-8; KILN_ELIMIT over the limits. */
int provenance_predicate(const struct provenance_info *pi, char **out, size_t *len,
                         kiln_error_t **err);

/* The same wrapped in an in-toto Statement v1 whose subject is (name, pi->image_digest). */
int provenance_statement(const struct provenance_info *pi, const char *subject_name, char **out,
                         size_t *len, kiln_error_t **err);

#endif
