/* Importing a whole OCI layout graph (an index with all its manifests, or one image) into the
 * store, for pushing it. layout_import() in oci/ resolves one platform; a push wants it all. */
#include <fcntl.h>
#include <string.h>

#include "fsutil.h"
#include "registry_client.h"
#include "strset.h"
#include "util.h"

#define LAYOUT_MAX_DEPTH 4

struct walk {
    struct store *s;
    int dirfd;
    const char *dir;
    struct strset seen;
};

static int import_one(struct walk *w, const struct oci_desc *d, kiln_error_t **err)
{
    if (store_has_blob(w->s, d->digest))
        return 0;
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(d->digest));
    cleanup_close int fd = open_in_root(w->dirfd, rel, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s': blob %s", w->dir, d->digest);
    return store_import_fd(w->s, fd, d->digest, d->size, err);
}

static int walk_desc(struct walk *w, const struct oci_desc *d, int depth, kiln_error_t **err);

static int walk_array(struct walk *w, json_t *arr, int depth, kiln_error_t **err)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        struct oci_desc d;
        if (desc_parse(e, "descriptor", &d, err) < 0 || walk_desc(w, &d, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

static int walk_desc(struct walk *w, const struct oci_desc *d, int depth, kiln_error_t **err)
{
    if (depth > LAYOUT_MAX_DEPTH)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifests nested too deep");
    if (!strset_add(&w->seen, d->digest))
        return 0;
    if (w->seen.n > REGISTRY_MAX_BLOBS)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %d blobs", REGISTRY_MAX_BLOBS);
    if (import_one(w, d, err) < 0)
        return -1;
    bool idx = registry_manifest_is_index(d->media_type);
    if (!idx && strcmp(d->media_type, MEDIA_TYPE_OCI_MANIFEST) != 0 &&
        strcmp(d->media_type, MEDIA_TYPE_DOCKER_MANIFEST) != 0)
        return 0;
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(w->s, d->digest, REGISTRY_MAX_MANIFEST, &data, &len, err) < 0)
        return -1;
    json_t *m = json_parse_doc(data, len, "manifest", err);
    if (!m)
        return -1;
    int rc;
    if (idx) {
        rc = walk_array(w, json_object_get(m, "manifests"), depth, err);
    } else {
        json_t *cfg = json_pack("[O]", json_object_get(m, "config") ?: json_null());
        rc = walk_array(w, cfg, depth, err);
        json_decref(cfg);
        if (rc == 0)
            rc = walk_array(w, json_object_get(m, "layers"), depth, err);
    }
    json_decref(m);
    return rc;
}

static bool matches(json_t *d, const char *ref)
{
    if (!ref)
        return true;
    if (str_has_prefix(ref, "sha256:"))
        return !strcmp(json_string_value(json_object_get(d, "digest")) ?: "", ref);
    json_t *ann = json_object_get(d, "annotations");
    const char *n = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
    return n && !strcmp(n, ref);
}

static int pick_top(json_t *index, const char *dir, const char *ref, struct oci_desc *out,
                    kiln_error_t **err)
{
    size_t i, found = 0;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i, d)
    {
        struct oci_desc cand;
        if (!matches(d, ref))
            continue;
        if (desc_parse(d, "index.json", &cand, err) < 0)
            return kiln_err_wrap(err, "layout '%s'", dir);
        if (found && strcmp(cand.digest, out->digest) != 0 && !ref)
            return kiln_err(err, KILN_EINPUT, 0,
                            "layout '%s' holds several images: name one "
                            "with :TAG or @sha256:...",
                            dir);
        *out = cand;
        found++;
    }
    if (!found)
        return kiln_err(err, KILN_EINPUT, 0, "layout '%s': no image named '%s'", dir,
                        ref ? ref : "");
    return 0;
}

int registry_layout_import(struct store *s, const char *dir, const char *ref, struct oci_desc *top,
                           kiln_error_t **err)
{
    cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s'", dir);
    cleanup_close int fd = open_in_root(dirfd, "index.json", O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s': index.json", dir);
    cleanup_free char *data = NULL;
    size_t len;
    if (read_fd_limited(fd, REGISTRY_MAX_MANIFEST, &data, &len, err) < 0)
        return kiln_err_wrap(err, "layout '%s': index.json", dir);
    json_t *index = json_parse_doc(data, len, "index.json", err);
    if (!index)
        return kiln_err_wrap(err, "layout '%s'", dir);
    struct walk w = {.s = s, .dirfd = dirfd, .dir = dir};
    int rc = pick_top(index, dir, ref, top, err);
    json_decref(index);
    if (rc == 0 && walk_desc(&w, top, 0, err) < 0)
        rc = kiln_err_wrap(err, "layout '%s'", dir);
    strset_release(&w.seen);
    return rc;
}
