/* Pushing an image, an index or an artifact from the store: a plan of the blobs and manifests
 * under the top descriptor, the missing blobs in parallel, then the manifests children first,
 * then the referrers tag fallback for manifests with a subject. */
#include <string.h>

#include "registry_client.h"
#include "strset.h"
#include "util.h"

#define PUSH_MAX_DEPTH 4

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
    struct strset seen;
};

static void plan_release(struct push_plan *p)
{
    for (size_t i = 0; i < p->nms; i++) {
        free(p->ms[i].data);
        json_decref(p->ms[i].referrer);
    }
    free(p->ms);
    free(p->blobs);
    strset_release(&p->seen);
}

static bool is_manifest_type(const char *t)
{
    return !strcmp(t, MEDIA_TYPE_OCI_MANIFEST) || !strcmp(t, MEDIA_TYPE_DOCKER_MANIFEST) ||
           registry_manifest_is_index(t);
}

static int plan_add(struct push_plan *p, const struct oci_desc *d, int depth, kiln_error_t **err);

static int plan_array(struct push_plan *p, json_t *arr, const char *what, int depth,
                      kiln_error_t **err)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        struct oci_desc d;
        if (desc_parse(e, what, &d, err) < 0 || plan_add(p, &d, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

static int plan_children(struct push_plan *p, json_t *m, const char *type, int depth,
                         kiln_error_t **err)
{
    if (registry_manifest_is_index(type))
        return plan_array(p, json_object_get(m, "manifests"), "index", depth, err);
    json_t *cfg = json_pack("[O]", json_object_get(m, "config"));
    int rc = json_object_get(m, "config")
                 ? plan_array(p, cfg, "manifest config", depth, err)
                 : kiln_err(err, KILN_ECORRUPT, 0, "manifest has no config");
    json_decref(cfg);
    return rc < 0 ? -1 : plan_array(p, json_object_get(m, "layers"), "manifest layer", depth, err);
}

static int plan_manifest(struct push_plan *p, const struct oci_desc *d, int depth,
                         kiln_error_t **err)
{
    struct push_manifest pm = {.d = *d};
    struct oci_desc stored;
    if (registry_manifest_load(p->s, d->digest, &stored, &pm.data, &pm.len, err) < 0)
        return -1;
    json_t *m = json_parse_doc(pm.data, pm.len, "manifest", err);
    int rc = m ? plan_children(p, m, d->media_type, depth, err) : -1;
    const char *subj = json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
    if (rc == 0 && subj && digest_valid(subj)) {
        snprintf(pm.subject, sizeof(pm.subject), "%s", subj);
        pm.referrer = registry_referrers_desc(d, m);
    }
    json_decref(m);
    if (rc < 0) {
        free(pm.data);
        return -1;
    }
    xgrow(&p->ms, &p->capm, p->nms + 1, sizeof(*p->ms));
    p->ms[p->nms++] = pm;
    return 0;
}

static int plan_add(struct push_plan *p, const struct oci_desc *d, int depth, kiln_error_t **err)
{
    if (depth > PUSH_MAX_DEPTH)
        return kiln_err(err, KILN_ECORRUPT, 0, "manifests nested too deep");
    if (!strset_add(&p->seen, d->digest))
        return 0;
    if (p->seen.n > REGISTRY_MAX_BLOBS)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %d blobs to push", REGISTRY_MAX_BLOBS);
    if (is_manifest_type(d->media_type))
        return plan_manifest(p, d, depth, err);
    if (!store_has_blob(p->s, d->digest))
        return kiln_err(err, KILN_EINPUT, 0, "blob %s is not in the store", d->digest);
    xgrow(&p->blobs, &p->capb, p->nblobs + 1, sizeof(*p->blobs));
    p->blobs[p->nblobs++] = *d;
    return 0;
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
        json_t *descs = json_array();
        for (size_t k = i; k < p->nms; k++)
            if (!strcmp(p->ms[k].subject, subject) && !indexed[k])
                json_array_append(descs, p->ms[k].referrer);
        size_t added = 0;
        int rc = registry_referrers_tag(c->conn, subject, descs, &added, err);
        json_decref(descs);
        if (rc < 0)
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
    int rc = plan_add(&plan, req->top, 0, err);
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
