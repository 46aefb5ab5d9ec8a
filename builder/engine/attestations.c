/* SBOM and provenance attached to the image as BuildKit does: an OCI index holding the image
 * manifest (with its platform) and an attestation manifest whose in-toto statements are about
 * it. Everything here is derived from the build's inputs and the image digest: reproducible. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "export.h"
#include "fsutil.h"
#include "json.h"
#include "oci/reference.h"
#include "sbom/attest.h"
#include "sbom/provenance.h"
#include "sbom/sbom.h"
#include "util.h"

/* The name statements and the SBOM use for the image: the first -t, normalised. */
static char *image_name(struct build *b)
{
    struct reference r;
    if (b->o->ntags && reference_parse(b->o->tags[0], &r, NULL) == 0) {
        char *s = reference_string(&r);
        reference_release(&r);
        return s;
    }
    return xstrdup("kiln-image");
}

static int make_sbom(struct build *b, struct build_stage *final, const char *name,
                     const char *digest, struct sbom_result *sr, kiln_error_t **err)
{
    struct view *v;
    if (stage_view(b, final, &v, err) < 0)
        return -1;
    struct sbom_image_info info = {
        .name = name, .manifest_digest = digest, .arch = b->platform.arch, .epoch = b->epoch};
    if (sbom_generate(v, &info, sr, err) < 0)
        return kiln_err_wrap(err, "SBOM");
    for (size_t i = 0; i < sr->n_warnings; i++)
        step_log(b, KILN_LOG_WARN, "SBOM: %s", sr->warnings[i]);
    step_log(b, KILN_LOG_INFO, "SBOM: %zu packages", sr->total);
    return 0;
}

struct prov_inputs {
    struct provenance_arg *args;
    struct provenance_material *mats;
    const char **secret_ids;
    size_t nargs, nmats;
};

static void prov_collect(struct build *b, struct prov_inputs *in)
{
    in->args = xcalloc(b->o->nbuild_args + 1, sizeof(*in->args));
    for (size_t i = 0; i < b->o->nbuild_args; i++) {
        const struct kiln_kv *kv = &b->o->build_args[i];
        in->args[in->nargs++] = (struct provenance_arg){kv->key, kv->value ? kv->value : getenv(kv->key) ?: "", false};
    }
    in->mats = xcalloc(b->sched.nstages + 1, sizeof(*in->mats));
    for (size_t i = 0; i < b->sched.nstages; i++) {
        const struct build_stage *st = &b->sched.stages[i];
        if (st->state != STAGE_DONE || !st->base_ref || !*st->base_digest)
            continue;
        bool dup = false;
        for (size_t k = 0; k < in->nmats; k++)
            dup |= !strcmp(in->mats[k].digest, st->base_digest);
        if (!dup)
            in->mats[in->nmats++] =
                (struct provenance_material){st->base_ref, st->base_digest, "linux/amd64", NULL};
    }
    in->secret_ids = xcalloc(b->o->nsecrets + 1, sizeof(char *));
    for (size_t i = 0; i < b->o->nsecrets; i++)
        in->secret_ids[i] = b->o->secrets[i].id;
}

static void prov_fill(struct build *b, struct prov_inputs *in, const char *digest,
                      struct provenance_info *pi)
{
    prov_collect(b, in);
    *pi = (struct provenance_info){
        .dockerfile_path = b->input.src.name,
        .dockerfile_digest = b->input.df_digest,
        .context = b->o->context
                       ? "."
                       : "-", /* a host path would make the image depend on where it was built */
        .target = b->o->target,
        .platform = "linux/amd64",
        .args = in->args,
        .n_args = in->nargs,
        .secret_ids = in->secret_ids,
        .n_secret_ids = b->o->nsecrets,
        .materials = in->mats,
        .n_materials = in->nmats,
        .no_cache = b->o->no_cache,
        .network = (const char *const[]){"default", "none", "host"}[b->o->network],
        .builder_platform = "linux/amd64",
        .source_date_epoch = b->epoch,
        .started_on = b->epoch,
        .finished_on = b->epoch,
        .image_digest = digest,
    };
}

/* Writes the plain documents for a release (--sbom-out DIR). */
static int write_sbom_out(const char *dir, const struct sbom_result *sr, kiln_error_t **err)
{
    if (mkdir_p_at(AT_FDCWD, dir, 0755, err) < 0)
        return kiln_err_wrap(err, "--sbom-out");
    cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "--sbom-out '%s'", dir);
    if (write_file_atomic(dfd, "sbom.spdx.json", sr->spdx_json, sr->spdx_len, 0644, err) < 0 ||
        write_file_atomic(dfd, "sbom.cdx.json", sr->cdx_json, sr->cdx_len, 0644, err) < 0)
        return kiln_err_wrap(err, "--sbom-out '%s'", dir);
    return 0;
}

/* The index of the image and its attestation manifest, stored; described in *top. */
static int store_index(struct build *b, const struct oci_desc *image, const struct attest_desc *att,
                       struct oci_desc *top, kiln_error_t **err)
{
    json_t *img = json_pack("{s:s,s:s,s:I,s:{s:s,s:s}}", "mediaType", image->media_type, "digest",
                            image->digest, "size", (json_int_t)image->size, "platform",
                            "architecture", b->platform.arch, "os", b->platform.os);
    cleanup_free char *entry = attest_index_entry(att, image->digest);
    json_t *ae = json_loads(entry, 0, NULL);
    cleanup_json json_t *idx = json_pack("{s:i,s:s,s:[o,o]}", "schemaVersion", 2, "mediaType",
                                         MEDIA_TYPE_OCI_INDEX, "manifests", img, ae);
    cleanup_free char *s = json_dump_stable(idx);
    top->size = strlen(s);
    snprintf(top->media_type, sizeof(top->media_type), "%s", MEDIA_TYPE_OCI_INDEX);
    return store_put_blob(b->store, s, top->size, top->digest, err);
}

int attestations_attach(struct build *b, struct build_stage *final, const struct oci_desc *image,
                        struct oci_desc *top, kiln_error_t **err)
{
    *top = *image;
    if (!b->o->sbom && !b->o->provenance && !b->o->sbom_out)
        return 0;
    cleanup_free char *name = image_name(b);
    struct sbom_result sr = {0};
    struct prov_inputs in = {0};
    struct provenance_info pi;
    int rc = 0;
    if (b->o->sbom || b->o->sbom_out)
        rc = make_sbom(b, final, name, image->digest, &sr, err);
    if (rc == 0 && (b->o->sbom || b->o->sbom_out)) /* before --sbom-out writes them */
        rc = leakcheck_blob(b, "the SPDX SBOM", sr.spdx_json, sr.spdx_len, err) < 0 ||
                     leakcheck_blob(b, "the CycloneDX SBOM", sr.cdx_json, sr.cdx_len, err) < 0
                 ? -1
                 : 0;
    if (rc == 0 && b->o->sbom_out)
        rc = write_sbom_out(b->o->sbom_out, &sr, err);
    if (b->o->provenance)
        prov_fill(b, &in, image->digest, &pi);
    struct attest_desc subject = {.media_type = image->media_type, .size = image->size}, att;
    memcpy(subject.digest, image->digest, sizeof(subject.digest));
    if (rc == 0 && (b->o->sbom || b->o->provenance))
        rc = attest_build(b->store, &subject, name, b->o->sbom ? &sr : NULL,
                          b->o->provenance ? &pi : NULL, &att, err);
    if (rc == 0 && (b->o->sbom || b->o->provenance))
        rc = store_index(b, image, &att, top, err);
    sbom_result_release(&sr);
    free(in.args);
    free(in.mats);
    free(in.secret_ids);
    return rc;
}
