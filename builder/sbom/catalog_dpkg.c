/* dpkg: the status database var/lib/dpkg/status, and var/lib/dpkg/status.d/ where distroless
 * images keep one stanza file per package. */
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

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

/* The License: fields of a machine-readable debian/copyright (DEP-5), each once, in order,
 * '\n'-separated as license.h expects; for a free-form file, the common-licenses it points
 * to. The file is informational: only its first CATALOG_MAX_DPKG_COPYRIGHT bytes are read. */
/* -1 when the list is full (CATALOG_MAX_DPKG_COPYRIGHT). */
static int dpkg_license_add(struct buf *b, const char *v, size_t n)
{
    cleanup_free char *clean = text_clean(v, n);
    if (!clean)
        return 0;
    for (const char *p = buf_str(b); *p;) {
        size_t l = strcspn(p, "\n");
        if (l == strlen(clean) && !memcmp(p, clean, l))
            return 0;
        p += l + (p[l] ? 1 : 0);
    }
    return buf_addf(b, NULL, "%s%s", b->len ? "\n" : "", clean);
}

/* A line naming /usr/share/common-licenses/NAME, in a copyright file without License: fields. */
static int dpkg_license_file(struct buf *b, const char *text, size_t len, const char *line,
                             size_t n)
{
    static const char common[] = "/usr/share/common-licenses/";
    const char *c = memmem(line, n, common, sizeof(common) - 1);
    if (!c || memmem(text, len, "\nLicense:", 9))
        return 0;
    const char *name = c + sizeof(common) - 1, *end = line + n;
    size_t l = 0;
    while (name + l < end && (isalnum((unsigned char)name[l]) || strchr(".-+", name[l])))
        l++;
    while (l && name[l - 1] == '.') /* the end of a sentence */
        l--;
    return dpkg_license_add(b, name, l);
}

static char *dpkg_licenses(struct catalog_ctx *c, const char *pkg, const char *text, size_t len)
{
    cleanup_buf struct buf b = BUF_INIT(CATALOG_MAX_DPKG_COPYRIGHT);
    for (size_t i = 0; i < len;) {
        const char *line = text + i, *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        i += n + 1;
        int rc = n > 8 && !strncasecmp(line, "License:", 8)
                     ? dpkg_license_add(&b, line + 8, n - 8)
                     : dpkg_license_file(&b, text, len, line, n);
        if (rc < 0) {
            catalog_warn(c, "dpkg: %s: licenses past %u bytes left out", pkg,
                         CATALOG_MAX_DPKG_COPYRIGHT);
            break;
        }
    }
    return b.len ? buf_detach(&b) : NULL;
}

static char *dpkg_copyright(struct catalog_ctx *c, const char *pkg)
{
    cleanup_free char *path = xasprintf("/usr/share/doc/%s/copyright", pkg);
    cleanup_close int fd = view_open(c->v, path);
    if (fd < 0)
        return NULL;
    cleanup_free char *data = xmalloc(CATALOG_MAX_DPKG_COPYRIGHT);
    size_t len = 0;
    ssize_t r;
    while (len < CATALOG_MAX_DPKG_COPYRIGHT &&
           (r = read(fd, data + len, CATALOG_MAX_DPKG_COPYRIGHT - len)) > 0)
        len += (size_t)r;
    return dpkg_licenses(c, pkg, data, len);
}

static void dpkg_stanza(struct catalog_ctx *c, const struct stanza *st, const char *path)
{
    if (!dpkg_installed(stanza_get(st, "Status")))
        return;
    cleanup_pkg struct pkg *p = pkg_new(SBOM_PKG_DEB);
    p->name = text_clean_str(stanza_get(st, "Package"));
    p->version = text_clean_str(stanza_get(st, "Version"));
    p->arch = text_clean_str(stanza_get(st, "Architecture"));
    p->supplier = pkg_supplier(stanza_get(st, "Maintainer"), false);
    p->homepage = text_clean_str(stanza_get(st, "Homepage"));
    p->location = xstrdup(path);
    if (!p->name || !p->version) {
        catalog_warn(c, "dpkg: '%s': a stanza without Package or Version: skipped", path);
        return;
    }
    dpkg_source(p, stanza_get(st, "Source"));
    if (!strchr(p->name, '/'))
        p->license = dpkg_copyright(c, p->name);
    catalog_add(c, steal_ptr(p));
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
