/* CycloneDX 1.6 JSON: metadata.component is the image (type container, its pkg:oci purl), the
 * components are the operating system (type operating-system) and every package (type library,
 * with its purl), and the dependency graph says the image holds the OS and the language
 * packages and the OS holds the deb/apk packages. */
#include <ctype.h>
#include <string.h>

#include "json.h"
#include "digest/digest.h"
#include "sbom_doc.h"
#include "util.h"

#define CDX_SPEC_VERSION "1.6"
#define CDX_PROPERTY     "kiln:package:"

static void cdx_property(json_t *props, const char *name, const char *value)
{
    if (!value)
        return;
    cleanup_free char *key = xasprintf(CDX_PROPERTY "%s", name);
    json_array_append_new(props, json_pack("{s:s, s:s}", "name", key, "value", value));
}

/* [{license: {id}}] for one SPDX id, [{license: {name}}] for free text, else an expression. */
static json_t *cdx_licenses(const struct sbom_entry *e)
{
    if (e->lic.single_id)
        return json_pack("[{s:{s:s}}]", "license", "id", e->lic.single_id);
    if (e->lic.free_text)
        return json_pack("[{s:{s:s}}]", "license", "name", e->lic.refs[0].text);
    return json_pack("[{s:s}]", "expression", e->lic.expr);
}

static bool cdx_label_ok(const char *l, size_t n)
{
    if (n == 0 || n > 63 || l[0] == '-' || l[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)l[i]) && l[i] != '-')
            return false;
    return true;
}

/* A conservative check of the schema's idn-email format (RFC 5321 mailbox): dot-atom local
 * part, a domain of at least two labels with an alphabetic top-level label. Anything else is
 * left out of the BOM rather than making it invalid. */
static bool cdx_email_ok(const char *e)
{
    static const char atext[] = "!#$%&'*+/=?^_`{|}~-.";
    const char *at = strrchr(e, '@');
    if (!at || at == e || e[0] == '.' || at[-1] == '.' || strstr(e, "..") || at - e > 64)
        return false;
    for (const char *p = e; p < at; p++)
        if (!isalnum((unsigned char)*p) && !strchr(atext, *p))
            return false;
    const char *label = at + 1, *dot;
    size_t labels = 0;
    while ((dot = strchr(label, '.'))) {
        if (!cdx_label_ok(label, (size_t)(dot - label)))
            return false;
        labels++;
        label = dot + 1;
    }
    size_t n = strlen(label);
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)label[i]))
            return false;
    return labels >= 1 && n >= 2 && n <= 63;
}

/* "Person: Name (email)" -> {name: "Name", contact: [{email}]}. */
static json_t *cdx_supplier(const char *supplier)
{
    const char *colon = strchr(supplier, ':');
    const char *name = colon ? colon + 2 : supplier;
    const char *paren = strrchr(name, '(');
    size_t n = paren && paren > name ? (size_t)(paren - name - 1) : strlen(name);
    cleanup_free char *nm = xstrndup(name, n);
    json_t *o = json_pack("{s:s}", "name", nm);
    if (paren && paren > name) {
        cleanup_free char *email = xstrndup(paren + 1, strcspn(paren + 1, ")"));
        if (cdx_email_ok(email))
            json_object_set_new(o, "contact", json_pack("[{s:s}]", "email", email));
    }
    return o;
}

static json_t *cdx_properties(const struct pkg *p)
{
    json_t *props = json_array();
    cdx_property(props, "arch", p->arch);
    cdx_property(props, "location", p->location);
    cdx_property(props, "source-name", p->src_name);
    cdx_property(props, "source-version", p->src_version);
    cdx_property(props, "type", sbom_pkg_type_name(p->type));
    return props;
}

static json_t *cdx_component(const struct sbom_entry *e)
{
    const struct pkg *p = e->p;
    json_t *o = json_pack("{s:s, s:s}", "bom-ref", e->ref, "type", "library");
    if (p->supplier)
        json_object_set_new(o, "supplier", cdx_supplier(p->supplier));
    sbom_json_set(o, "group", p->group);
    sbom_json_set(o, "name", p->name);
    sbom_json_set(o, "version", p->version);
    if (p->sha1)
        json_object_set_new(o, "hashes",
                            json_pack("[{s:s, s:s}]", "alg", "SHA-1", "content", p->sha1));
    if (e->has_lic)
        json_object_set_new(o, "licenses", cdx_licenses(e));
    sbom_json_set(o, "purl", p->purl);
    json_object_set_new(o, "properties", cdx_properties(p));
    return o;
}

static json_t *cdx_os(const struct sbom_doc *d)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "bom-ref", d->os_ref, "type", "operating-system",
                          "name", d->os->id);
    sbom_json_set(o, "version", d->os->version_id);
    sbom_json_set(o, "description", d->os->pretty_name);
    return o;
}

static json_t *cdx_metadata(const struct sbom_doc *d)
{
    json_t *tool = json_pack("{s:s, s:s, s:s}", "type", "application", "name", "kiln", "version",
                             KILN_VERSION);
    json_t *image =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "bom-ref", d->image_purl, "type", "container",
                  "name", d->name, "version", d->info->manifest_digest, "purl", d->image_purl);
    return json_pack("{s:s, s:{s:[o]}, s:o}", "timestamp", d->created, "tools", "components", tool,
                     "component", image);
}

static json_t *cdx_dependencies(const struct sbom_doc *d)
{
    json_t *img = json_array();
    cleanup_json json_t *os = json_array();
    if (d->os_ref)
        json_array_append_new(img, json_string(d->os_ref));
    for (size_t i = 0; i < d->n; i++) {
        bool in_os = d->e[i].os_pkg && d->os_ref;
        json_array_append_new(in_os ? os : img, json_string(d->e[i].ref));
    }
    json_t *deps = json_pack("[{s:s, s:o}]", "ref", d->image_purl, "dependsOn", img);
    if (d->os_ref)
        json_array_append_new(deps, json_pack("{s:s, s:O}", "ref", d->os_ref, "dependsOn", os));
    return deps;
}

int sbom_cdx_write(const struct sbom_doc *d, char **out, size_t *len, kiln_error_t **err)
{
    char serial[37];
    sbom_uuid("https://kiln.dev/cyclonedx", d->info->manifest_digest, serial);
    cleanup_free char *urn = xasprintf("urn:uuid:%s", serial);
    cleanup_json json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:i}", "$schema",
                  "http://cyclonedx.org/schema/bom-" CDX_SPEC_VERSION ".schema.json", "bomFormat",
                  "CycloneDX", "specVersion", CDX_SPEC_VERSION, "serialNumber", urn, "version", 1);
    json_object_set_new(doc, "metadata", cdx_metadata(d));
    json_t *comps = json_array();
    if (d->os_ref)
        json_array_append_new(comps, cdx_os(d));
    for (size_t i = 0; i < d->n; i++)
        json_array_append_new(comps, cdx_component(&d->e[i]));
    json_object_set_new(doc, "components", comps);
    json_object_set_new(doc, "dependencies", cdx_dependencies(d));
    return sbom_json_dump(doc, out, len, err);
}
