/* OCI artifacts for the remote build cache: an OCI 1.1 image manifest with an artifactType,
 * a config (JSON, or the empty descriptor) and layers that are store blobs. */
#include <string.h>

#include "json.h"
#include "registry_client.h"
#include "util.h"

static const char empty_config[] = "{}";

static json_t *desc_json(const struct oci_desc *d)
{
    return json_descriptor(d->media_type, d->digest, d->size);
}

static int store_config(struct store *s, const struct registry_artifact *a, struct oci_desc *d,
                        kiln_error_t **err)
{
    const char *type = a->config_media_type ? a->config_media_type : MEDIA_TYPE_OCI_EMPTY;
    const char *data = a->config_media_type ? a->config : empty_config;
    size_t len = a->config_media_type ? a->config_len : strlen(empty_config);
    if (!data || strlen(type) >= sizeof(d->media_type))
        return kiln_err(err, KILN_EINPUT, 0, "artifact: bad config");
    snprintf(d->media_type, sizeof(d->media_type), "%s", type);
    d->size = len;
    return store_put_blob(s, data, len, d->digest, err);
}

static int build_manifest(struct store *s, const struct registry_artifact *a, struct oci_desc *out,
                          kiln_error_t **err)
{
    struct oci_desc cfg;
    if (!a->artifact_type || !*a->artifact_type)
        return kiln_err(err, KILN_EINPUT, 0, "artifact: artifactType is required");
    if (store_config(s, a, &cfg, err) < 0)
        return -1;
    json_t *layers = json_array();
    for (size_t i = 0; i < a->nlayers; i++)
        json_array_append_new(layers, desc_json(&a->layers[i]));
    cleanup_json json_t *m =
        json_pack("{s:i,s:s,s:s,s:o,s:o}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_MANIFEST,
                  "artifactType", a->artifact_type, "config", desc_json(&cfg), "layers", layers);
    if (a->annotations && json_object_size(a->annotations))
        json_object_set(m, "annotations", a->annotations);
    cleanup_free char *data = json_dump_stable(m);
    snprintf(out->media_type, sizeof(out->media_type), "%s", MEDIA_TYPE_OCI_MANIFEST);
    out->size = strlen(data);
    if (out->size > REGISTRY_MAX_MANIFEST)
        return kiln_err(err, KILN_ELIMIT, 0, "artifact manifest is larger than %u bytes",
                        REGISTRY_MAX_MANIFEST);
    return store_put_blob(s, data, out->size, out->digest, err);
}

int registry_artifact_push(struct store *s, const struct registry_opts *o, const char *ref,
                           const struct registry_artifact *a, struct oci_desc *manifest,
                           kiln_error_t **err)
{
    if (a->nlayers > REGISTRY_MAX_BLOBS)
        return kiln_err(err, KILN_ELIMIT, 0, "push %s: more than %d layers", ref,
                        REGISTRY_MAX_BLOBS);
    if (build_manifest(s, a, manifest, err) < 0)
        return kiln_err_wrap(err, "push %s", ref);
    struct registry_push_req req = {.top = manifest, .ref = ref};
    struct registry_push_result res;
    return registry_push(s, o, &req, &res, err);
}

/* The config and (with_layers) the layers of the artifact manifest doc. */
static int fetch_parts(struct registry_client *c, struct store *s, json_t *doc, bool with_layers,
                       kiln_error_t **err)
{
    json_t *layers = json_object_get(doc, "layers");
    if (!json_is_array(layers) || json_array_size(layers) > REGISTRY_MAX_BLOBS)
        return kiln_err(err, KILN_ECORRUPT, 0, "artifact manifest: bad layers");
    cleanup_free struct oci_desc *d = xcalloc(json_array_size(layers) + 1, sizeof(*d));
    size_t n = 0;
    if (desc_parse(json_object_get(doc, "config"), "artifact config", &d[n++], err) < 0)
        return -1;
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (with_layers && desc_parse(l, "artifact layer", &d[n++], err) < 0)
            return -1;
    }
    return registry_blob_fetch_all(c, s, d, n, err);
}

static int artifact_pull(struct store *s, const struct registry_opts *o, const struct reference *r,
                         bool with_layers, struct oci_desc *manifest, bool *missing,
                         kiln_error_t **err)
{
    cleanup_registry_client struct registry_client *c = NULL;
    if (registry_client_open(o, r, REGISTRY_PULL, NULL, 0, &c, err) < 0)
        return -1;
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (registry_manifest_get(c->conn, s, r->digest ? r->digest : r->tag, NULL, manifest, &data,
                              &len, missing, err) < 0)
        return -1;
    if (*missing)
        return 0;
    if (strcmp(manifest->media_type, MEDIA_TYPE_OCI_MANIFEST) != 0)
        return kiln_err(err, KILN_EINPUT, 0, "'%s' is not an artifact manifest",
                        manifest->media_type);
    cleanup_json json_t *doc =
        json_parse_object(data, len, REGISTRY_MAX_MANIFEST, "artifact manifest", err);
    return doc ? fetch_parts(c, s, doc, with_layers, err) : -1;
}

int registry_artifact_pull(struct store *s, const struct registry_opts *o, const char *ref,
                           bool with_layers, struct oci_desc *manifest, bool *missing,
                           kiln_error_t **err)
{
    *missing = false;
    cleanup_reference struct reference r = {0};
    if (reference_parse(ref, &r, err) < 0)
        return -1;
    cleanup_free char *name = reference_string(&r);
    if (artifact_pull(s, registry_opts_pick(o), &r, with_layers, manifest, missing, err) < 0)
        return kiln_err_wrap(err, "pull %s", name);
    return 0;
}

int registry_fetch_blobs(struct store *s, const struct registry_opts *o, const char *ref,
                         const struct oci_desc *blobs, size_t n, kiln_error_t **err)
{
    cleanup_reference struct reference r = {0};
    if (reference_parse(ref, &r, err) < 0)
        return -1;
    cleanup_free char *name = reference_name(&r);
    if (n > REGISTRY_MAX_BLOBS)
        return kiln_err(err, KILN_ELIMIT, 0, "pull %s: more than %d blobs", name,
                        REGISTRY_MAX_BLOBS);
    size_t missing = 0;
    for (size_t i = 0; i < n; i++)
        missing += !store_has_blob(s, blobs[i].digest);
    if (!missing)
        return 0;
    cleanup_registry_client struct registry_client *c = NULL;
    if (registry_client_open(registry_opts_pick(o), &r, REGISTRY_PULL, NULL, 0, &c, err) < 0 ||
        registry_blob_fetch_all(c, s, blobs, n, err) < 0)
        return kiln_err_wrap(err, "pull %s", name);
    return 0;
}
