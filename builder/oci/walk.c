#include <string.h>

#include "json.h"
#include "strset.h"
#include "util.h"
#include "walk.h"

struct walker {
    struct store *s;
    const struct oci_walk *w;
    struct strset seen;
};

bool oci_is_index_type(const char *mt)
{
    return !strcmp(mt, MEDIA_TYPE_OCI_INDEX) || !strcmp(mt, MEDIA_TYPE_DOCKER_LIST);
}

bool oci_is_manifest_type(const char *mt)
{
    return !strcmp(mt, MEDIA_TYPE_OCI_MANIFEST) || !strcmp(mt, MEDIA_TYPE_DOCKER_MANIFEST);
}

static int walk_desc(struct walker *w, const struct oci_desc *d, int depth, kiln_error_t **err);

static int walk_one(struct walker *w, json_t *j, const char *what, int depth, kiln_error_t **err)
{
    struct oci_desc d;
    if (desc_parse(j, what, &d, err) < 0)
        return -1;
    return walk_desc(w, &d, depth + 1, err);
}

static int walk_array(struct walker *w, json_t *arr, const char *what, int depth,
                      kiln_error_t **err)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (walk_one(w, e, what, depth, err) < 0) return -1;
    return 0;
}

static int walk_children(struct walker *w, const struct oci_desc *d, json_t *doc, int depth,
                         kiln_error_t **err)
{
    if (oci_is_index_type(d->media_type))
        return walk_array(w, json_object_get(doc, "manifests"), "index", depth, err);
    json_t *cfg = json_object_get(doc, "config");
    if (!cfg)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifest %s has no config", d->digest);
    if (walk_one(w, cfg, "manifest config", depth, err) < 0)
        return -1;
    return walk_array(w, json_object_get(doc, "layers"), "manifest layer", depth, err);
}

static int walk_manifest(struct walker *w, const struct oci_desc *d, int depth, kiln_error_t **err)
{
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(w->s, d->digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    cleanup_json json_t *doc = json_parse_object(data, len, STORE_MAX_JSON, d->media_type, err);
    if (!doc || walk_children(w, d, doc, depth, err) < 0)
        return -1;
    return w->w->after ? w->w->after(w->w->ctx, d, data, len, doc, err) : 0;
}

static int walk_desc(struct walker *w, const struct oci_desc *d, int depth, kiln_error_t **err)
{
    if (depth > w->w->max_depth)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifests nested too deep");
    if (!strset_add(&w->seen, d->digest))
        return 0;
    if (w->seen.n > w->w->max_blobs)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %zu blobs", w->w->max_blobs);
    if (w->w->visit && w->w->visit(w->w->ctx, d, err) < 0)
        return -1;
    if (!oci_is_index_type(d->media_type) && !oci_is_manifest_type(d->media_type))
        return 0;
    return walk_manifest(w, d, depth, err);
}

int oci_walk(struct store *s, const struct oci_desc *top, const struct oci_walk *w,
             kiln_error_t **err)
{
    struct walker k = {.s = s, .w = w};
    int rc = walk_desc(&k, top, 0, err);
    strset_release(&k.seen);
    return rc;
}
