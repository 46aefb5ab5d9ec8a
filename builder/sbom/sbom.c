#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "digest/digest.h"
#include "purl.h"
#include "sbom_doc.h"
#include "text.h"
#include "util.h"

#define SBOM_MAX_ID_LABEL 64 /* characters of a name kept in an SPDXID */

const char *sbom_pkg_type_name(enum sbom_pkg_type t)
{
    static const char *const names[] = {"deb", "apk", "python", "npm", "go", "maven"};
    return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "unknown";
}

const char *sbom_source_kind(enum sbom_pkg_type t)
{
    static const char *const kinds[] = {"dpkg status file",        "apk installed database",
                                        "python package metadata", "npm package.json",
                                        "go module build info",    "java archive"};
    return (unsigned)t < ARRAY_SIZE(kinds) ? kinds[t] : "file";
}

void sbom_format_time(int64_t epoch, char out[21])
{
    const int64_t max = 253402300799; /* 9999-12-31T23:59:59Z */
    time_t t = (time_t)(epoch < 0 ? 0 : epoch > max ? max : epoch);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sbom_uuid(const char *ns, const char *name, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    struct sha256 h;
    unsigned char raw[32];
    sha256_init(&h);
    sha256_update(&h, ns, strlen(ns) + 1);
    sha256_update(&h, name, strlen(name));
    sha256_final_raw(&h, raw);
    raw[6] = (unsigned char)((raw[6] & 0x0f) | 0x50); /* version 5 */
    raw[8] = (unsigned char)((raw[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[raw[i] >> 4];
        out[o++] = hex[raw[i] & 15];
    }
    out[o] = '\0';
}

void sbom_json_set(json_t *obj, const char *key, const char *s)
{
    if (s)
        json_object_set_new(obj, key, json_string(s));
}

int sbom_json_dump(const json_t *doc, char **out, size_t *len, kiln_error_t **err)
{
    char *s = json_dumps(doc, JSON_INDENT(2));
    if (!s)
        return kiln_err(err, KILN_EINTERNAL, 0, "sbom: cannot serialise the document");
    size_t n = strlen(s);
    if (n > SBOM_MAX_DOCUMENT) {
        free(s);
        return kiln_err(err, KILN_ELIMIT, 0, "sbom: document is over %u bytes", SBOM_MAX_DOCUMENT);
    }
    *out = s;
    *len = n;
    return 0;
}

/* 16 hex digits of sha256 over the NUL-separated parts. */
static void sbom_hash16(const char *const *parts, size_t n, char out[17])
{
    struct sha256 h;
    char d[DIGEST_STR_LEN + 1];
    sha256_init(&h);
    for (size_t i = 0; i < n; i++)
        sha256_update(&h, parts[i] ? parts[i] : "", strlen(parts[i] ? parts[i] : "") + 1);
    sha256_final(&h, d);
    memcpy(out, digest_hex(d), 16);
    out[16] = '\0';
}

/* "SPDXRef-<kind>-<label>-<hash>" with label reduced to [A-Za-z0-9.-]. */
static char *sbom_spdxid(const char *kind, const char *label, const char *hash)
{
    char clean[SBOM_MAX_ID_LABEL + 1];
    size_t o = 0;
    for (const char *p = label; *p && o < SBOM_MAX_ID_LABEL; p++) {
        char c = *p;
        bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
        if (ok)
            clean[o++] = c;
        else if (o && clean[o - 1] != '-')
            clean[o++] = '-';
    }
    while (o && clean[o - 1] == '-')
        o--;
    clean[o] = '\0';
    return xasprintf("SPDXRef-%s-%s%s%s", kind, clean, o ? "-" : "", hash);
}

void sbom_image_ref(const char *ref, char **repo, char **name, char **tag)
{
    size_t n = strcspn(ref, "@");
    const char *slash = memrchr(ref, '/', n);
    const char *colon = memrchr(ref, ':', n);
    *tag = NULL;
    if (colon && (!slash || colon > slash)) {
        *tag = xstrndup(colon + 1, (size_t)(ref + n - colon - 1));
        n = (size_t)(colon - ref);
    }
    *repo = xstrndup(ref, n);
    const char *last = slash && slash < ref + n ? slash + 1 : ref;
    *name = xstrndup(last, (size_t)(ref + n - last));
    str_lower(*name);
}

static char *sbom_image_purl(const struct sbom_image_info *info, const char *ref)
{
    cleanup_free char *repo = NULL, *name = NULL, *tag = NULL;
    sbom_image_ref(ref, &repo, &name, &tag);
    const char *repo_url = info->repository_url;
    if (!repo_url && strchr(repo, '/'))
        repo_url = repo;
    struct purl_qualifier q[] = {{"arch", info->arch}, {"repository_url", repo_url}, {"tag", tag}};
    return purl_build("oci", NULL, *name ? name : "image", info->manifest_digest, q, ARRAY_SIZE(q));
}

static void sbom_entry_init(struct sbom_entry *e, struct pkg *p)
{
    const char *type = sbom_pkg_type_name(p->type);
    const char *key[] = {type, p->group, p->name, p->version, p->arch};
    char hash[17];
    sbom_hash16(key, ARRAY_SIZE(key), hash);
    cleanup_free char *label = p->group ? xasprintf("%s-%s", p->group, p->name) : NULL;
    cleanup_free char *kind = xasprintf("Package-%s", type);
    e->p = p;
    e->spdxid = sbom_spdxid(kind, label ? label : p->name, hash);
    e->ref = xstrdup(p->purl);
    e->has_lic = license_parse(p->license, &e->lic);
    e->os_pkg = p->type == SBOM_PKG_DEB || p->type == SBOM_PKG_APK;
}

static int ref_cmp(const void *a, const void *b)
{
    const struct sbom_entry *x = *(struct sbom_entry *const *)a,
                            *y = *(struct sbom_entry *const *)b;
    int r = strcmp(x->ref, y->ref);
    return r ? r : strcmp(x->spdxid, y->spdxid);
}

/* Two packages can share a purl (a Python package found twice under different names, say):
 * CycloneDX needs unique bom-refs, so the later ones get a package-id qualifier. */
static void sbom_unique_refs(struct sbom_doc *d)
{
    if (d->n < 2)
        return;
    cleanup_free struct sbom_entry **v = xcalloc(d->n, sizeof(*v));
    for (size_t i = 0; i < d->n; i++)
        v[i] = &d->e[i];
    qsort(v, d->n, sizeof(*v), ref_cmp);
    for (size_t i = 1; i < d->n; i++) {
        if (strcmp(v[i]->p->purl, v[i - 1]->p->purl) != 0)
            continue;
        const char *id = v[i]->spdxid + strlen(v[i]->spdxid) - 16;
        char *r = xasprintf("%s%cpackage-id=%s", v[i]->p->purl,
                            strchr(v[i]->p->purl, '?') ? '&' : '?', id);
        free(v[i]->ref);
        v[i]->ref = r;
    }
}

static void sbom_doc_build(struct sbom_doc *d, struct catalog_ctx *c,
                           const struct sbom_image_info *info)
{
    memset(d, 0, sizeof(*d));
    d->info = info;
    d->os = &c->os;
    d->name = text_clean_str(info->name);
    d->image_purl = sbom_image_purl(info, d->name);
    d->image_spdxid = xasprintf("SPDXRef-ContainerImage-%.16s", digest_hex(info->manifest_digest));
    if (c->os.id) {
        const char *key[] = {"os", c->os.id, c->os.version_id};
        char hash[17];
        sbom_hash16(key, ARRAY_SIZE(key), hash);
        d->os_spdxid = sbom_spdxid("OperatingSystem", c->os.id, hash);
        d->os_ref = xasprintf("os:%s@%s", c->os.id, c->os.version_id ? c->os.version_id : "");
    }
    sbom_format_time(info->epoch, d->created);
    d->e = xcalloc(c->pkgs.n ? c->pkgs.n : 1, sizeof(*d->e));
    d->n = c->pkgs.n;
    for (size_t i = 0; i < d->n; i++) {
        struct pkg *p = c->pkgs.v[i];
        p->purl = purl_for_pkg(p, &c->os);
        sbom_entry_init(&d->e[i], p);
    }
    sbom_unique_refs(d);
}

static void sbom_doc_release(struct sbom_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->e[i].spdxid);
        free(d->e[i].ref);
        license_release(&d->e[i].lic);
    }
    free(d->e);
    free(d->name);
    free(d->image_purl);
    free(d->image_spdxid);
    free(d->os_spdxid);
    free(d->os_ref);
    memset(d, 0, sizeof(*d));
}

static void sbom_fill_result(struct sbom_result *out, struct catalog_ctx *c)
{
    for (size_t i = 0; i < c->pkgs.n; i++)
        out->counts[c->pkgs.v[i]->type]++;
    out->total = c->pkgs.n;
    out->os_id = c->os.id ? xstrdup(c->os.id) : NULL;
    out->os_version = c->os.version_id ? xstrdup(c->os.version_id) : NULL;
    out->warnings = c->warnings ? steal_ptr(c->warnings) : xcalloc(1, sizeof(char *));
    out->n_warnings = c->n_warnings;
    c->n_warnings = 0;
}

int sbom_generate(struct view *rootfs, const struct sbom_image_info *info, struct sbom_result *out,
                  kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_free char *name = info ? text_clean_str(info->name) : NULL;
    if (!name)
        return kiln_err(err, KILN_EINPUT, 0, "sbom: the image has no name");
    if (!digest_valid(info->manifest_digest))
        return kiln_err(err, KILN_EINPUT, 0, "sbom: bad image manifest digest '%s'",
                        info->manifest_digest ? info->manifest_digest : "");
    struct catalog_ctx c;
    catalog_init(&c, rootfs);
    catalog_run(&c);
    struct sbom_doc d;
    sbom_doc_build(&d, &c, info);
    struct sbom_result r = {0};
    int ret = sbom_spdx_write(&d, &r.spdx_json, &r.spdx_len, err);
    if (ret == 0)
        ret = sbom_cdx_write(&d, &r.cdx_json, &r.cdx_len, err);
    sbom_doc_release(&d);
    if (ret == 0) {
        sbom_fill_result(&r, &c);
        *out = r;
    } else {
        sbom_result_release(&r);
    }
    catalog_release(&c);
    return ret;
}

void sbom_result_release(struct sbom_result *r)
{
    free(r->spdx_json);
    free(r->cdx_json);
    free(r->os_id);
    free(r->os_version);
    strv_free(r->warnings);
    memset(r, 0, sizeof(*r));
}
