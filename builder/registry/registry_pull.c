/* Pulling an image: the reference's manifest (an index resolved to the build platform), then
 * its config and layers, everything verified into the store. A digest reference whose content is
 * all in the store is served without the network. */
#include <string.h>

#include "json.h"
#include "oci/walk.h"
#include "registry_client.h"
#include "registry_platform.h"
#include "util.h"

#define PULL_MAX_INDEX_DEPTH 2

struct pull {
    struct store *s;
    const struct registry_opts *o;
    const struct reference *ref;
    struct registry_client *c; /* opened on first need */
};

static int pull_client(struct pull *p, kiln_error_t **err)
{
    if (p->c)
        return 0;
    return registry_client_open(p->o, p->ref, REGISTRY_PULL, NULL, 0, &p->c, err);
}

/* A manifest by digest (with its descriptor) or by tag (expect NULL): from the store when it
 * is there, else from the registry. */
static int get_manifest(struct pull *p, const char *ref, const struct oci_desc *expect,
                        struct oci_desc *out, json_t **doc, kiln_error_t **err)
{
    cleanup_free char *data = NULL;
    size_t len;
    const char *digest = expect ? expect->digest : str_has_prefix(ref, "sha256:") ? ref : NULL;
    int rc;
    if (digest && store_has_blob(p->s, digest))
        rc = registry_manifest_load(p->s, digest, out, &data, &len, err);
    else
        rc = pull_client(p, err) < 0 ? -1
                                     : registry_manifest_get(p->c->conn, p->s, ref, expect, out,
                                                             &data, &len, NULL, err);
    if (rc < 0)
        return -1;
    *doc = json_parse_object(data, len, REGISTRY_MAX_MANIFEST, "manifest", err);
    return *doc ? 0 : -1;
}

static int collect_blobs(json_t *m, struct oci_desc **out, size_t *n, kiln_error_t **err)
{
    json_t *layers = json_object_get(m, "layers");
    if (!json_is_array(layers))
        return kiln_err(err, KILN_ECORRUPT, 0, "manifest has no layers array");
    if (json_array_size(layers) > IMAGE_MAX_LAYERS)
        return kiln_err(err, KILN_ELIMIT, 0, "image has %zu layers, more than %d",
                        json_array_size(layers), IMAGE_MAX_LAYERS);
    *out = xcalloc(json_array_size(layers) + 1, sizeof(**out));
    *n = 0;
    if (desc_parse(json_object_get(m, "config"), "manifest config", &(*out)[(*n)++], err) < 0)
        return -1;
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (desc_parse(l, "manifest layer", &(*out)[(*n)++], err) < 0)
            return -1;
    }
    return 0;
}

static void log_fetch(struct pull *p, const struct oci_desc *d, size_t n)
{
    if (!p->o->log)
        return;
    uint64_t bytes = 0;
    size_t missing = 0;
    for (size_t i = 0; i < n; i++)
        if (!store_has_blob(p->s, d[i].digest))
            bytes += d[i].size, missing++;
    cleanup_free char *name = reference_string(p->ref);
    cleanup_free char *msg = xasprintf("pulling %s: %zu of %zu blobs (%.1f MiB) to fetch", name,
                                       missing, n, (double)bytes / (1024.0 * 1024.0));
    p->o->log(p->o->log_ctx, msg);
}

static int fetch_image_blobs(struct pull *p, json_t *m, kiln_error_t **err)
{
    cleanup_free struct oci_desc *d = NULL;
    size_t n = 0;
    if (collect_blobs(m, &d, &n, err) < 0)
        return -1;
    bool all = true;
    for (size_t i = 0; i < n; i++)
        all &= store_has_blob(p->s, d[i].digest);
    if (all)
        return 0;
    log_fetch(p, d, n);
    if (pull_client(p, err) < 0)
        return -1;
    return registry_blob_fetch_all(p->c, p->s, d, n, err);
}

/* Resolves the top manifest to the platform's image manifest (document in *doc). */
static int resolve_platform(struct pull *p, const struct registry_platform *want,
                            struct oci_desc *d, json_t **doc, kiln_error_t **err)
{
    for (int depth = 0; oci_is_index_type(d->media_type); depth++) {
        struct oci_desc child;
        if (depth >= PULL_MAX_INDEX_DEPTH)
            return kiln_err(err, KILN_ECORRUPT, 0, "indexes nested too deep");
        int rc = registry_platform_pick(*doc, want, &child, err);
        json_decref(*doc);
        *doc = NULL;
        if (rc < 0 || get_manifest(p, child.digest, &child, d, doc, err) < 0)
            return -1;
    }
    return 0;
}

static int pull_run(struct pull *p, const struct registry_platform *want,
                    struct registry_pulled *out, kiln_error_t **err)
{
    const struct reference *r = p->ref;
    struct oci_desc d;
    cleanup_json json_t *doc = NULL;
    if (get_manifest(p, r->digest ? r->digest : r->tag, NULL, &d, &doc, err) < 0)
        return -1;
    memcpy(out->top, d.digest, sizeof(out->top));
    if (resolve_platform(p, want, &d, &doc, err) < 0 || fetch_image_blobs(p, doc, err) < 0)
        return -1;
    memcpy(out->manifest, d.digest, sizeof(out->manifest));
    return 0;
}

int registry_pull_image(struct store *s, const struct registry_opts *o, const char *ref,
                        const char *os, const char *arch, const char *variant,
                        struct registry_pulled *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_reference struct reference r = {0};
    if (reference_parse(ref, &r, err) < 0)
        return -1;
    struct pull p = {.s = s, .o = registry_opts_pick(o), .ref = &r};
    struct registry_platform want = {os, arch, variant};
    int rc = pull_run(&p, &want, out, err);
    registry_client_free(p.c);
    cleanup_free char *name = reference_string(&r);
    if (rc < 0)
        return kiln_err_wrap(err, "pull %s", name);
    cleanup_free char *repo = reference_name(&r);
    out->canonical = xasprintf("%s%s%s@%s", repo, r.tag ? ":" : "", r.tag ? r.tag : "", out->top);
    return 0;
}
