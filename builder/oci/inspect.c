#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "inspect.h"
#include "json.h"
#include "layout.h"
#include "util.h"

#define INSPECT_MAX_STATEMENT (64u * 1024 * 1024)

/* Reads a blob of the layout, checking its digest and size. */
static json_t *read_blob(int dirfd, const char *dir, const struct oci_desc *d, size_t max,
                         kiln_error_t **err)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(d->digest));
    cleanup_close int fd = open_in_root(dirfd, rel, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0) {
        kiln_err_errno(err, KILN_EINPUT, "layout '%s': blob %s", dir, d->digest);
        return NULL;
    }
    cleanup_free char *data = NULL;
    size_t len;
    if (read_fd_limited(fd, max, &data, &len, err) < 0)
        return kiln_err_wrap(err, "layout '%s': blob %s", dir, d->digest), NULL;
    char got[DIGEST_STR_LEN + 1];
    sha256_buf(data, len, got);
    if (strcmp(got, d->digest) || len != d->size) {
        kiln_err(err, KILN_ECORRUPT, 0, "layout '%s': blob %s does not match its digest", dir,
                 d->digest);
        return NULL;
    }
    return json_parse_object(data, len, max, d->media_type, err);
}

static int read_attestations(int dirfd, const char *dir, json_t *att_manifest,
                             struct inspect_result *r, kiln_error_t **err)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(att_manifest, "layers"), i, l)
    {
        struct oci_desc d;
        if (desc_parse(l, "attestation", &d, err) < 0)
            return -1;
        json_t *st = read_blob(dirfd, dir, &d, INSPECT_MAX_STATEMENT, err);
        if (!st)
            return -1;
        json_array_append_new(r->attestations, st);
    }
    return 0;
}

/* A nested index: the image manifest (first non-attestation) and its attestations. */
static int walk_index(int dirfd, const char *dir, json_t *idx, struct inspect_result *r,
                      struct oci_desc *image, kiln_error_t **err)
{
    size_t i;
    json_t *m;
    bool have = false;
    json_array_foreach(json_object_get(idx, "manifests"), i, m)
    {
        struct oci_desc d;
        if (desc_parse(m, "index", &d, err) < 0)
            return -1;
        const char *type = json_string_value(
            json_object_get(json_object_get(m, "annotations"), "vnd.docker.reference.type"));
        if (!type && !have) {
            *image = d;
            have = true;
        } else if (type && !strcmp(type, "attestation-manifest")) {
            cleanup_json json_t *am = read_blob(dirfd, dir, &d, STORE_MAX_JSON, err);
            if (!am || read_attestations(dirfd, dir, am, r, err) < 0)
                return -1;
        }
    }
    return have ? 0 : kiln_err(err, KILN_EINPUT, 0, "layout '%s': the index holds no image", dir);
}

int layout_inspect(const char *dir, const char *ref, struct inspect_result *r, kiln_error_t **err)
{
    memset(r, 0, sizeof(*r));
    r->attestations = json_array();
    int fd;
    cleanup_json json_t *index = NULL;
    struct oci_desc d;
    if (layout_open(dir, &fd, &index, err) < 0)
        return -1;
    cleanup_close int dirfd = fd;
    if (layout_pick(index, dir, ref, &d, err) < 0)
        return -1;
    if (strstr(d.media_type, "index")) {
        memcpy(r->index_digest, d.digest, sizeof(d.digest));
        cleanup_json json_t *idx = read_blob(dirfd, dir, &d, STORE_MAX_JSON, err);
        if (!idx || walk_index(dirfd, dir, idx, r, &d, err) < 0)
            return -1;
    }
    memcpy(r->manifest_digest, d.digest, sizeof(d.digest));
    if (!(r->manifest = read_blob(dirfd, dir, &d, STORE_MAX_JSON, err)))
        return -1;
    struct oci_desc cd;
    if (desc_parse(json_object_get(r->manifest, "config"), "manifest", &cd, err) < 0)
        return -1;
    r->config = read_blob(dirfd, dir, &cd, STORE_MAX_JSON, err);
    return r->config ? 0 : -1;
}

void inspect_result_release(struct inspect_result *r)
{
    json_decref(r->manifest);
    json_decref(r->config);
    json_decref(r->attestations);
    memset(r, 0, sizeof(*r));
}
