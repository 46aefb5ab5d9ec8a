/* The BuildKit-compatible attestation manifest that carries kiln's in-toto statements next to
 * an image in an OCI index:
 *
 *   {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
 *    "artifactType": "application/vnd.docker.attestation.manifest.v1+json",
 *    "config": the OCI empty descriptor (application/vnd.oci.empty.v1+json, "{}", data "e30="),
 *    "layers": [{"mediaType": "application/vnd.in-toto+json", "digest", "size",
 *                "annotations": {"in-toto.io/predicate-type": TYPE}}, ...],
 *    "subject": the image manifest descriptor}
 *
 * and its descriptor in the index, annotated as BuildKit does:
 *   "vnd.docker.reference.type": "attestation-manifest",
 *   "vnd.docker.reference.digest": the image manifest digest,
 *   "platform": {"architecture": "unknown", "os": "unknown"}. */
#ifndef KILN_SBOM_ATTEST_H
#define KILN_SBOM_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"
#include "digest/digest.h"
#include "store/store.h"

#define ATTEST_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define ATTEST_ARTIFACT_TYPE "application/vnd.docker.attestation.manifest.v1+json"
#define ATTEST_EMPTY_TYPE    "application/vnd.oci.empty.v1+json"
#define ATTEST_EMPTY_DIGEST                                                                        \
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define ATTEST_MAX_LAYERS 16

/* A stored blob. */
struct attest_desc {
    const char *media_type; /* the subject's: ATTEST_MANIFEST_TYPE for an OCI image manifest */
    char digest[DIGEST_STR_LEN + 1];
    uint64_t size;
};

/* One statement layer. */
struct attest_layer {
    char digest[DIGEST_STR_LEN + 1];
    uint64_t size;
    const char *predicate_type; /* borrowed: e.g. SBOM_SPDX_PREDICATE_TYPE */
};

/* Stores an in-toto statement (intoto.h) as a blob and describes it in *out. */
int attest_put_statement(struct store *s, const char *json, size_t len, const char *predicate_type,
                         struct attest_layer *out, kiln_error_t **err);

/* The attestation manifest JSON for the layers (1 to ATTEST_MAX_LAYERS) about subject. */
int attest_manifest_json(const struct attest_desc *subject, const struct attest_layer *layers,
                         size_t n, char **out, size_t *len, kiln_error_t **err);

/* Stores the empty config blob and the attestation manifest; describes the manifest in *out
 * (media type ATTEST_MANIFEST_TYPE). */
int attest_put_manifest(struct store *s, const struct attest_desc *subject,
                        const struct attest_layer *layers, size_t n, struct attest_desc *out,
                        kiln_error_t **err);

/* All in one for the exporter: wraps the SPDX and CycloneDX documents of sbom (NULL: none)
 * and the provenance of pi (NULL: none) in in-toto statements about image (subject name
 * subject_name), stores them and the attestation manifest, and describes it in *out. Fails
 * with KILN_EINPUT when there is nothing to attest. */
struct sbom_result;
struct provenance_info;
int attest_build(struct store *s, const struct attest_desc *image, const char *subject_name,
                 const struct sbom_result *sbom, const struct provenance_info *pi,
                 struct attest_desc *out, kiln_error_t **err);

/* The index.json "manifests" entry for the attestation manifest m about subject_digest, as a
 * JSON object text. Newly allocated. */
char *attest_index_entry(const struct attest_desc *m, const char *subject_digest);

#endif
