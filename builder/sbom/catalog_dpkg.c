/* dpkg: the status database var/lib/dpkg/status, and var/lib/dpkg/status.d/ where distroless
 * images keep one stanza file per package. */
#include <string.h>

#include "catalog.h"
#include "stanza.h"
#include "text.h"
#include "util.h"

#define DPKG_STATUS  "/var/lib/dpkg/status"
#define DPKG_STATUSD "/var/lib/dpkg/status.d"

static const char *const dpkg_keys[] = {"Package", "Status",     "Version",  "Architecture",
                                        "Source",  "Maintainer", "Homepage", NULL};

/* Only states in which the package's files are on disk count as installed. */
static bool dpkg_installed(const char *status)
{
    if (!status)
        return true; /* status.d stanzas carry no Status */
    const char *state = strrchr(status, ' ');
    state = state ? state + 1 : status;
    return strcmp(state, "not-installed") != 0 && strcmp(state, "config-files") != 0;
}

/* "Source: name" or "Source: name (version)". */
static void dpkg_source(struct pkg *p, const char *src)
{
    if (!src)
        return;
    const char *paren = strchr(src, '(');
    size_t n = paren ? (size_t)(paren - src) : strlen(src);
    p->src_name = text_clean(src, n);
    if (paren) {
        const char *close = strchr(paren, ')');
        p->src_version = text_clean(paren + 1, close ? (size_t)(close - paren - 1) : 0);
    }
    if (p->src_name && !strcmp(p->src_name, p->name)) {
        free(p->src_name);
        p->src_name = NULL;
    }
    if (p->src_version && p->version && !strcmp(p->src_version, p->version)) {
        free(p->src_version);
        p->src_version = NULL;
    }
}

static void dpkg_stanza(struct catalog_ctx *c, const struct stanza *st, const char *path)
{
    if (!dpkg_installed(stanza_get(st, "Status")))
        return;
    struct pkg *p = pkg_new(SBOM_PKG_DEB);
    p->name = text_clean_str(stanza_get(st, "Package"));
    p->version = text_clean_str(stanza_get(st, "Version"));
    p->arch = text_clean_str(stanza_get(st, "Architecture"));
    p->supplier = pkg_supplier(stanza_get(st, "Maintainer"), false);
    p->homepage = text_clean_str(stanza_get(st, "Homepage"));
    p->location = xstrdup(path);
    if (!p->name || !p->version) {
        catalog_warn(c, "dpkg: '%s': a stanza without Package or Version: skipped", path);
        pkg_free(p);
        return;
    }
    dpkg_source(p, stanza_get(st, "Source"));
    catalog_add(c, p);
}

static void dpkg_parse_file(struct catalog_ctx *c, const char *path, size_t max)
{
    cleanup_free char *data = NULL;
    size_t len = 0, pos = 0;
    if (catalog_read(c, path, max, "dpkg", true, &data, &len) < 0)
        return;
    cleanup_stanza struct stanza st;
    stanza_init(&st, STANZA_DEB, dpkg_keys);
    while (stanza_next(&st, data, len, &pos))
        dpkg_stanza(c, &st, path);
}

static void dpkg_scan(struct catalog_ctx *c)
{
    dpkg_parse_file(c, DPKG_STATUS, CATALOG_MAX_DPKG_STATUS);
    cleanup_strv char **names = NULL;
    size_t n = 0;
    if (view_list(c->v, DPKG_STATUSD, &names, &n) < 0)
        return;
    if (n > CATALOG_MAX_DPKG_FILES) {
        catalog_warn(c, "dpkg: '%s' has more than %u files: only the first are read", DPKG_STATUSD,
                     CATALOG_MAX_DPKG_FILES);
        n = CATALOG_MAX_DPKG_FILES;
    }
    for (size_t i = 0; i < n; i++) {
        if (str_has_suffix(names[i], ".md5sums") || str_has_suffix(names[i], ".list") ||
            names[i][0] == '.')
            continue;
        cleanup_free char *path = catalog_path_join(DPKG_STATUSD, names[i]);
        dpkg_parse_file(c, path, CATALOG_MAX_DPKG_STATUSD);
    }
}

const struct cataloger catalog_dpkg = {
    .name = "dpkg",
    .scan = dpkg_scan,
};
