/* Reading OCI layouts: index.json, picking the descriptor a reference names, and importing an
 * image (one platform) or a whole graph (to push it) into the store, every blob verified. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "layout.h"
#include "util.h"
#include "walk.h"

void layout_split_ref(const char *spec, char **dir, char **ref)
{
    const char *at = strstr(spec, "@sha256:");
    const char *colon = strrchr(spec, ':'), *slash = strrchr(spec, '/');
    if (at) {
        *dir = xstrndup(spec, (size_t)(at - spec));
        *ref = xstrdup(at + 1);
    } else if (colon && (!slash || colon > slash) && colon[1]) {
        *dir = xstrndup(spec, (size_t)(colon - spec));
        *ref = xstrdup(colon + 1);
    } else {
        *dir = xstrdup(spec);
        *ref = NULL;
    }
}

int layout_open(const char *dir, int *dirfd, json_t **index, kiln_error_t **err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s'", dir);
    cleanup_close int jfd = open_in_root(fd, "index.json", O_RDONLY | O_NOFOLLOW, 0);
    cleanup_free char *data = NULL;
    size_t len;
    json_t *j = NULL;
    if (jfd < 0)
        kiln_err_errno(err, KILN_EINPUT, "layout '%s': index.json", dir);
    else if (read_fd_limited(jfd, STORE_MAX_JSON, &data, &len, err) < 0)
        kiln_err_wrap(err, "layout '%s': index.json", dir);
    else if (!(j = json_parse_object(data, len, STORE_MAX_JSON, "index.json", err)))
        kiln_err_wrap(err, "layout '%s'", dir);
    if (!j) {
        close(fd);
        return -1;
    }
    *dirfd = fd;
    *index = j;
    return 0;
}

static bool desc_matches(json_t *d, const char *ref)
{
    if (!ref)
        return true;
    if (str_has_prefix(ref, "sha256:"))
        return !strcmp(json_string_value(json_object_get(d, "digest")) ?: "", ref);
    json_t *ann = json_object_get(d, "annotations");
    const char *name = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
    return name && !strcmp(name, ref);
}

int layout_pick(json_t *index, const char *dir, const char *ref, struct oci_desc *out,
                kiln_error_t **err)
{
    json_t *ms = json_object_get(index, "manifests");
    if (!json_is_array(ms))
        return kiln_err(err, KILN_ECORRUPT, 0, "layout '%s': index.json has no manifests", dir);
    size_t i, found = 0;
    json_t *d;
    json_array_foreach(ms, i, d)
    {
        struct oci_desc cand;
        if (!desc_matches(d, ref))
            continue;
        if (desc_parse(d, "index.json", &cand, err) < 0)
            return kiln_err_wrap(err, "layout '%s'", dir);
        /* the same image under several names is one image */
        if (found++ && strcmp(cand.digest, out->digest) && !ref)
            return kiln_err(err, KILN_EINPUT, 0,
                            "layout '%s' holds several images: name one with :TAG or "
                            "@sha256:...",
                            dir);
        *out = cand;
    }
    if (found == 0)
        return kiln_err(err, KILN_EINPUT, 0, "layout '%s': no image named '%s'", dir,
                        ref ? ref : "");
    return 0;
}

int layout_import_blob(struct store *s, int dirfd, const char *dir, const struct oci_desc *d,
                       kiln_error_t **err)
{
    if (store_has_blob(s, d->digest))
        return 0;
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(d->digest));
    cleanup_close int fd = open_in_root(dirfd, rel, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s': blob %s", dir, d->digest);
    if (store_import_fd(s, fd, d->digest, d->size, err) < 0)
        return kiln_err_wrap(err, "layout '%s'", dir);
    return 0;
}

static bool platform_matches(json_t *d, const char *os, const char *arch)
{
    json_t *p = json_object_get(d, "platform");
    const char *o = json_string_value(json_object_get(p, "os"));
    const char *a = json_string_value(json_object_get(p, "architecture"));
    return o && a && !strcmp(o, os) && !strcmp(a, arch);
}

/* Resolves an index of the layout to the manifest for os/arch. */
static int pick_platform(struct store *s, int dirfd, const char *dir, struct oci_desc *d,
                         const char *os, const char *arch, int depth, kiln_error_t **err)
{
    if (depth > 4)
        return kiln_err(err, KILN_ECORRUPT, 0, "layout '%s': indexes nested too deep", dir);
    cleanup_free char *data = NULL;
    size_t len;
    if (layout_import_blob(s, dirfd, dir, d, err) < 0 ||
        store_read_blob(s, d->digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    cleanup_json json_t *idx = json_parse_object(data, len, STORE_MAX_JSON, "image index", err);
    if (!idx)
        return kiln_err_wrap(err, "layout '%s'", dir);
    size_t i;
    json_t *m;
    int rc =
        kiln_err(err, KILN_EINPUT, 0, "layout '%s': no image for platform %s/%s", dir, os, arch);
    json_array_foreach(json_object_get(idx, "manifests"), i, m)
    {
        struct oci_desc md;
        if (!platform_matches(m, os, arch) || desc_parse(m, "index", &md, NULL) < 0)
            continue;
        kiln_error_free(*err);
        *err = NULL;
        *d = md;
        rc = oci_is_index_type(md.media_type)
                 ? pick_platform(s, dirfd, dir, d, os, arch, depth + 1, err)
                 : 0;
        break;
    }
    return rc;
}

struct import_ctx {
    struct store *s;
    int dirfd;
    const char *dir;
};

static int import_visit(void *ctx, const struct oci_desc *d, kiln_error_t **err)
{
    struct import_ctx *c = ctx;
    return layout_import_blob(c->s, c->dirfd, c->dir, d, err);
}

/* Every blob under top into the store, each verified before its children are read. */
static int import_graph(struct store *s, int dirfd, const char *dir, const struct oci_desc *top,
                        kiln_error_t **err)
{
    struct import_ctx c = {s, dirfd, dir};
    struct oci_walk w = {.max_blobs = LAYOUT_MAX_BLOBS,
                         .max_depth = OCI_WALK_MAX_DEPTH,
                         .visit = import_visit,
                         .ctx = &c};
    return oci_walk(s, top, &w, err);
}

static int check_version(int dirfd, const char *dir, kiln_error_t **err)
{
    cleanup_close int fd = open_in_root(dirfd, "oci-layout", O_RDONLY | O_NOFOLLOW, 0);
    cleanup_free char *data = NULL;
    size_t len;
    if (fd < 0 || read_fd_limited(fd, LAYOUT_MAX_SMALL_FILE, &data, &len, err) < 0)
        return kiln_err(err, KILN_EINPUT, 0, "layout '%s': no readable oci-layout file", dir);
    cleanup_json json_t *j = json_parse_object(data, len, LAYOUT_MAX_SMALL_FILE, "oci-layout", err);
    const char *ver = json_string_value(json_object_get(j, "imageLayoutVersion"));
    bool ok = ver && !strcmp(ver, "1.0.0");
    return ok ? 0
              : kiln_err(err, KILN_EINPUT, 0, "layout '%s': unsupported imageLayoutVersion", dir);
}

int layout_import(struct store *s, const char *dir, const char *ref, const char *os,
                  const char *arch, char manifest_digest[DIGEST_STR_LEN + 1], kiln_error_t **err)
{
    int dirfd;
    cleanup_json json_t *index = NULL;
    if (layout_open(dir, &dirfd, &index, err) < 0)
        return -1;
    struct oci_desc d;
    int rc = check_version(dirfd, dir, err);
    if (rc == 0)
        rc = layout_pick(index, dir, ref, &d, err);
    if (rc == 0 && oci_is_index_type(d.media_type))
        rc = pick_platform(s, dirfd, dir, &d, os, arch, 0, err);
    if (rc == 0 && !oci_is_manifest_type(d.media_type))
        rc = kiln_err(err, KILN_EUNSUPPORTED, 0, "layout '%s': '%s' is not an image manifest", dir,
                      d.media_type);
    if (rc == 0 && import_graph(s, dirfd, dir, &d, err) < 0)
        rc = kiln_err_wrap(err, "layout '%s'", dir);
    close(dirfd);
    if (rc == 0)
        memcpy(manifest_digest, d.digest, DIGEST_STR_LEN + 1);
    return rc;
}

int layout_import_all(struct store *s, const char *dir, const char *ref, struct oci_desc *top,
                      kiln_error_t **err)
{
    int dirfd;
    cleanup_json json_t *index = NULL;
    if (layout_open(dir, &dirfd, &index, err) < 0)
        return -1;
    int rc = layout_pick(index, dir, ref, top, err);
    if (rc == 0 && import_graph(s, dirfd, dir, top, err) < 0)
        rc = kiln_err_wrap(err, "layout '%s'", dir);
    close(dirfd);
    return rc;
}
