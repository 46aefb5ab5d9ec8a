#include <string.h>

#include "intoto.h"
#include "json.h"
#include "digest/digest.h"
#include "provenance.h"
#include "purl.h"
#include "sbom_doc.h"
#include "util.h"

/* Sets key to v (when not NULL), refusing text that is too long or not UTF-8. */
static int pset(json_t *o, const char *key, const char *v, kiln_error_t **err)
{
    if (!v)
        return 0;
    if (strlen(v) > PROVENANCE_MAX_VALUE)
        return kiln_err(err, KILN_ELIMIT, 0, "provenance: %s is over %u bytes", key,
                        PROVENANCE_MAX_VALUE);
    if (json_object_set_new(o, key, json_string(v)) < 0)
        return kiln_err(err, KILN_EINPUT, 0, "provenance: %s is not UTF-8 text", key);
    return 0;
}

static json_t *digest_set(const char *digest)
{
    return json_pack("{s:s}", "sha256", digest_hex(digest));
}

static int check_digest(const char *what, const char *d, kiln_error_t **err)
{
    if (d && !digest_valid(d))
        return kiln_err(err, KILN_EINPUT, 0, "provenance: bad %s digest '%s'", what, d);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends the strings, sorted, to arr. */
static int sorted_strings(json_t *arr, const char **v, size_t n, const char *what,
                          kiln_error_t **err)
{
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, json_string(v[i])) < 0)
            return kiln_err(err, KILN_EINPUT, 0, "provenance: %s is not UTF-8 text", what);
    return 0;
}

/* buildArgs (name: value) and secretBuildArgs (names only: the value is never read). */
static int prov_args(json_t *ext, const struct provenance_info *pi, kiln_error_t **err)
{
    json_t *args = json_object(), *secret = json_array();
    json_object_set_new(ext, "buildArgs", args);
    json_object_set_new(ext, "secretBuildArgs", secret);
    cleanup_free const char **names = xcalloc(pi->n_args + 1, sizeof(*names));
    size_t n = 0;
    for (size_t i = 0; i < pi->n_args; i++) {
        const struct provenance_arg *a = &pi->args[i];
        if (!a->name || !*a->name)
            return kiln_err(err, KILN_EINPUT, 0, "provenance: build arg without a name");
        if (a->secret)
            names[n++] = a->name;
        else if (pset(args, a->name, a->value ? a->value : "", err) < 0)
            return -1;
    }
    return sorted_strings(secret, names, n, "build arg name", err);
}

static int prov_secrets(json_t *ext, const struct provenance_info *pi, kiln_error_t **err)
{
    json_t *arr = json_array();
    json_object_set_new(ext, "secrets", arr);
    for (size_t i = 0; i < pi->n_secret_ids; i++) {
        json_t *o = json_object();
        json_array_append_new(arr, o);
        if (pset(o, "id", pi->secret_ids[i], err) < 0)
            return -1;
    }
    return 0;
}

static int prov_external(json_t *bd, const struct provenance_info *pi, kiln_error_t **err)
{
    json_t *ext = json_object();
    json_object_set_new(bd, "externalParameters", ext);
    if (check_digest("Dockerfile", pi->dockerfile_digest, err) < 0)
        return -1;
    json_t *df = json_object();
    json_object_set_new(ext, "dockerfile", df);
    if (pset(df, "path", pi->dockerfile_path ? pi->dockerfile_path : "Dockerfile", err) < 0)
        return -1;
    if (pi->dockerfile_digest)
        json_object_set_new(df, "digest", digest_set(pi->dockerfile_digest));
    if (pset(ext, "context", pi->context, err) < 0 || pset(ext, "target", pi->target, err) < 0 ||
        pset(ext, "platform", pi->platform, err) < 0)
        return -1;
    if (pi->no_cache)
        json_object_set_new(ext, "noCache", json_true());
    if (prov_args(ext, pi, err) < 0)
        return -1;
    return prov_secrets(ext, pi, err);
}

static int prov_internal(json_t *bd, const struct provenance_info *pi, kiln_error_t **err)
{
    json_t *in = json_object();
    json_object_set_new(bd, "internalParameters", in);
    json_object_set_new(in, "sourceDateEpoch", json_integer(pi->source_date_epoch));
    if (pset(in, "network", pi->network ? pi->network : "default", err) < 0)
        return -1;
    return pset(in, "builderPlatform", pi->builder_platform, err);
}

/* BuildKit's form for an image: pkg:docker/debian@bookworm?platform=linux%2Famd64 (Docker
 * Hub's "docker.io/library/" left out); a URL stays a URL. */
static char *prov_material_uri(const struct provenance_material *m)
{
    if (m->uri)
        return xstrdup(m->uri);
    if (strstr(m->ref, "://"))
        return xstrdup(m->ref);
    cleanup_free char *repo = NULL, *name = NULL, *tag = NULL;
    sbom_image_ref(m->ref, &repo, &name, &tag);
    const char *path = repo;
    static const char *const hub[] = {"docker.io/", "index.docker.io/", "library/"};
    for (size_t i = 0; i < ARRAY_SIZE(hub); i++)
        if (str_has_prefix(path, hub[i]))
            path += strlen(hub[i]);
    const char *slash = strrchr(path, '/');
    cleanup_free char *ns = slash ? xstrndup(path, (size_t)(slash - path)) : NULL;
    struct purl_qualifier q[] = {{"platform", m->platform}};
    return purl_build("docker", ns, slash ? slash + 1 : path, tag ? tag : "latest", q, 1);
}

static int prov_materials(json_t *bd, const struct provenance_info *pi, kiln_error_t **err)
{
    json_t *arr = json_array();
    json_object_set_new(bd, "resolvedDependencies", arr);
    for (size_t i = 0; i < pi->n_materials; i++) {
        const struct provenance_material *m = &pi->materials[i];
        if (!m->ref || !*m->ref)
            return kiln_err(err, KILN_EINPUT, 0, "provenance: material without a reference");
        if (!m->digest || check_digest(m->ref, m->digest, err) < 0)
            return kiln_err(err, KILN_EINPUT, 0, "provenance: material '%s' has no valid digest",
                            m->ref);
        json_t *o = json_object();
        json_array_append_new(arr, o);
        cleanup_free char *uri = prov_material_uri(m);
        if (pset(o, "uri", uri, err) < 0 || pset(o, "name", m->ref, err) < 0)
            return -1;
        json_object_set_new(o, "digest", digest_set(m->digest));
    }
    return 0;
}

static int prov_check(const struct provenance_info *pi, kiln_error_t **err)
{
    if (pi->n_args > PROVENANCE_MAX_ARGS || pi->n_secret_ids > PROVENANCE_MAX_ARGS ||
        pi->n_materials > PROVENANCE_MAX_ARGS)
        return kiln_err(err, KILN_ELIMIT, 0,
                        "provenance: more than %d build args, secrets or "
                        "materials",
                        PROVENANCE_MAX_ARGS);
    return check_digest("image", pi->image_digest, err);
}

/* runDetails; invocationId is a UUID of the image digest and the whole buildDefinition. */
static json_t *prov_run(const struct provenance_info *pi, json_t *bd)
{
    char start[21], end[21], id[37];
    sbom_format_time(pi->started_on, start);
    sbom_format_time(pi->finished_on ? pi->finished_on : pi->started_on, end);
    cleanup_free char *def = json_dumps(bd, JSON_COMPACT | JSON_SORT_KEYS);
    cleanup_free char *seed =
        xasprintf("%s\n%s", pi->image_digest ? pi->image_digest : "", def ? def : "");
    sbom_uuid("https://kiln.dev/invocation", seed, id);
    return json_pack("{s:{s:s, s:{s:s}}, s:{s:s, s:s, s:s}}", "builder", "id",
                     PROVENANCE_BUILDER_ID, "version", "kiln", KILN_VERSION, "metadata",
                     "invocationId", id, "startedOn", start, "finishedOn", end);
}

int provenance_predicate(const struct provenance_info *pi, char **out, size_t *len,
                         kiln_error_t **err)
{
    if (prov_check(pi, err) < 0)
        return -1;
    cleanup_json json_t *bd = json_pack("{s:s}", "buildType", PROVENANCE_BUILD_TYPE);
    if (prov_external(bd, pi, err) < 0 || prov_internal(bd, pi, err) < 0 ||
        prov_materials(bd, pi, err) < 0)
        return -1;
    cleanup_json json_t *pred =
        json_pack("{s:O, s:o}", "buildDefinition", bd, "runDetails", prov_run(pi, bd));
    char *s = pred ? json_dumps(pred, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!s)
        return kiln_err(err, KILN_EINTERNAL, 0, "provenance: cannot serialise the predicate");
    if (strlen(s) > PROVENANCE_MAX_PREDICATE) {
        free(s);
        return kiln_err(err, KILN_ELIMIT, 0, "provenance: over %u bytes", PROVENANCE_MAX_PREDICATE);
    }
    *out = s;
    *len = strlen(s);
    return 0;
}

int provenance_statement(const struct provenance_info *pi, const char *subject_name, char **out,
                         size_t *len, kiln_error_t **err)
{
    if (!pi->image_digest)
        return kiln_err(err, KILN_EINPUT, 0, "provenance: no image digest for the subject");
    cleanup_free char *pred = NULL;
    size_t plen = 0;
    if (provenance_predicate(pi, &pred, &plen, err) < 0)
        return -1;
    struct intoto_subject s = {subject_name, pi->image_digest};
    return intoto_statement(PROVENANCE_PREDICATE_TYPE, &s, 1, pred, plen, out, len, err);
}
