#include <string.h>

#include "strset.h"
#include "util.h"
#include "walk.h"

struct walker {
    struct store *s;
    size_t max;
    oci_visit_fn visit;
    void *ctx;
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

static int walk_array(struct walker *w, json_t *arr, int depth, kiln_error_t **err)
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

static int walk_children(struct walker *w, const struct oci_desc *d, int depth, kiln_error_t **err)
{
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(w->s, d->digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    json_t *j = json_parse_doc(data, len, d->media_type, err);
    if (!j)
        return -1;
    int rc;
    if (oci_is_index_type(d->media_type)) {
        rc = walk_array(w, json_object_get(j, "manifests"), depth, err);
    } else {
        json_t *cfg = json_object_get(j, "config");
        json_t *one = json_array();
        if (cfg)
            json_array_append(one, cfg);
        rc = cfg ? walk_array(w, one, depth, err)
                 : kiln_err(err, KILN_ECORRUPT, 0, "manifest %s has no config", d->digest);
        json_decref(one);
        if (rc == 0)
            rc = walk_array(w, json_object_get(j, "layers"), depth, err);
    }
    json_decref(j);
    return rc;
}

static int walk_desc(struct walker *w, const struct oci_desc *d, int depth, kiln_error_t **err)
{
    if (depth > OCI_WALK_MAX_DEPTH)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifests nested too deep");
    if (!strset_add(&w->seen, d->digest))
        return 0;
    if (w->seen.n > w->max)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %zu blobs", w->max);
    if (w->visit(w->ctx, d, err) < 0)
        return -1;
    if (!oci_is_index_type(d->media_type) && !oci_is_manifest_type(d->media_type))
        return 0;
    return walk_children(w, d, depth, err);
}

int oci_walk(struct store *s, const struct oci_desc *top, size_t max, oci_visit_fn visit, void *ctx,
             kiln_error_t **err)
{
    struct walker w = {.s = s, .max = max, .visit = visit, .ctx = ctx};
    int rc = walk_desc(&w, top, 0, err);
    strset_release(&w.seen);
    return rc;
}
