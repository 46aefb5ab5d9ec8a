#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "purl.h"
#include "util.h"

static int purl_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '~';
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        if ((keep ? buf_addch(b, (char)c, NULL) : buf_add(b, e, 3, NULL)) < 0)
            return -1;
    }
    return 0;
}

/* Each '/'-separated segment of ns escaped on its own; empty segments dropped. */
static int purl_namespace(struct buf *b, const char *ns)
{
    cleanup_free char *copy = xstrdup(ns);
    char *save = NULL;
    for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save))
        if (purl_escape(b, seg) < 0 || buf_addch(b, '/', NULL) < 0)
            return -1;
    return 0;
}

static int qual_cmp(const void *a, const void *b)
{
    return strcmp(((const struct purl_qualifier *)a)->key, ((const struct purl_qualifier *)b)->key);
}

static int purl_qualifiers(struct buf *b, const struct purl_qualifier *q, size_t nq)
{
    struct purl_qualifier sorted[PURL_MAX_QUALIFIERS];
    size_t n = 0;
    for (size_t i = 0; i < nq && n < PURL_MAX_QUALIFIERS; i++)
        if (q[i].value && *q[i].value)
            sorted[n++] = q[i];
    qsort(sorted, n, sizeof(*sorted), qual_cmp);
    for (size_t i = 0; i < n; i++)
        if (buf_addf(b, NULL, "%c%s=", i ? '&' : '?', sorted[i].key) < 0 ||
            purl_escape(b, sorted[i].value) < 0)
            return -1;
    return 0;
}

char *purl_build(const char *type, const char *ns, const char *name, const char *version,
                 const struct purl_qualifier *q, size_t nq)
{
    cleanup_buf struct buf b = BUF_INIT(PURL_MAX_LEN);
    if (buf_addf(&b, NULL, "pkg:%s/", type) < 0 || (ns && purl_namespace(&b, ns) < 0) ||
        purl_escape(&b, name) < 0)
        return NULL;
    if (version && *version && (buf_addch(&b, '@', NULL) < 0 || purl_escape(&b, version) < 0))
        return NULL;
    if (purl_qualifiers(&b, q, nq) < 0)
        return NULL;
    return buf_detach(&b);
}

char *purl_pypi_name(const char *name)
{
    char *out = xmalloc(strlen(name) + 1);
    size_t o = 0;
    for (const char *p = name; *p; p++) {
        if (*p == '-' || *p == '_' || *p == '.') {
            if (o && out[o - 1] != '-')
                out[o++] = '-';
            continue;
        }
        out[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    while (o && out[o - 1] == '-')
        o--;
    out[o] = '\0';
    return out;
}

/* "debian-12": the distro qualifier of deb and apk purls. */
static char *purl_distro(const struct catalog_os *os)
{
    if (!os->id)
        return NULL;
    const char *v = os->version_id ? os->version_id : os->version_codename;
    return v ? xasprintf("%s-%s", os->id, v) : xstrdup(os->id);
}

/* deb: upstream=SRC or SRC@SRCVERSION, only when the source differs from the binary package. */
static char *purl_deb(const struct pkg *p, const struct catalog_os *os)
{
    cleanup_free char *distro = purl_distro(os);
    cleanup_free char *upstream = NULL;
    if (p->src_name || p->src_version) {
        const char *src = p->src_name ? p->src_name : p->name;
        upstream = p->src_version ? xasprintf("%s@%s", src, p->src_version) : xstrdup(src);
    }
    struct purl_qualifier q[] = {{"arch", p->arch}, {"distro", distro}, {"upstream", upstream}};
    const char *ns = os->id && strcmp(os->id, "alpine") ? os->id : "debian";
    return purl_build("deb", ns, p->name, p->version, q, ARRAY_SIZE(q));
}

static char *purl_apk(const struct pkg *p, const struct catalog_os *os)
{
    cleanup_free char *distro = purl_distro(os);
    struct purl_qualifier q[] = {{"arch", p->arch}, {"distro", distro}, {"upstream", p->src_name}};
    const char *ns = os->id ? os->id : "alpine";
    return purl_build("apk", ns, p->name, p->version, q, ARRAY_SIZE(q));
}

/* "@scope/name" -> namespace "@scope" (escaped as %40scope), name "name". */
static char *purl_npm(const struct pkg *p)
{
    const char *slash = p->name[0] == '@' ? strchr(p->name, '/') : NULL;
    if (!slash || slash == p->name + 1 || !slash[1])
        return purl_build("npm", NULL, p->name, p->version, NULL, 0);
    cleanup_free char *scope = xstrndup(p->name, (size_t)(slash - p->name));
    return purl_build("npm", scope, slash + 1, p->version, NULL, 0);
}

/* "github.com/a/b" -> namespace "github.com/a", name "b". */
static char *purl_golang(const struct pkg *p)
{
    const char *slash = strrchr(p->name, '/');
    if (!slash || !slash[1])
        return purl_build("golang", NULL, p->name, p->version, NULL, 0);
    cleanup_free char *ns = xstrndup(p->name, (size_t)(slash - p->name));
    return purl_build("golang", ns, slash + 1, p->version, NULL, 0);
}

char *purl_for_pkg(const struct pkg *p, const struct catalog_os *os)
{
    switch (p->type) {
    case SBOM_PKG_DEB:
        return purl_deb(p, os);
    case SBOM_PKG_APK:
        return purl_apk(p, os);
    case SBOM_PKG_PYTHON: {
        cleanup_free char *name = purl_pypi_name(p->name);
        return purl_build("pypi", NULL, *name ? name : p->name, p->version, NULL, 0);
    }
    case SBOM_PKG_NPM:
        return purl_npm(p);
    case SBOM_PKG_GO:
        return purl_golang(p);
    case SBOM_PKG_MAVEN:
        return purl_build("maven", p->group, p->name, p->version, NULL, 0);
    case SBOM_PKG_NTYPES:
        break;
    }
    return purl_build("generic", NULL, p->name, p->version, NULL, 0);
}
