/* in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):
 *   {"_type": "https://in-toto.io/Statement/v1",
 *    "subject": [{"name": NAME, "digest": {"sha256": HEX}}],
 *    "predicateType": TYPE, "predicate": {...}}
 * kiln wraps its SPDX document (https://spdx.dev/Document), CycloneDX BOM
 * (https://cyclonedx.org/bom) and SLSA provenance (https://slsa.dev/provenance/v1) in one each;
 * the exporter stores each as an application/vnd.in-toto+json layer (attest.h). */
#ifndef KILN_SBOM_INTOTO_H
#define KILN_SBOM_INTOTO_H

#include <stddef.h>

#include "kiln/error.h"

#define INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define INTOTO_MEDIA_TYPE     "application/vnd.in-toto+json"
#define INTOTO_MAX_SUBJECTS   64
#define INTOTO_MAX_PREDICATE  (256u * 1024 * 1024)

struct intoto_subject {
    const char *name;   /* e.g. the image reference; required by consumers such as cosign */
    const char *digest; /* "sha256:<hex>" */
};

/* Writes the statement for predicate_json (which must be a JSON object) as compact JSON into
 * *out (owned by the caller, NUL-terminated). Fails with KILN_EINPUT on a bad subject digest,
 * an empty predicate type or a predicate that is not a JSON object, KILN_ELIMIT over the
 * limits above. */
int intoto_statement(const char *predicate_type, const struct intoto_subject *subjects, size_t n,
                     const char *predicate_json, size_t predicate_len, char **out, size_t *len,
                     kiln_error_t **err);

#endif
