#include <string.h>

#include "attest.h"
#include "intoto.h"
#include "json.h"
#include "provenance.h"
#include "sbom.h"
#include "util.h"

int attest_put_statement(struct store *s, const char *json, size_t len, const char *predicate_type,
                         struct attest_layer *out, kiln_error_t **err)
{
    if (store_put_blob(s, json, len, out->digest, err) < 0)
        return kiln_err_wrap(err, "attestation: store statement");
    out->size = len;
    out->predicate_type = predicate_type;
    return 0;
}

static json_t *attest_layers(const struct attest_layer *layers, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_descriptor(INTOTO_MEDIA_TYPE, layers[i].digest, layers[i].size);
        json_object_set_new(
            d, "annotations",
            json_pack("{s:s}", "in-toto.io/predicate-type", layers[i].predicate_type));
        json_array_append_new(arr, d);
    }
    return arr;
}

int attest_manifest_json(const struct attest_desc *subject, const struct attest_layer *layers,
                         size_t n, char **out, size_t *len, kiln_error_t **err)
{
    if (n == 0 || n > ATTEST_MAX_LAYERS)
        return kiln_err(err, KILN_EINTERNAL, 0, "attestation: %zu layers (1 to %d)", n,
                        ATTEST_MAX_LAYERS);
    if (!digest_valid(subject->digest) || !subject->media_type)
        return kiln_err(err, KILN_EINTERNAL, 0, "attestation: bad subject descriptor");
    for (size_t i = 0; i < n; i++)
        if (!digest_valid(layers[i].digest) || !layers[i].predicate_type)
            return kiln_err(err, KILN_EINTERNAL, 0, "attestation: bad layer %zu", i);
    json_t *config = json_descriptor(ATTEST_EMPTY_TYPE, ATTEST_EMPTY_DIGEST, 2);
    json_object_set_new(config, "data", json_string("e30="));
    cleanup_json json_t *m = json_pack(
        "{s:i, s:s, s:s, s:o, s:o, s:o}", "schemaVersion", 2, "mediaType", ATTEST_MANIFEST_TYPE,
        "artifactType", ATTEST_ARTIFACT_TYPE, "config", config, "layers", attest_layers(layers, n),
        "subject", json_descriptor(subject->media_type, subject->digest, subject->size));
    char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
    if (!s)
        return kiln_err(err, KILN_EINTERNAL, 0, "attestation: cannot serialise the manifest");
    *out = s;
    *len = strlen(s);
    return 0;
}

int attest_put_manifest(struct store *s, const struct attest_desc *subject,
                        const struct attest_layer *layers, size_t n, struct attest_desc *out,
                        kiln_error_t **err)
{
    char empty[DIGEST_STR_LEN + 1];
    if (store_put_blob(s, "{}", 2, empty, err) < 0)
        return kiln_err_wrap(err, "attestation: store the empty config");
    cleanup_free char *json = NULL;
    size_t len = 0;
    if (attest_manifest_json(subject, layers, n, &json, &len, err) < 0)
        return -1;
    if (store_put_blob(s, json, len, out->digest, err) < 0)
        return kiln_err_wrap(err, "attestation: store the manifest");
    out->size = len;
    out->media_type = ATTEST_MANIFEST_TYPE;
    return 0;
}

char *attest_index_entry(const struct attest_desc *m, const char *subject_digest)
{
    cleanup_json json_t *d = json_descriptor(m->media_type, m->digest, m->size);
    json_object_set_new(d, "annotations",
                        json_pack("{s:s, s:s}", "vnd.docker.reference.digest", subject_digest,
                                  "vnd.docker.reference.type", "attestation-manifest"));
    json_object_set_new(d, "platform",
                        json_pack("{s:s, s:s}", "architecture", "unknown", "os", "unknown"));
    return json_dumps(d, JSON_COMPACT);
}

static int attest_wrap(struct store *s, const struct attest_desc *image, const char *name,
                       const char *ptype, const char *doc, size_t len, struct attest_layer *out,
                       kiln_error_t **err)
{
    struct intoto_subject subj = {name, image->digest};
    cleanup_free char *st = NULL;
    size_t stlen = 0;
    if (intoto_statement(ptype, &subj, 1, doc, len, &st, &stlen, err) < 0)
        return -1;
    return attest_put_statement(s, st, stlen, ptype, out, err);
}

int attest_build(struct store *s, const struct attest_desc *image, const char *subject_name,
                 const struct sbom_result *sbom, const struct provenance_info *pi,
                 struct attest_desc *out, kiln_error_t **err)
{
    struct attest_layer layers[3];
    size_t n = 0;
    if (sbom && (attest_wrap(s, image, subject_name, SBOM_SPDX_PREDICATE_TYPE, sbom->spdx_json,
                             sbom->spdx_len, &layers[n++], err) < 0 ||
                 attest_wrap(s, image, subject_name, SBOM_CDX_PREDICATE_TYPE, sbom->cdx_json,
                             sbom->cdx_len, &layers[n++], err) < 0))
        return kiln_err_wrap(err, "sbom attestation");
    if (pi) {
        cleanup_free char *pred = NULL;
        size_t plen = 0;
        if (provenance_predicate(pi, &pred, &plen, err) < 0 ||
            attest_wrap(s, image, subject_name, PROVENANCE_PREDICATE_TYPE, pred, plen, &layers[n++],
                        err) < 0)
            return kiln_err_wrap(err, "provenance attestation");
    }
    if (n == 0)
        return kiln_err(err, KILN_EINPUT, 0, "attestation: nothing to attest");
    return attest_put_manifest(s, image, layers, n, out, err);
}
