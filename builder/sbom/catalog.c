#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "fsutil.h"
#include "util.h"

/* The registration table: fixed-path scans run in this order, then one walk serves every
 * cataloger that has a match function. */
static const struct cataloger *const catalogers[] = {
    &catalog_osrelease, &catalog_dpkg, &catalog_apk,  &catalog_python,
    &catalog_npm,       &catalog_go,   &catalog_java,
};

/* Not walked: pseudo filesystems (an unpacked image should not have them, a live one must
 * not be walked into), and large trees of documentation and data that never hold a package
 * database, an executable or an archive (in a Debian minbase image they are two thirds of all
 * entries, and every entry costs a lookup through the layers). */
static const char *const walk_skip[] = {
    "/proc",
    "/sys",
    "/dev",
    "/usr/share/doc",
    "/usr/share/man",
    "/usr/share/info",
    "/usr/share/locale",
    "/usr/share/i18n",
    "/usr/share/zoneinfo",
    "/usr/share/common-licenses",
    "/usr/share/lintian",
    "/usr/share/bash-completion",
    "/usr/lib/locale",
    "/var/lib/dpkg/info",
    "/var/cache/debconf",
    "/var/lib/apt/lists",
    "/usr/share/terminfo",
    "/usr/share/icons",
    "/usr/share/fonts",
    "/usr/share/mime",
};

void catalog_init(struct catalog_ctx *c, struct view *v)
{
    memset(c, 0, sizeof(*c));
    c->v = v;
    c->pkgs.max = CATALOG_MAX_PACKAGES;
}

void catalog_release(struct catalog_ctx *c)
{
    pkg_list_release(&c->pkgs);
    char **os[] = {&c->os.id,   &c->os.version_id,  &c->os.version_codename,
                   &c->os.name, &c->os.pretty_name, &c->os.debian_version};
    for (size_t i = 0; i < ARRAY_SIZE(os); i++) {
        free(*os[i]);
        *os[i] = NULL;
    }
    strv_free(c->warnings);
    c->warnings = NULL;
    c->n_warnings = 0;
}

void catalog_warn(struct catalog_ctx *c, const char *fmt, ...)
{
    if (c->n_warnings >= CATALOG_MAX_WARNINGS) {
        c->more_warnings++;
        return;
    }
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r >= 0)
        strv_push(&c->warnings, &c->n_warnings, msg);
}

void catalog_add(struct catalog_ctx *c, struct pkg *p)
{
    size_t before = c->pkgs.dropped;
    pkg_list_add(&c->pkgs, p);
    if (c->pkgs.dropped == 1 && before == 0)
        catalog_warn(c, "more than %u packages: the rest are left out of the SBOM",
                     CATALOG_MAX_PACKAGES);
}

int catalog_read(struct catalog_ctx *c, const char *path, size_t max, const char *what,
                 bool quiet_missing, char **data, size_t *len)
{
    cleanup_close int fd = view_open(c->v, path);
    if (fd < 0) {
        if (!(quiet_missing && (errno == ENOENT || errno == ENOTDIR)))
            catalog_warn(c, "%s: cannot read '%s': %s", what, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > max) {
        catalog_warn(c, "%s: '%s' is over the limit of %zu bytes: skipped", what, path, max);
        return -1;
    }
    cleanup_error kiln_error_t *e = NULL;
    if (read_fd_limited(fd, max, data, len, &e) < 0) {
        catalog_warn(c, "%s: cannot read '%s': %s", what, path, e->msg);
        return -1;
    }
    return 0;
}

char *catalog_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n && dir[n - 1] == '/')
        n--;
    return xasprintf("%.*s/%s", (int)n, dir, name);
}

void catalog_path_parents(const char *path, const char **parent, size_t *parent_len,
                          const char **grand, size_t *grand_len)
{
    const char *end = strrchr(path, '/');
    *parent = *grand = path;
    *parent_len = *grand_len = 0;
    if (!end || end == path)
        return;
    const char *p = end;
    while (p > path && p[-1] != '/')
        p--;
    *parent = p;
    *parent_len = (size_t)(end - p);
    if (p <= path + 1)
        return;
    const char *g_end = p - 1, *g = g_end;
    while (g > path && g[-1] != '/')
        g--;
    *grand = g;
    *grand_len = (size_t)(g_end - g);
}

static bool walk_skipped(const char *path)
{
    for (size_t i = 0; i < ARRAY_SIZE(walk_skip); i++)
        if (!strcmp(path, walk_skip[i]))
            return true;
    return false;
}

static void walk_file(struct catalog_ctx *c, const char *path, const char *base,
                      const struct stat *st)
{
    for (size_t i = 0; i < ARRAY_SIZE(catalogers); i++) {
        const struct cataloger *k = catalogers[i];
        if (k->match && k->match(path, base, st))
            k->parse(c, path, st);
    }
}

static void walk_dir(struct catalog_ctx *c, const char *dir, unsigned depth)
{
    if (depth > CATALOG_MAX_DEPTH) {
        catalog_warn(c, "walk: '%s' is deeper than %u levels: not looked into", dir,
                     CATALOG_MAX_DEPTH);
        return;
    }
    cleanup_strv char **names = NULL;
    size_t n = 0;
    if (view_list(c->v, dir, &names, &n) < 0) {
        catalog_warn(c, "walk: cannot list '%s': %s", dir, strerror(errno));
        return;
    }
    for (size_t i = 0; i < n && !c->walk_stopped; i++) {
        if (++c->entries > CATALOG_MAX_ENTRIES) {
            c->walk_stopped = true;
            catalog_warn(c, "walk: stopped after %u entries: packages beyond are not listed",
                         CATALOG_MAX_ENTRIES);
            break;
        }
        cleanup_free char *path = catalog_path_join(dir, names[i]);
        struct stat st;
        if (view_lstat(c->v, path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && !walk_skipped(path))
            walk_dir(c, path, depth + 1);
        else if (S_ISREG(st.st_mode))
            walk_file(c, path, names[i], &st);
    }
}

void catalog_run(struct catalog_ctx *c)
{
    for (size_t i = 0; i < ARRAY_SIZE(catalogers); i++)
        if (catalogers[i]->scan)
            catalogers[i]->scan(c);
    walk_dir(c, "/", 0);
    pkg_list_finish(&c->pkgs);
    if (c->more_warnings) {
        size_t more = c->more_warnings;
        c->more_warnings = 0;
        c->n_warnings--; /* make room for the summary: replace the last one */
        free(c->warnings[c->n_warnings]);
        c->warnings[c->n_warnings] = NULL;
        catalog_warn(c, "%zu more warnings not shown", more + 1);
    }
}
