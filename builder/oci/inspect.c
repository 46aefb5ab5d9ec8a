/* kiln inspect (kiln/inspect.h): the image a reference of an OCI layout names, its config
 * summary and its attestations, every blob checked against its digest. Read-only: no store. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "kiln/inspect.h"
#include "json.h"
#include "layout.h"
#include "util.h"

#define INSPECT_MAX_STATEMENT (64u * 1024 * 1024)
#define INSPECT_MAX_PURL_TYPE 31 /* characters of a purl type kept in the summary */

struct inspect_result {
    char index_digest[DIGEST_STR_LEN + 1]; /* "" when index.json names the manifest */
    char manifest_digest[DIGEST_STR_LEN + 1];
    json_t *manifest;
    json_t *config;
    json_t *attestations; /* the in-toto statements of the attestation layers */
};

/* Reads a blob of the layout, checking its digest and size. */
static json_t *read_blob(int dirfd, const char *dir, const struct oci_desc *d, size_t max,
                         kiln_error_t **err)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(d->digest));
    cleanup_close int fd = open_in_root(dirfd, rel, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0) {
        kiln_err_errno(err, KILN_EINPUT, "layout '%s': blob %s", dir, d->digest);
        return NULL;
    }
    cleanup_free char *data = NULL;
    size_t len;
    if (read_fd_limited(fd, max, &data, &len, err) < 0)
        return kiln_err_wrap(err, "layout '%s': blob %s", dir, d->digest), NULL;
    char got[DIGEST_STR_LEN + 1];
    sha256_buf(data, len, got);
    if (strcmp(got, d->digest) || len != d->size) {
        kiln_err(err, KILN_ECORRUPT, 0, "layout '%s': blob %s does not match its digest", dir,
                 d->digest);
        return NULL;
    }
    return json_parse_object(data, len, max, d->media_type, err);
}

static int read_attestations(int dirfd, const char *dir, json_t *att_manifest,
                             struct inspect_result *r, kiln_error_t **err)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(att_manifest, "layers"), i, l)
    {
        struct oci_desc d;
        if (desc_parse(l, "attestation", &d, err) < 0)
            return -1;
        json_t *st = read_blob(dirfd, dir, &d, INSPECT_MAX_STATEMENT, err);
        if (!st)
            return -1;
        json_array_append_new(r->attestations, st);
    }
    return 0;
}

/* A nested index: the image manifest (first non-attestation) and its attestations. */
static int walk_index(int dirfd, const char *dir, json_t *idx, struct inspect_result *r,
                      struct oci_desc *image, kiln_error_t **err)
{
    size_t i;
    json_t *m;
    bool have = false;
    json_array_foreach(json_object_get(idx, "manifests"), i, m)
    {
        struct oci_desc d;
        if (desc_parse(m, "index", &d, err) < 0)
            return -1;
        const char *type = json_string_value(
            json_object_get(json_object_get(m, "annotations"), "vnd.docker.reference.type"));
        if (!type && !have) {
            *image = d;
            have = true;
        } else if (type && !strcmp(type, "attestation-manifest")) {
            cleanup_json json_t *am = read_blob(dirfd, dir, &d, STORE_MAX_JSON, err);
            if (!am || read_attestations(dirfd, dir, am, r, err) < 0)
                return -1;
        }
    }
    return have ? 0 : kiln_err(err, KILN_EINPUT, 0, "layout '%s': the index holds no image", dir);
}

/* The image ref names in the layout dir: manifest, config and attestation statements. */
static int layout_inspect(const char *dir, const char *ref, struct inspect_result *r,
                          kiln_error_t **err)
{
    memset(r, 0, sizeof(*r));
    r->attestations = json_array();
    int fd;
    cleanup_json json_t *index = NULL;
    struct oci_desc d;
    if (layout_open(dir, &fd, &index, err) < 0)
        return -1;
    cleanup_close int dirfd = fd;
    if (layout_pick(index, dir, ref, &d, err) < 0)
        return -1;
    if (strstr(d.media_type, "index")) {
        memcpy(r->index_digest, d.digest, sizeof(d.digest));
        cleanup_json json_t *idx = read_blob(dirfd, dir, &d, STORE_MAX_JSON, err);
        if (!idx || walk_index(dirfd, dir, idx, r, &d, err) < 0)
            return -1;
    }
    memcpy(r->manifest_digest, d.digest, sizeof(d.digest));
    if (!(r->manifest = read_blob(dirfd, dir, &d, STORE_MAX_JSON, err)))
        return -1;
    struct oci_desc cd;
    if (desc_parse(json_object_get(r->manifest, "config"), "manifest", &cd, err) < 0)
        return -1;
    r->config = read_blob(dirfd, dir, &cd, STORE_MAX_JSON, err);
    return r->config ? 0 : -1;
}

static void inspect_result_release(struct inspect_result *r)
{
    json_decref(r->manifest);
    json_decref(r->config);
    json_decref(r->attestations);
    memset(r, 0, sizeof(*r));
}

/* ---- the summary ---- */

static char *string_or_null(json_t *j)
{
    const char *s = json_string_value(j);
    return s ? xstrdup(s) : NULL;
}

/* "pkg:TYPE/..." -> TYPE; "other" without a purl. */
static char *purl_type(const char *purl)
{
    if (!purl || strncmp(purl, "pkg:", 4))
        return xstrdup("other");
    size_t n = strcspn(purl + 4, "/@");
    return xstrndup(purl + 4, n < INSPECT_MAX_PURL_TYPE ? n : INSPECT_MAX_PURL_TYPE);
}

static void count_type(struct kiln_sbom_summary *s, char *type)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (!strcmp(s->types[i].name, type)) {
            s->types[i].n++;
            free(type);
            return;
        }
    s->types = xrealloc(s->types, (s->ntypes + 1) * sizeof(*s->types));
    s->types[s->ntypes++] = (struct kiln_count){type, 1};
}

/* The first purl of each package of an SPDX statement, counted by type; the image itself (an
 * "oci" purl) is not a package of it. */
static void summarise_spdx(json_t *statement, struct kiln_sbom_summary *s)
{
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(json_object_get(statement, "predicate"), "packages"), k, p)
    {
        size_t r;
        json_t *ref;
        json_array_foreach(json_object_get(p, "externalRefs"), r, ref)
        {
            char *type = purl_type(json_string_value(json_object_get(ref, "referenceLocator")));
            if (!strcmp(type, "oci")) {
                free(type);
                continue;
            }
            count_type(s, type);
            s->packages++;
            break;
        }
    }
}

static void summarise_sboms(json_t *atts, struct kiln_inspect_result *out)
{
    size_t i;
    json_t *st;
    json_array_foreach(atts, i, st)
    {
        const char *pt = json_string_value(json_object_get(st, "predicateType"));
        if (!pt || !str_has_prefix(pt, "https://spdx.dev/Document"))
            continue;
        out->sboms = xrealloc(out->sboms, (out->nsboms + 1) * sizeof(*out->sboms));
        struct kiln_sbom_summary *s = &out->sboms[out->nsboms++];
        memset(s, 0, sizeof(*s));
        summarise_spdx(st, s);
    }
}

static void summarise(const struct inspect_result *r, struct kiln_inspect_result *out)
{
    snprintf(out->index_digest, sizeof(out->index_digest), "%s", r->index_digest);
    snprintf(out->manifest_digest, sizeof(out->manifest_digest), "%s", r->manifest_digest);
    out->os = string_or_null(json_object_get(r->config, "os"));
    out->architecture = string_or_null(json_object_get(r->config, "architecture"));
    out->created = string_or_null(json_object_get(r->config, "created"));
    out->user = string_or_null(json_object_get(json_object_get(r->config, "config"), "User"));
    json_t *layers = json_object_get(r->manifest, "layers");
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) out->layers_size +=
        (uint64_t)json_integer_value(json_object_get(l, "size"));
    out->nlayers = json_array_size(layers);
    out->nattestations = json_array_size(r->attestations);
    summarise_sboms(r->attestations, out);
}

int kiln_inspect(const char *layout, struct kiln_inspect_result *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_free char *dir = NULL, *ref = NULL;
    layout_split_ref(layout, &dir, &ref);
    struct inspect_result r;
    int rc = layout_inspect(dir, ref, &r, err);
    if (rc == 0)
        summarise(&r, out);
    inspect_result_release(&r);
    return rc;
}

void kiln_inspect_result_release(struct kiln_inspect_result *r)
{
    free(r->os);
    free(r->architecture);
    free(r->created);
    free(r->user);
    for (size_t i = 0; i < r->nsboms; i++) {
        for (size_t k = 0; k < r->sboms[i].ntypes; k++)
            free(r->sboms[i].types[k].name);
        free(r->sboms[i].types);
    }
    free(r->sboms);
    memset(r, 0, sizeof(*r));
}
