/* The build result: commit the final image to the store and write the requested output. */
#include <string.h>

#include "build.h"
#include "oci/layout.h"
#include "oci/reference.h"
#include "registry/registry.h"
#include "util.h"

static void apply_labels(struct build *b, struct image *img)
{
    if (!b->o->nlabels)
        return;
    json_t *cfg = image_cfg(img);
    json_t *labels = json_object_get(cfg, "Labels");
    if (!json_is_object(labels)) {
        labels = json_object();
        json_object_set_new(cfg, "Labels", labels);
    }
    for (size_t i = 0; i < b->o->nlabels; i++)
        json_object_set_new(labels, b->o->labels[i].key,
                            json_string(b->o->labels[i].value ? b->o->labels[i].value : ""));
}

static json_t *kv_object(const struct kiln_kv *kv, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, kv[i].key, json_string(kv[i].value ? kv[i].value : ""));
    return o;
}

/* One annotation set per -t: the full name and, as BuildKit writes it, the tag as ref.name. */
static int name_annotations(struct build *b, json_t **out, kiln_error_t **err)
{
    json_t *names = json_array();
    for (size_t i = 0; i < b->o->ntags; i++) {
        struct reference r;
        if (reference_parse(b->o->tags[i], &r, err) < 0) {
            json_decref(names);
            return kiln_err_wrap(err, "-t");
        }
        cleanup_free char *full = reference_string(&r);
        json_array_append_new(names, json_pack("{s:s,s:s}", "io.containerd.image.name", full,
                                               "org.opencontainers.image.ref.name",
                                               r.tag ? r.tag : "latest"));
        reference_release(&r);
    }
    *out = names;
    return 0;
}

/* Pushes top to --output type=registry,name=... (else to every -t name); the base images'
 * repositories are offered for cross-repository mounts of their layers. */
static int export_push(struct build *b, const struct oci_desc *top, kiln_error_t **err)
{
    char *const *names = b->o->output.name ? &b->o->output.name : b->o->tags;
    size_t nnames = b->o->output.name ? 1 : b->o->ntags;
    const char **from = xcalloc(b->nstages + nnames + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < b->nstages; i++)
        if (b->stages[i].base_ref)
            from[n++] = b->stages[i].base_ref;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nnames; i++) {
        struct registry_push_req req = {
            .top = top, .ref = names[i], .mount_from = from, .nmount_from = n};
        struct registry_push_result res;
        rc = registry_push(b->store, NULL, &req, &res, err);
        if (rc == 0)
            build_log(b, KILN_LOG_INFO, "pushed %s (%zu blobs uploaded, %zu mounted, %zu present)",
                      names[i], res.blobs_uploaded, res.blobs_mounted, res.blobs_present);
        from[n++] = names[i]; /* the next names mount from this one */
    }
    free(from);
    return rc;
}

int export_image(struct build *b, struct build_stage *final, struct kiln_build_result *res,
                 kiln_error_t **err)
{
    apply_labels(b, final->img);
    json_t *ann = kv_object(b->o->annotations, b->o->nannotations);
    if (b->o->allow_root_user)
        json_object_set_new(ann, POLICY_ANNOTATION, json_string("true"));
    if (build_scan_image(b, final, ann, err) < 0) { /* before anything is written */
        json_decref(ann);
        build_drop_layers(b);
        return -1;
    }
    struct oci_desc manifest;
    int rc = image_commit(b->store, final->img, b->epoch, ann, &manifest, NULL, err);
    json_decref(ann);
    if (rc < 0)
        return -1;
    memcpy(res->manifest_digest, manifest.digest, sizeof(manifest.digest));
    res->nlayers = final->img->nlayers;
    struct oci_desc top;
    if (attestations_attach(b, final, &manifest, &top, err) < 0) {
        if ((*err)->code == KILN_ELEAK) /* in an SBOM document */
            build_drop_layers(b);
        return -1;
    }
    if (build_scan_attestations(b, &top, err) < 0) { /* still nothing written */
        build_drop_layers(b);
        return -1;
    }
    if (strcmp(top.digest, manifest.digest))
        memcpy(res->index_digest, top.digest, sizeof(top.digest));
    const struct kiln_output *out = &b->o->output;
    if (out->type == KILN_OUTPUT_NONE)
        return 0;
    if (out->type == KILN_OUTPUT_REGISTRY)
        return export_push(b, &top, err);
    if (out->type != KILN_OUTPUT_OCI)
        return kiln_err(err, KILN_EUNSUPPORTED, 0, "this output type is not supported yet");
    json_t *names = NULL;
    if (name_annotations(b, &names, err) < 0)
        return -1;
    rc = layout_write(b->store, out->dest, out->tar, &top, names, b->epoch, b->hashes, err);
    json_decref(names);
    return rc;
}
