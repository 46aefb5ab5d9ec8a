/* Pushing an image, an index or an artifact from the store: a plan of the blobs and manifests
 * under the top descriptor, the missing blobs in parallel, then the manifests children first,
 * then the referrers tag fallback for manifests with a subject. */
#include <string.h>

#include "json.h"
#include "kiln/push.h"
#include "oci/layout.h"
#include "oci/walk.h"
#include "registry_client.h"
#include "util.h"

#define PUSH_MAX_DEPTH 4 /* an index of indexes of manifests, attestations beside them */

struct push_manifest {
    struct oci_desc d;
    char *data;
    size_t len;
    char subject[DIGEST_STR_LEN + 1]; /* "" when it has none */
    json_t *referrer;                 /* its descriptor for the referrers index */
};

struct push_plan {
    struct store *s;
    struct oci_desc *blobs;
    size_t nblobs, capb;
    struct push_manifest *ms; /* children before their parents; the top one last */
    size_t nms, capm;
};

static void plan_release(struct push_plan *p)
{
    for (size_t i = 0; i < p->nms; i++) {
        free(p->ms[i].data);
        json_decref(p->ms[i].referrer);
    }
    free(p->ms);
    free(p->blobs);
}

static bool is_manifest_type(const char *t)
{
    return oci_is_manifest_type(t) || oci_is_index_type(t);
}

/* Before its children: a blob to upload must be in the store. */
static int plan_blob(void *ctx, const struct oci_desc *d, kiln_error_t **err)
{
    struct push_plan *p = ctx;
    if (is_manifest_type(d->media_type))
        return 0;
    if (!store_has_blob(p->s, d->digest))
        return kiln_err(err, KILN_EINPUT, 0, "blob %s is not in the store", d->digest);
    xgrow(&p->blobs, &p->capb, p->nblobs + 1, sizeof(*p->blobs));
    p->blobs[p->nblobs++] = *d;
    return 0;
}

/* After its children: a manifest to upload, with its subject for the referrers fallback. */
static int plan_manifest(void *ctx, const struct oci_desc *d, const char *data, size_t len,
                         json_t *m, kiln_error_t **err)
{
    struct push_plan *p = ctx;
    char stored[128];
    if (registry_manifest_type(NULL, data, len, stored, err) < 0)
        return -1;
    struct push_manifest pm = {.d = *d, .data = xmalloc(len + 1), .len = len};
    memcpy(pm.data, data, len);
    pm.data[len] = '\0';
    const char *subj = json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
    if (subj && digest_valid(subj)) {
        snprintf(pm.subject, sizeof(pm.subject), "%s", subj);
        pm.referrer = registry_referrers_desc(d, m);
    }
    xgrow(&p->ms, &p->capm, p->nms + 1, sizeof(*p->ms));
    p->ms[p->nms++] = pm;
    return 0;
}

static int plan_push(struct push_plan *p, const struct oci_desc *top, kiln_error_t **err)
{
    struct oci_walk w = {.max_blobs = REGISTRY_MAX_BLOBS,
                         .max_depth = PUSH_MAX_DEPTH,
                         .visit = plan_blob,
                         .after = plan_manifest,
                         .ctx = p};
    return oci_walk(p->s, top, &w, err);
}

/* ---- the blobs, in parallel ---- */

struct blob_job {
    struct push_plan *plan;
    char **mount;
    size_t nmount;
    size_t counts[3];
};

static int push_blob(struct registry_conn *conn, void *ctx, size_t i, kiln_error_t **err)
{
    struct blob_job *j = ctx;
    enum registry_blob_outcome o;
    if (registry_upload_blob(conn, j->plan->s, &j->plan->blobs[i], j->mount, j->nmount, &o, err) <
        0)
        return -1;
    __atomic_fetch_add(&j->counts[o], 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* ---- manifests and referrers ---- */

/* Manifests without a subject first (children before parents), then those with one, the top
 * last under the tag. */
static int push_manifests(struct registry_client *c, struct push_plan *p, const char *tag,
                          bool *indexed, kiln_error_t **err)
{
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < p->nms; i++) {
            struct push_manifest *m = &p->ms[i];
            bool top = i == p->nms - 1, subj = m->subject[0] != '\0';
            if ((pass == 2) != top || (pass < 2 && (pass == 1) != subj))
                continue;
            const char *ref = top && tag ? tag : m->d.digest;
            if (registry_upload_manifest(c->conn, ref, m->d.media_type, m->data, m->len,
                                         m->d.digest, &indexed[i], err) < 0)
                return -1;
        }
    }
    return 0;
}

static int push_referrers(struct registry_client *c, struct push_plan *p, bool *indexed,
                          size_t *tagged, kiln_error_t **err)
{
    for (size_t i = 0; i < p->nms; i++) {
        const char *subject = p->ms[i].subject;
        if (!subject[0] || indexed[i])
            continue;
        cleanup_json json_t *descs = json_array();
        for (size_t k = i; k < p->nms; k++)
            if (!strcmp(p->ms[k].subject, subject) && !indexed[k])
                json_array_append(descs, p->ms[k].referrer);
        size_t added = 0;
        if (registry_referrers_tag(c->conn, subject, descs, &added, err) < 0)
            return -1;
        *tagged += added;
        for (size_t k = i; k < p->nms; k++) /* done with this subject */
            if (!strcmp(p->ms[k].subject, subject))
                indexed[k] = true;
    }
    return 0;
}

static void mount_repos(const struct registry_push_req *req, const struct reference *dest,
                        char ***out, size_t *n)
{
    for (size_t i = 0; i < req->nmount_from; i++) {
        struct reference r;
        if (reference_parse(req->mount_from[i], &r, NULL) < 0)
            continue;
        if (!strcmp(r.domain, dest->domain) && strcmp(r.path, dest->path) != 0 && *n < 16)
            strv_push(out, n, xstrdup(r.path));
        reference_release(&r);
    }
}

static int push_run(struct store *s, const struct registry_opts *o, const struct reference *dest,
                    const struct registry_push_req *req, struct registry_push_result *res,
                    kiln_error_t **err)
{
    struct push_plan plan = {.s = s};
    struct blob_job job = {.plan = &plan};
    cleanup_registry_client struct registry_client *c = NULL;
    int rc = plan_push(&plan, req->top, err);
    mount_repos(req, dest, &job.mount, &job.nmount);
    if (rc == 0)
        rc = registry_client_open(o, dest, REGISTRY_PUSH, (const char *const *)job.mount,
                                  job.nmount, &c, err);
    if (rc == 0)
        rc = registry_pool_run(c, plan.nblobs, push_blob, &job, err);
    bool *indexed = xcalloc(plan.nms + 1, sizeof(bool));
    if (rc == 0)
        rc = push_manifests(c, &plan, dest->tag, indexed, err);
    if (rc == 0)
        rc = push_referrers(c, &plan, indexed, &res->referrers_tagged, err);
    res->blobs_present = job.counts[REGISTRY_BLOB_PRESENT];
    res->blobs_mounted = job.counts[REGISTRY_BLOB_MOUNTED];
    res->blobs_uploaded = job.counts[REGISTRY_BLOB_UPLOADED];
    free(indexed);
    strv_free(job.mount);
    plan_release(&plan);
    return rc;
}

int registry_push(struct store *s, const struct registry_opts *o,
                  const struct registry_push_req *req, struct registry_push_result *res,
                  kiln_error_t **err)
{
    memset(res, 0, sizeof(*res));
    cleanup_reference struct reference dest = {0};
    if (reference_parse(req->ref, &dest, err) < 0)
        return kiln_err_wrap(err, "push");
    cleanup_free char *name = reference_string(&dest);
    if (!is_manifest_type(req->top->media_type))
        return kiln_err(err, KILN_EINPUT, 0, "push %s: '%s' is not a manifest or an index", name,
                        req->top->media_type);
    if (dest.digest && strcmp(dest.digest, req->top->digest) != 0)
        return kiln_err(err, KILN_EINPUT, 0, "push %s: the image is %s, not the digest named", name,
                        req->top->digest);
    if (push_run(s, registry_opts_pick(o), &dest, req, res, err) < 0)
        return kiln_err_wrap(err, "push %s", name);
    memcpy(res->digest, req->top->digest, sizeof(res->digest));
    return 0;
}

/* kiln push: the layout's image through the store to the registry. */
int kiln_push(const struct kiln_push_opts *o, struct kiln_push_result *res, kiln_error_t **err)
{
    memset(res, 0, sizeof(*res));
    struct reference r;
    if (reference_parse(o->ref, &r, err) < 0)
        return -1;
    reference_release(&r);
    cleanup_free char *dir = NULL, *ref = NULL;
    layout_split_ref(o->layout, &dir, &ref);
    cleanup_free char *root = o->root ? xstrdup(o->root) : store_default_root(err);
    if (!root)
        return -1;
    cleanup_store struct store *s = NULL;
    struct oci_desc top;
    if (store_open(root, &s, err) < 0 || layout_import_all(s, dir, ref, &top, err) < 0)
        return -1;
    struct registry_opts ro;
    registry_opts_from(&ro, &o->registry);
    struct registry_push_req req = {.top = &top, .ref = o->ref};
    struct registry_push_result pr;
    if (registry_push(s, &ro, &req, &pr, err) < 0)
        return -1;
    snprintf(res->digest, sizeof(res->digest), "%s", pr.digest);
    res->blobs_uploaded = pr.blobs_uploaded;
    res->blobs_mounted = pr.blobs_mounted;
    res->blobs_present = pr.blobs_present;
    res->referrers_tagged = pr.referrers_tagged;
    return 0;
}
