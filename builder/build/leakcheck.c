/* The leak check before any output: every layer this build made, the config and the
 * attestations are scanned for the secrets of the build (builder/scan/leakscan.h). A hit
 * fails the build with KILN_ELEAK and drops the layers of the build from the store. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "build.h"
#include "snapshot/snapshotter.h"
#include "util.h"

#define LEAKCHECK_CHUNK (256u * 1024)

static bool scanning(struct build *b)
{
    return b->secrets && !leakscan_empty(b->secrets->scan);
}

static const char *secret_id(struct build *b, int i)
{
    return i >= 0 && (size_t)i < b->secrets->n ? b->secrets->v[i].id : "?";
}

static void to_buf(void *ctx, const char *data, size_t len)
{
    buf_add(ctx, data, len, NULL);
}

/* s with every secret in it masked: a path named after a secret must not print it. */
static char *masked(struct build *b, const char *s)
{
    struct buf out = BUF_INIT(4 * LEAKSCAN_MAX_PATH);
    struct leakscan_masker *m = leakscan_masker_new(b->secrets->scan, to_buf, &out);
    leakscan_masker_feed(m, s, strlen(s));
    leakscan_masker_flush(m);
    leakscan_masker_free(m);
    return buf_detach(&out);
}

int build_scan_blob(struct build *b, const char *what, const void *p, size_t n, kiln_error_t **err)
{
    if (!scanning(b))
        return 0;
    int found = leakscan_buffer(b->secrets->scan, p, n);
    if (found >= 0)
        return kiln_err(err, KILN_ELEAK, 0, "secret '%s' found in %s", secret_id(b, found), what);
    return 0;
}

int build_scan_stored(struct build *b, const char *what, const char *digest, kiln_error_t **err)
{
    if (!scanning(b))
        return 0;
    cleanup_close int fd = store_open_blob(b->store, digest, err);
    if (fd < 0)
        return -1;
    struct leakscan_stream *s = leakscan_stream_new(b->secrets->scan);
    char *buf = xmalloc(LEAKCHECK_CHUNK);
    int found = -1;
    ssize_t n;
    while (found < 0 && ((n = read(fd, buf, LEAKCHECK_CHUNK)) > 0 || (n < 0 && errno == EINTR)))
        found = n > 0 ? leakscan_feed(s, buf, (size_t)n) : -1;
    int rc = n < 0 ? kiln_err_errno(err, KILN_EIO, "leak scan: read %s", digest) : 0;
    free(buf);
    leakscan_stream_free(s);
    if (rc == 0 && found >= 0)
        rc = kiln_err(err, KILN_ELEAK, 0, "secret '%s' found in %s", secret_id(b, found), what);
    return rc;
}

int build_scan_layer(struct build *b, size_t index, const char *digest, kiln_error_t **err)
{
    if (!scanning(b))
        return 0;
    cleanup_close int fd = store_open_blob(b->store, digest, err);
    if (fd < 0)
        return -1;
    struct leakscan_hit *hit = xmalloc(sizeof(*hit));
    int rc = leakscan_tar_fd(b->secrets->scan, fd, hit, err);
    if (rc < 0)
        kiln_err_wrap(err, "leak scan of layer %zu (%s)", index, digest);
    else if (rc > 0) {
        cleanup_free char *path = masked(b, hit->path);
        rc = kiln_err(err, KILN_ELEAK, 0, "secret '%s' found in layer %zu (path %s)",
                      secret_id(b, hit->secret), index, path);
    }
    free(hit);
    return rc < 0 ? -1 : 0;
}

int build_scan_cache_export(struct build *b, kiln_error_t **err)
{
    if (!scanning(b) || !b->o->cache_to)
        return 0;
    struct leakscan_hit *hit = xmalloc(sizeof(*hit));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->nnew_layers; i++) {
        const char *d = b->new_layers[i];
        bool again = false;
        for (size_t k = 0; k < i && !again; k++)
            again = !strcmp(b->new_layers[k], d);
        cleanup_close int fd = again ? -1 : store_open_blob(b->store, d, err);
        if (!again && fd < 0)
            rc = -1;
        else if (!again)
            rc = leakscan_tar_fd(b->secrets->scan, fd, hit, err);
    }
    if (rc > 0) {
        cleanup_free char *path = masked(b, hit->path);
        rc = kiln_err(err, KILN_ELEAK, 0,
                      "secret '%s' found in a layer of the build cache for --cache-to (path %s)",
                      secret_id(b, hit->secret), path);
    }
    free(hit);
    return rc < 0 ? -1 : 0;
}

static bool made_here(struct build *b, const char *digest)
{
    for (size_t i = 0; i < b->nnew_layers; i++)
        if (!strcmp(b->new_layers[i], digest))
            return true;
    return false;
}

int build_scan_image(struct build *b, struct build_stage *final, json_t *annotations,
                     kiln_error_t **err)
{
    if (!scanning(b))
        return 0;
    const struct image *img = final->img;
    for (size_t i = 0; i < img->nlayers; i++)
        if (made_here(b, img->layers[i].digest) &&
            build_scan_layer(b, i + 1, img->layers[i].digest, err) < 0)
            return -1;
    cleanup_free char *cfg = json_dump_stable(img->config);
    if (build_scan_blob(b, "the image config", cfg, strlen(cfg), err) < 0)
        return -1;
    cleanup_free char *ann = annotations ? json_dump_stable(annotations) : NULL;
    return ann ? build_scan_blob(b, "the manifest annotations", ann, strlen(ann), err) : 0;
}

static json_t *read_json(struct build *b, const char *digest, const char *what, kiln_error_t **err)
{
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(b->store, digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return NULL;
    return json_parse_doc(data, len, what, err);
}

/* The in-toto statements of one attestation manifest; the blobs of a leaking attestation
 * (statements, manifest) are removed from the store. */
static int scan_attestation(struct build *b, const char *digest, kiln_error_t **err)
{
    json_t *m = read_json(b, digest, "attestation manifest", err);
    if (!m)
        return -1;
    size_t i;
    json_t *l;
    int rc = 0;
    json_array_foreach(json_object_get(m, "layers"), i, l)
    {
        const char *d = json_string_value(json_object_get(l, "digest"));
        const char *type = json_string_value(
            json_object_get(json_object_get(l, "annotations"), "in-toto.io/predicate-type"));
        cleanup_free char *what = xasprintf("the attestation %s", type ? type : "");
        if (rc == 0 && d && digest_valid(d))
            rc = build_scan_stored(b, what, d, err);
    }
    if (rc < 0) {
        json_array_foreach(json_object_get(m, "layers"), i, l)
        {
            const char *d = json_string_value(json_object_get(l, "digest"));
            if (d)
                store_remove_blob(b->store, d);
        }
        store_remove_blob(b->store, digest);
    }
    json_decref(m);
    return rc;
}

int build_scan_attestations(struct build *b, const struct oci_desc *top, kiln_error_t **err)
{
    if (!scanning(b) || strcmp(top->media_type, MEDIA_TYPE_OCI_INDEX) != 0)
        return 0;
    json_t *idx = read_json(b, top->digest, "image index", err);
    if (!idx)
        return -1;
    size_t i;
    json_t *e;
    int rc = 0;
    json_array_foreach(json_object_get(idx, "manifests"), i, e)
    {
        const char *ref = json_string_value(
            json_object_get(json_object_get(e, "annotations"), "vnd.docker.reference.type"));
        const char *d = json_string_value(json_object_get(e, "digest"));
        if (rc == 0 && ref && !strcmp(ref, "attestation-manifest") && d && digest_valid(d))
            rc = scan_attestation(b, d, err);
    }
    json_decref(idx);
    if (rc < 0)
        store_remove_blob(b->store, top->digest);
    return rc;
}

/* The snapshot directories of the layers being dropped: their files hold what leaked. */
static void drop_snapshots(struct build *b, const char *digest)
{
    for (size_t s = 0; s < b->nstages; s++) {
        const struct image *img = b->stages[s].img;
        for (size_t i = 0; img && i < img->nlayers; i++) {
            if (strcmp(img->layers[i].digest, digest) != 0)
                continue;
            kiln_error_t *e = NULL;
            if (snapshot_remove(b->store, digest_hex(img->layers[i].diff_id), &e) < 0)
                kiln_error_free(e);
            return;
        }
    }
}

void build_drop_layers(struct build *b)
{
    for (size_t i = 0; i < b->nnew_layers; i++) {
        drop_snapshots(b, b->new_layers[i]);
        store_remove_blob(b->store, b->new_layers[i]);
    }
}
