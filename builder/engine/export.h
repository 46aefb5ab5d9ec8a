/* The output of a build: the image (export.c: an OCI layout directory or archive, a docker
 * tarball, a registry), with its attestations (attestations.c), or the final stage's files
 * (export_files.c). */
#ifndef KILN_ENGINE_EXPORT_H
#define KILN_ENGINE_EXPORT_H

#include "kiln/kiln.h"
#include "oci/image.h"

struct build;
struct build_stage;

int export_image(struct build *b, struct build_stage *final, struct kiln_build_result *res,
                 kiln_error_t **err);
/* The final stage's files (type=local: a new directory; type=tar: one tar, "-" for stdout),
 * written atomically (except to stdout). */
int export_local(struct build *b, struct build_stage *final, const char *dest, kiln_error_t **err);
int export_tar(struct build *b, struct build_stage *final, const char *dest, kiln_error_t **err);
/* attestations.c: with --sbom/--provenance (the defaults), generates the documents, stores them
 * in an attestation manifest about image, and an index of both; *top is that index (else
 * image). */
int attestations_attach(struct build *b, struct build_stage *final, const struct oci_desc *image,
                        struct oci_desc *top, kiln_error_t **err);

#endif
