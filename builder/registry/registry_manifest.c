/* Manifests and indexes from a registry: fetched bounded, verified, stored. */
#include <string.h>

#include "json.h"
#include "registry_client.h"
#include "util.h"

const char registry_manifest_accept[] = MEDIA_TYPE_OCI_INDEX
    ", " MEDIA_TYPE_OCI_MANIFEST ", " MEDIA_TYPE_DOCKER_LIST ", " MEDIA_TYPE_DOCKER_MANIFEST;

static bool known_type(const char *t)
{
    return !strcmp(t, MEDIA_TYPE_OCI_INDEX) || !strcmp(t, MEDIA_TYPE_OCI_MANIFEST) ||
           !strcmp(t, MEDIA_TYPE_DOCKER_LIST) || !strcmp(t, MEDIA_TYPE_DOCKER_MANIFEST);
}

static int set_type(char out[128], const char *t)
{
    snprintf(out, 128, "%s", t);
    return 0;
}

int registry_manifest_type(const char *content_type, const char *data, size_t len, char out[128],
                           kiln_error_t **err)
{
    cleanup_free char *ct =
        content_type ? xstrndup(content_type, strcspn(content_type, "; ")) : NULL;
    cleanup_json json_t *j = json_parse_object(data, len, REGISTRY_MAX_MANIFEST, "manifest", err);
    if (!j)
        return -1;
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    json_int_t sv = json_integer_value(json_object_get(j, "schemaVersion"));
    bool idx = json_is_array(json_object_get(j, "manifests"));
    bool man = json_is_array(json_object_get(j, "layers"));
    int rc;
    if (sv == 1 || (ct && str_has_prefix(ct, "application/vnd.docker.distribution.manifest.v1")))
        rc = kiln_err(err, KILN_EUNSUPPORTED, 0, "Docker schema 1 manifests are not supported");
    else if (ct && known_type(ct))
        rc = set_type(out, ct);
    else if (mt && known_type(mt))
        rc = set_type(out, mt);
    else if (!mt && (idx || man))
        rc = set_type(out, idx ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_OCI_MANIFEST);
    else
        rc = kiln_err(err, KILN_EUNSUPPORTED, 0, "manifest media type '%.100s' is not supported",
                      mt   ? mt
                      : ct ? ct
                           : "");
    if (rc == 0 && mt && strcmp(mt, out) != 0)
        rc = kiln_err(err, KILN_ECORRUPT, 0,
                      "manifest says it is '%.100s' but was served as "
                      "'%.100s'",
                      mt, out);
    return rc;
}

static int verify(const struct registry_resp *resp, const char *ref, const struct oci_desc *expect,
                  const char *got, size_t len, kiln_error_t **err)
{
    if (expect && strcmp(expect->digest, got) != 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifest %s has digest %s", expect->digest, got);
    if (expect && expect->size != len)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifest %s has %zu bytes, expected %llu",
                        expect->digest, len, (unsigned long long)expect->size);
    if (str_has_prefix(ref, "sha256:") && strcmp(ref, got) != 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifest %s has digest %s", ref, got);
    if (resp->digest && digest_valid(resp->digest) && strcmp(resp->digest, got) != 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifest has digest %s but the registry says %.80s",
                        got, resp->digest);
    return 0;
}

int registry_manifest_get(struct registry_conn *conn, struct store *s, const char *ref,
                          const struct oci_desc *expect, struct oci_desc *out, char **data,
                          size_t *len, bool *missing, kiln_error_t **err)
{
    static const long ok_or_missing[] = {200, 404, 0};
    cleanup_free char *path = registry_client_path(conn->c, "manifests", ref);
    cleanup_buf struct buf body = BUF_INIT(REGISTRY_MAX_MANIFEST);
    struct registry_req req = {.method = "GET",
                               .url = path,
                               .what = "GET manifest",
                               .accept = registry_manifest_accept,
                               .out = &body,
                               .ok = missing ? ok_or_missing : NULL,
                               .timeout = 300};
    struct registry_resp resp = {0};
    int rc = registry_client_do(conn, &req, &resp, err);
    if (missing)
        *missing = rc == 0 && resp.status == 404;
    if (missing && *missing) {
        registry_resp_release(&resp);
        return 0;
    }
    char got[DIGEST_STR_LEN + 1];
    if (rc == 0) {
        sha256_buf(body.data ? body.data : "", body.len, got);
        rc = verify(&resp, ref, expect, got, body.len, err);
    }
    if (rc == 0)
        rc = registry_manifest_type(resp.content_type, buf_str(&body), body.len, out->media_type,
                                    err);
    registry_resp_release(&resp);
    if (rc == 0)
        rc = store_put_blob(s, buf_str(&body), body.len, out->digest, err);
    if (rc < 0)
        return -1;
    out->size = body.len;
    if (len)
        *len = body.len;
    if (data)
        *data = buf_detach(&body);
    return 0;
}

int registry_manifest_load(struct store *s, const char *digest, struct oci_desc *out, char **data,
                           size_t *len, kiln_error_t **err)
{
    cleanup_free char *d = NULL;
    size_t n;
    if (store_read_blob(s, digest, REGISTRY_MAX_MANIFEST, &d, &n, err) < 0 ||
        registry_manifest_type(NULL, d, n, out->media_type, err) < 0)
        return -1;
    snprintf(out->digest, sizeof(out->digest), "%s", digest);
    out->size = n;
    if (len)
        *len = n;
    if (data)
        *data = steal_ptr(d);
    return 0;
}
