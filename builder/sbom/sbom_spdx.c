/* SPDX 2.3 JSON, in the shape Trivy and Grype read: the document DESCRIBES a CONTAINER package
 * for the image (with its pkg:oci purl); the image CONTAINS an OPERATING_SYSTEM package (name =
 * os-release ID, version = VERSION_ID), which CONTAINS the deb/apk packages; the image CONTAINS
 * the language packages. Every package carries its purl as a PACKAGE-MANAGER external ref. */
#include <string.h>

#include "json.h"
#include "digest/digest.h"
#include "sbom_doc.h"
#include "util.h"

#define SPDX_NAMESPACE_BASE "https://kiln.dev/spdx/"

static json_t *spdx_purl_ref(const char *purl)
{
    return json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER", "referenceType",
                     "purl", "referenceLocator", purl);
}

/* The fields every package has, in a fixed order. */
static json_t *spdx_package(const char *name, const char *spdxid, const char *version)
{
    json_t *o = json_object();
    sbom_json_set(o, "name", name);
    sbom_json_set(o, "SPDXID", spdxid);
    sbom_json_set(o, "versionInfo", version);
    return o;
}

static void spdx_common(json_t *o, const char *supplier, const char *purpose)
{
    sbom_json_set(o, "supplier", supplier ? supplier : "NOASSERTION");
    sbom_json_set(o, "downloadLocation", "NOASSERTION");
    json_object_set_new(o, "filesAnalyzed", json_false());
    sbom_json_set(o, "primaryPackagePurpose", purpose);
}

static json_t *spdx_image(const struct sbom_doc *d)
{
    json_t *o = spdx_package(d->name, d->image_spdxid, d->info->manifest_digest);
    spdx_common(o, NULL, "CONTAINER");
    sbom_json_set(o, "licenseConcluded", "NOASSERTION");
    sbom_json_set(o, "licenseDeclared", "NOASSERTION");
    sbom_json_set(o, "copyrightText", "NOASSERTION");
    json_object_set_new(o, "externalRefs", spdx_purl_ref(d->image_purl));
    return o;
}

static json_t *spdx_os(const struct sbom_doc *d)
{
    json_t *o = spdx_package(d->os->id, d->os_spdxid, d->os->version_id);
    spdx_common(o, NULL, "OPERATING_SYSTEM");
    sbom_json_set(o, "licenseConcluded", "NOASSERTION");
    sbom_json_set(o, "licenseDeclared", "NOASSERTION");
    sbom_json_set(o, "copyrightText", "NOASSERTION");
    sbom_json_set(o, "description", d->os->pretty_name);
    return o;
}

static char *spdx_source_info(const struct pkg *p)
{
    if (p->type == SBOM_PKG_DEB)
        return xasprintf("built package from: %s %s", p->src_name ? p->src_name : p->name,
                         p->src_version ? p->src_version : p->version);
    return xasprintf("acquired package info from %s: %s", sbom_source_kind(p->type),
                     p->location ? p->location : "/");
}

static json_t *spdx_pkg(const struct sbom_entry *e)
{
    const struct pkg *p = e->p;
    json_t *o = spdx_package(p->name, e->spdxid, p->version);
    spdx_common(o, p->supplier, "LIBRARY");
    if (p->sha1)
        json_object_set_new(
            o, "checksums",
            json_pack("[{s:s, s:s}]", "algorithm", "SHA1", "checksumValue", p->sha1));
    if (p->homepage &&
        (str_has_prefix(p->homepage, "https://") || str_has_prefix(p->homepage, "http://")))
        sbom_json_set(o, "homepage", p->homepage);
    cleanup_free char *src = spdx_source_info(p);
    sbom_json_set(o, "sourceInfo", src);
    sbom_json_set(o, "licenseConcluded", "NOASSERTION");
    sbom_json_set(o, "licenseDeclared", e->has_lic ? e->lic.expr : "NOASSERTION");
    sbom_json_set(o, "copyrightText", "NOASSERTION");
    json_object_set_new(o, "externalRefs", spdx_purl_ref(p->purl));
    return o;
}

static void spdx_rel(json_t *rels, const char *a, const char *type, const char *b)
{
    json_array_append_new(rels, json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType",
                                          type, "relatedSpdxElement", b));
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every LicenseRef used, once, sorted by id (the entries are in package order). */
static json_t *spdx_extracted(const struct sbom_doc *d)
{
    cleanup_json json_t *byid = json_object();
    for (size_t i = 0; i < d->n; i++)
        for (size_t k = 0; d->e[i].has_lic && k < d->e[i].lic.nrefs; k++) {
            const struct license_ref *r = &d->e[i].lic.refs[k];
            if (!json_object_get(byid, r->id))
                json_object_set_new(byid, r->id, json_string(r->text));
        }
    const char **ids = xcalloc(json_object_size(byid) + 1, sizeof(*ids));
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(byid, k, v)
    {
        ids[n++] = k;
    }
    qsort(ids, n, sizeof(*ids), str_ptr_cmp);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:O, s:s}", "licenseId", ids[i],
                                             "extractedText", json_object_get(byid, ids[i]), "name",
                                             ids[i] + strlen("LicenseRef-")));
    free(ids);
    return arr;
}

/* documentNamespace: unique per image, derived from the name and the manifest digest. */
static char *spdx_namespace(const struct sbom_doc *d)
{
    cleanup_free char *name = xstrdup(d->name);
    for (char *c = name; *c; c++) {
        bool ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_';
        if (!ok)
            *c = '-';
    }
    return xasprintf(SPDX_NAMESPACE_BASE "%s-%s", name, digest_hex(d->info->manifest_digest));
}

static json_t *spdx_relationships(const struct sbom_doc *d)
{
    json_t *rels = json_array();
    spdx_rel(rels, "SPDXRef-DOCUMENT", "DESCRIBES", d->image_spdxid);
    if (d->os_spdxid)
        spdx_rel(rels, d->image_spdxid, "CONTAINS", d->os_spdxid);
    for (size_t i = 0; i < d->n; i++) {
        bool in_os = d->e[i].os_pkg && d->os_spdxid;
        spdx_rel(rels, in_os ? d->os_spdxid : d->image_spdxid, "CONTAINS", d->e[i].spdxid);
    }
    return rels;
}

int sbom_spdx_write(const struct sbom_doc *d, char **out, size_t *len, kiln_error_t **err)
{
    cleanup_free char *ns = spdx_namespace(d);
    cleanup_free char *tool = xasprintf("Tool: kiln-%s", KILN_VERSION);
    cleanup_json json_t *doc = json_object();
    sbom_json_set(doc, "spdxVersion", "SPDX-2.3");
    sbom_json_set(doc, "dataLicense", "CC0-1.0");
    sbom_json_set(doc, "SPDXID", "SPDXRef-DOCUMENT");
    sbom_json_set(doc, "name", d->name);
    sbom_json_set(doc, "documentNamespace", ns);
    json_object_set_new(doc, "creationInfo",
                        json_pack("{s:[s, s], s:s}", "creators", "Organization: kiln", tool,
                                  "created", d->created));
    json_object_set_new(doc, "documentDescribes", json_pack("[s]", d->image_spdxid));
    json_t *pkgs = json_array();
    json_array_append_new(pkgs, spdx_image(d));
    if (d->os_spdxid)
        json_array_append_new(pkgs, spdx_os(d));
    for (size_t i = 0; i < d->n; i++)
        json_array_append_new(pkgs, spdx_pkg(&d->e[i]));
    json_object_set_new(doc, "packages", pkgs);
    cleanup_json json_t *extracted = spdx_extracted(d);
    if (json_array_size(extracted))
        json_object_set(doc, "hasExtractedLicensingInfos", extracted);
    json_object_set_new(doc, "relationships", spdx_relationships(d));
    return sbom_json_dump(doc, out, len, err);
}
