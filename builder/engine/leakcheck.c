/* The leak check (builder/scan/leakscan.h): the layers of every stage as they are committed
 * (written by a step, or taken from the cache), then the config and the attestations before
 * any output. A hit fails the build with KILN_ELEAK; a leaking layer never reaches the store
 * (a cached one is removed from it), and a leak found at export drops the build's layers. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cache/stepcache.h"
#include "build.h"
#include "layer/toc.h"
#include "json.h"
#include "snapshot/snapshotter.h"
#include "util.h"

#define LEAKCHECK_CHUNK (256u * 1024)

static bool scanning(struct build *b)
{
    return b->leak.secrets && !leakscan_empty(b->leak.secrets->scan);
}

static const char *secret_id(struct build *b, int i)
{
    return i >= 0 && (size_t)i < b->leak.secrets->n ? b->leak.secrets->v[i].id : "?";
}

/* Every secret is read before anything runs: a missing one fails the build at once. */
int leakcheck_load(struct build *b, kiln_error_t **err)
{
    if (secrets_load(b->o->secrets, b->o->nsecrets, &b->leak.secrets, err) < 0)
        return -1;
    for (size_t i = 0; i < b->leak.secrets->n; i++)
        if (leakscan_skipped(b->leak.secrets->scan, i))
            step_log(b, KILN_LOG_WARN,
                     "secret '%s' is shorter than %d bytes: it is not scanned for leaks",
                     b->leak.secrets->v[i].id, LEAKSCAN_MIN_SECRET);
    return 0;
}

int leakcheck_blob(struct build *b, const char *what, const void *p, size_t n, kiln_error_t **err)
{
    if (!scanning(b))
        return 0;
    int found = leakscan_buffer(b->leak.secrets->scan, p, n);
    if (found >= 0)
        return kiln_err(err, KILN_ELEAK, 0, "secret '%s' found in %s", secret_id(b, found), what);
    return 0;
}

int leakcheck_stored(struct build *b, const char *what, const char *digest, kiln_error_t **err)
{
    if (!scanning(b))
        return 0;
    cleanup_close int fd = store_open_blob(b->store, digest, err);
    if (fd < 0)
        return -1;
    struct leakscan_stream *s = leakscan_stream_new(b->leak.secrets->scan);
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

void leakcheck_note_layer(struct build *b, const char *digest)
{
    pthread_mutex_lock(&b->lock);
    strv_push(&b->leak.new_layers, &b->leak.nnew_layers, xstrdup(digest));
    pthread_mutex_unlock(&b->lock);
}

const struct leakscan *leakcheck_scanner(struct build *b)
{
    return scanning(b) ? b->leak.secrets->scan : NULL;
}

/* Drops a cached layer that leaks: the blob, the snapshot of its diff_id, the record. */
static void drop_cached(struct build *b, const char *key, const struct step_record *r)
{
    kiln_error_t *e = NULL;
    if (snapshot_remove(b->store, digest_hex(r->diff_id), &e) < 0)
        kiln_error_free(e);
    store_remove_blob(b->store, r->digest);
    stepcache_remove(b->store, key);
}

/* Whether digest was scanned in this build already (and marks it). */
static bool seen_before(struct build *b, const char *digest)
{
    pthread_mutex_lock(&b->lock);
    bool seen = !strset_add(&b->leak.scanned, digest);
    pthread_mutex_unlock(&b->lock);
    return seen;
}

int leakcheck_cached(struct build *b, struct build_stage *st, const char *key,
                     const struct step_record *r, kiln_error_t **err)
{
    if (!scanning(b) || !strcmp(r->media_type, RUN_EMPTY_LAYER) || seen_before(b, r->digest))
        return 0;
    cleanup_close int fd = store_open_blob(b->store, r->digest, err);
    if (fd < 0)
        return -1;
    struct leakscan_hit *hit = xmalloc(sizeof(*hit));
    int rc = leakscan_tar_fd(b->leak.secrets->scan, fd, hit, err);
    if (rc < 0)
        kiln_err_wrap(err, "leak scan of the cached layer %s", r->digest);
    if (rc > 0) {
        cleanup_free char *where = xasprintf("layer %zu", st->img->nlayers + 1);
        leakscan_hit_error(b->leak.secrets->scan, hit, where, err);
        kiln_err_wrap(err, "step cache");
        drop_cached(b, key, r);
    }
    free(hit);
    return rc != 0 ? -1 : 0;
}

int leakcheck_image(struct build *b, struct build_stage *final, json_t *annotations,
                    kiln_error_t **err)
{
    if (!scanning(b))
        return 0;
    /* its layers were scanned when their steps committed them (or took them from the cache) */
    cleanup_free char *cfg = json_dump_stable(final->img->config);
    if (leakcheck_blob(b, "the image config", cfg, strlen(cfg), err) < 0)
        return -1;
    cleanup_free char *ann = annotations ? json_dump_stable(annotations) : NULL;
    return ann ? leakcheck_blob(b, "the manifest annotations", ann, strlen(ann), err) : 0;
}

static json_t *read_json(struct build *b, const char *digest, const char *what, kiln_error_t **err)
{
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(b->store, digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return NULL;
    return json_parse_object(data, len, STORE_MAX_JSON, what, err);
}

/* The in-toto statements of one attestation manifest; the blobs of a leaking attestation
 * (statements, manifest) are removed from the store. */
static int scan_attestation(struct build *b, const char *digest, kiln_error_t **err)
{
    cleanup_json json_t *m = read_json(b, digest, "attestation manifest", err);
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
            rc = leakcheck_stored(b, what, d, err);
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
    return rc;
}

int leakcheck_attestations(struct build *b, const struct oci_desc *top, kiln_error_t **err)
{
    if (!scanning(b) || strcmp(top->media_type, MEDIA_TYPE_OCI_INDEX) != 0)
        return 0;
    cleanup_json json_t *idx = read_json(b, top->digest, "image index", err);
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
    if (rc < 0)
        store_remove_blob(b->store, top->digest);
    return rc;
}

/* The snapshot directories of the layers being dropped: their files hold what leaked. */
static void drop_snapshots(struct build *b, const char *digest)
{
    for (size_t s = 0; s < b->sched.nstages; s++) {
        const struct image *img = b->sched.stages[s].img;
        for (size_t i = 0; img && i < img->nlayers; i++) {
            if (strcmp(img->layers[i].digest, digest) != 0)
                continue;
            kiln_error_t *e = NULL;
            if (snapshot_remove(b->store, digest_hex(img->layers[i].diff_id), &e) < 0)
                kiln_error_free(e);
            toc_remove(b->store, img->layers[i].diff_id); /* its names may hold it too */
            return;
        }
    }
}

void leakcheck_drop_layers(struct build *b)
{
    for (size_t i = 0; i < b->leak.nnew_layers; i++) {
        drop_snapshots(b, b->leak.new_layers[i]);
        store_remove_blob(b->store, b->leak.new_layers[i]);
    }
}

void leakcheck_release(struct build_leak *l)
{
    strv_free(l->new_layers);
    strset_release(&l->scanned);
    secrets_free(l->secrets);
}
