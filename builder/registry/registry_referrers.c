/* The referrers tag schema (OCI distribution 1.1): on a registry without the referrers API, the
 * manifests that have a subject are listed in an image index tagged "sha256-<subject hex>",
 * which clients read in place of GET /v2/<name>/referrers/<digest>. */
#include <string.h>

#include "json.h"
#include "registry_client.h"
#include "util.h"

json_t *registry_referrers_desc(const struct oci_desc *d, json_t *manifest)
{
    json_t *desc = json_descriptor(d->media_type, d->digest, d->size);
    const char *at = json_string_value(json_object_get(manifest, "artifactType"));
    if (!at)
        at = json_string_value(json_object_get(json_object_get(manifest, "config"), "mediaType"));
    if (at)
        json_object_set_new(desc, "artifactType", json_string(at));
    json_t *ann = json_object_get(manifest, "annotations");
    if (json_is_object(ann) && json_object_size(ann))
        json_object_set(desc, "annotations", ann);
    return desc;
}

/* The current referrers index, or a new empty one when the tag does not exist. */
static int fetch_index(struct registry_conn *conn, const char *tag, json_t **out,
                       kiln_error_t **err)
{
    static const long ok[] = {200, 404, 0};
    cleanup_free char *path = registry_client_path(conn->c, "manifests", tag);
    cleanup_free char *what = xasprintf("GET referrers index %s", tag);
    cleanup_buf struct buf body = BUF_INIT(REGISTRY_MAX_MANIFEST);
    struct registry_req req = {.method = "GET",
                               .url = path,
                               .what = what,
                               .accept = MEDIA_TYPE_OCI_INDEX,
                               .out = &body,
                               .ok = ok,
                               .timeout = 300};
    struct registry_resp resp = {0};
    int rc = registry_client_do(conn, &req, &resp, err);
    long status = resp.status;
    registry_resp_release(&resp);
    if (rc < 0)
        return -1;
    if (status == 404) {
        *out = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_INDEX,
                         "manifests");
        return 0;
    }
    cleanup_json json_t *idx =
        json_parse_object(buf_str(&body), body.len, REGISTRY_MAX_MANIFEST, what, err);
    if (!idx)
        return -1;
    if (!json_is_array(json_object_get(idx, "manifests")))
        return kiln_err(err, KILN_ECORRUPT, 0, "%s: not an image index", what);
    *out = steal_ptr(idx);
    return 0;
}

static bool listed(json_t *manifests, const char *digest)
{
    size_t i;
    json_t *d;
    json_array_foreach(manifests, i, d)
    {
        const char *dg = json_string_value(json_object_get(d, "digest"));
        if (dg && !strcmp(dg, digest))
            return true;
    }
    return false;
}

int registry_referrers_tag(struct registry_conn *conn, const char *subject, json_t *descs,
                           size_t *added, kiln_error_t **err)
{
    cleanup_free char *tag = xasprintf("sha256-%s", digest_hex(subject));
    cleanup_json json_t *idx = NULL;
    *added = 0;
    if (fetch_index(conn, tag, &idx, err) < 0)
        return -1;
    json_t *ms = json_object_get(idx, "manifests");
    size_t i;
    json_t *d;
    json_array_foreach(descs, i, d)
    {
        const char *dg = json_string_value(json_object_get(d, "digest"));
        if (dg && !listed(ms, dg)) {
            json_array_append(ms, d);
            (*added)++;
        }
    }
    int rc = 0;
    if (*added) {
        cleanup_free char *data = json_dump_stable(idx);
        char digest[DIGEST_STR_LEN + 1];
        sha256_buf(data, strlen(data), digest);
        rc = registry_upload_manifest(conn, tag, MEDIA_TYPE_OCI_INDEX, data, strlen(data), digest,
                                      NULL, err);
    }
    return rc;
}
