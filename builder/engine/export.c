/* The build result: commit the final image to the store and write the requested output. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "cache/stepcache.h"
#include "layer/recompress.h"
#include "cache/hashindex.h"
#include "export.h"
#include "json.h"
#include "policy.h"
#include "oci/layout.h"
#include "oci/reference.h"
#include "registry/registry.h"
#include "snapshot/unpack.h"
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

/* The image names of an OCI or docker output: name= (',' separated) or else the -t tags. */
static char **output_names(struct build *b, size_t *n)
{
    char **v = NULL;
    *n = 0;
    const char *name = b->o->output.name;
    if (!name) {
        for (size_t i = 0; i < b->o->ntags; i++)
            strv_push(&v, n, xstrdup(b->o->tags[i]));
        return v;
    }
    cleanup_free char *s = xstrdup(name);
    char *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save))
        strv_push(&v, n, xstrdup(t));
    return v;
}

/* One annotation set per name: the full name and, as BuildKit writes it, the tag as ref.name. */
static int name_annotations(char *const *tags, size_t ntags, json_t **out, kiln_error_t **err)
{
    cleanup_json json_t *names = json_array();
    for (size_t i = 0; i < ntags; i++) {
        struct reference r;
        if (reference_parse(tags[i], &r, err) < 0)
            return kiln_err_wrap(err, "image name '%s'", tags[i]);
        cleanup_free char *full = reference_string(&r);
        json_array_append_new(names, json_pack("{s:s,s:s}", "io.containerd.image.name", full,
                                               "org.opencontainers.image.ref.name",
                                               r.tag ? r.tag : "latest"));
        reference_release(&r);
    }
    *out = steal_ptr(names);
    return 0;
}

/* Docker's short form of a name, as docker save writes RepoTags: "app:1", "user/app:1",
 * "reg.example:5000/app:1". */
static char *familiar_name(const struct reference *r)
{
    const char *path = r->path;
    bool hub = !strcmp(r->domain, "docker.io");
    if (hub && str_has_prefix(path, "library/") && !strchr(path + 8, '/'))
        path += 8;
    return xasprintf("%s%s%s:%s", hub ? "" : r->domain, hub ? "" : "/", path,
                     r->tag ? r->tag : "latest");
}

/* The docker save format's manifest.json for one image (docker load, skopeo docker-archive:). */
static int docker_manifest(struct image *img, const struct oci_desc *config, char *const *names,
                           size_t nnames, char **out, kiln_error_t **err)
{
    cleanup_json json_t *tags = json_array();
    cleanup_json json_t *layers = json_array();
    for (size_t i = 0; i < nnames; i++) {
        struct reference r;
        if (reference_parse(names[i], &r, err) < 0)
            return kiln_err_wrap(err, "image name '%s'", names[i]);
        cleanup_free char *fam = r.tag ? familiar_name(&r) : NULL;
        if (fam)
            json_array_append_new(tags, json_string(fam));
        reference_release(&r);
    }
    for (size_t i = 0; i < img->nlayers; i++)
        json_array_append_new(layers,
                              json_sprintf("blobs/sha256/%s", digest_hex(img->layers[i].digest)));
    cleanup_json json_t *m =
        json_pack("[{s:s+,s:O,s:O}]", "Config", "blobs/sha256/", digest_hex(config->digest),
                  "RepoTags", tags, "Layers", layers);
    *out = json_dump_stable(m);
    return 0;
}

/* Pushes top to --output type=registry,name=... (else to every -t name); the base images'
 * repositories are offered for cross-repository mounts of their layers. */
static int export_push(struct build *b, const struct oci_desc *top, kiln_error_t **err)
{
    char *const *names = b->o->output.name ? &b->o->output.name : b->o->tags;
    size_t nnames = b->o->output.name ? 1 : b->o->ntags;
    const char **from = xcalloc(b->sched.nstages + nnames + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < b->sched.nstages; i++)
        if (b->sched.stages[i].base_ref)
            from[n++] = b->sched.stages[i].base_ref;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nnames; i++) {
        struct registry_push_req req = {
            .top = top, .ref = names[i], .mount_from = from, .nmount_from = n};
        struct registry_push_result res;
        rc = registry_push(b->store, NULL, &req, &res, err);
        if (rc == 0)
            step_log(b, KILN_LOG_INFO, "pushed %s (%zu blobs uploaded, %zu mounted, %zu present)",
                     names[i], res.blobs_uploaded, res.blobs_mounted, res.blobs_present);
        from[n++] = names[i]; /* the next names mount from this one */
    }
    free(from);
    return rc;
}

static void set_exported(struct kiln_build_result *res, const struct oci_desc *d)
{
    snprintf(res->exported_media_type, sizeof(res->exported_media_type), "%s", d->media_type);
    memcpy(res->exported_digest, d->digest, sizeof(d->digest));
    res->exported_size = d->size;
}

/* type=docker: the image alone (docker load reads one image manifest; the attestations stay in
 * kiln's store and --sbom-out), its manifest.json, and the OCI layout files as BuildKit's docker
 * exporter writes them. */
static int export_docker(struct build *b, struct build_stage *final,
                         const struct oci_desc *manifest, const struct oci_desc *config,
                         kiln_error_t **err)
{
    const struct kiln_output *out = &b->o->output;
    size_t nnames;
    cleanup_strv char **names = output_names(b, &nnames);
    cleanup_free char *dm = NULL;
    cleanup_json json_t *anns = NULL;
    if (docker_manifest(final->img, config, names, nnames, &dm, err) < 0 ||
        name_annotations(names, nnames, &anns, err) < 0)
        return -1;
    struct layout_blob_index known;
    hashindex_blob_index(b->hashes, &known);
    struct layout_write_opts o = {
        .tar = out->tar, .names = anns, .epoch = b->epoch, .known = &known, .docker_manifest = dm};
    return layout_write(b->store, out->dest, manifest, &o, err);
}

static int export_oci(struct build *b, const struct oci_desc *top, kiln_error_t **err)
{
    const struct kiln_output *out = &b->o->output;
    size_t nnames;
    cleanup_strv char **names = output_names(b, &nnames);
    cleanup_json json_t *anns = NULL;
    if (name_annotations(names, nnames, &anns, err) < 0)
        return -1;
    struct layout_blob_index known;
    hashindex_blob_index(b->hashes, &known);
    struct layout_write_opts o = {
        .tar = out->tar, .names = anns, .epoch = b->epoch, .known = &known};
    return layout_write(b->store, out->dest, top, &o, err);
}

/* force-compression=true: layers in another compression than the output's (base layers, as
 * BuildKit's force-compression) are converted; each conversion is remembered in the step cache
 * under the source blob, so it is done once. Without it, base layers keep their blobs. */
static int force_compression(struct build *b, struct image *img, kiln_error_t **err)
{
    enum layer_compression to = layer_compression_of(b->o->output.compression);
    const char *mt = layer_media_type(to);
    for (size_t i = 0; i < img->nlayers; i++) {
        struct image_layer *l = &img->layers[i];
        if (!strcmp(l->media_type, mt))
            continue;
        struct cache_key k;
        cache_key_begin(&k, "recompress");
        cache_key_add(&k, l->digest);
        cache_key_add(&k, mt);
        cache_key_addu(&k, (uint64_t)(int64_t)b->o->output.compression_level);
        char key[DIGEST_STR_LEN + 1];
        cache_key_end(&k, key);
        struct step_record r;
        if (stepcache_lookup(b->store, key, &r) != 1 || strcmp(r.diff_id, l->diff_id) != 0) {
            struct layer_result lr;
            if (layer_recompress(
                    b->store, l->digest, l->diff_id, to, b->o->output.compression_level,
                    b->o->max_layer_size ? b->o->max_layer_size : UNPACK_DEFAULT_MAX_LAYER, &lr,
                    err) < 0)
                return kiln_err_wrap(err, "force-compression");
            r = (struct step_record){.size = lr.size};
            memcpy(r.digest, lr.digest, sizeof(r.digest));
            memcpy(r.diff_id, lr.diff_id, sizeof(r.diff_id));
            snprintf(r.media_type, sizeof(r.media_type), "%s", lr.media_type);
            kiln_error_t *e = NULL;
            if (stepcache_put(b->store, key, &r, &e) < 0) /* costs a conversion next time */
                kiln_error_free(e);
        }
        memcpy(l->digest, r.digest, sizeof(l->digest));
        l->size = r.size;
        free(l->media_type);
        l->media_type = xstrdup(r.media_type);
    }
    return 0;
}

int export_image(struct build *b, struct build_stage *final, struct kiln_build_result *res,
                 kiln_error_t **err)
{
    if (b->o->output.force_compression && force_compression(b, final->img, err) < 0)
        return -1;
    apply_labels(b, final->img);
    cleanup_json json_t *ann = kv_object(b->o->annotations, b->o->nannotations);
    if (b->o->allow_root_user)
        json_object_set_new(ann, POLICY_ANNOTATION, json_string("true"));
    if (leakcheck_image(b, final, ann, err) < 0) { /* before anything is written */
        leakcheck_drop_layers(b);
        return -1;
    }
    struct oci_desc manifest, config;
    if (image_commit(b->store, final->img, b->epoch, ann, &manifest, &config, err) < 0)
        return -1;
    memcpy(res->manifest_digest, manifest.digest, sizeof(manifest.digest));
    memcpy(res->config_digest, config.digest, sizeof(config.digest));
    res->nlayers = final->img->nlayers;
    struct oci_desc top;
    if (attestations_attach(b, final, &manifest, &top, err) < 0) {
        if ((*err)->code == KILN_ELEAK) /* in an SBOM document */
            leakcheck_drop_layers(b);
        return -1;
    }
    if (leakcheck_attestations(b, &top, err) < 0) { /* still nothing written */
        leakcheck_drop_layers(b);
        return -1;
    }
    if (strcmp(top.digest, manifest.digest))
        memcpy(res->index_digest, top.digest, sizeof(top.digest));
    const struct kiln_output *out = &b->o->output;
    switch (out->type) {
    case KILN_OUTPUT_LOCAL:
        return export_local(b, final, out->dest, err);
    case KILN_OUTPUT_TAR:
        return export_tar(b, final, out->dest, err);
    case KILN_OUTPUT_DOCKER:
        set_exported(res, &manifest);
        return export_docker(b, final, &manifest, &config, err);
    case KILN_OUTPUT_REGISTRY:
        set_exported(res, &top);
        return export_push(b, &top, err);
    case KILN_OUTPUT_OCI:
        set_exported(res, &top);
        return export_oci(b, &top, err);
    case KILN_OUTPUT_NONE:
        set_exported(res, &top);
        return 0;
    }
    return kiln_err(err, KILN_EUNSUPPORTED, 0, "this output type is not supported yet");
}
