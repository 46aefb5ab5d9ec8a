/* Go: executables carrying Go build info (gobuild.h). Each gives its main module, its module
 * dependencies (with `replace` directives applied) and the Go standard library it was built
 * with, as runtime/debug.ParseBuildInfo reads the module info lines:
 *   path\tPATH / mod\tPATH\tVERSION[\tSUM] / dep\tPATH\tVERSION[\tSUM] / =>\tPATH\tVERSION\tSUM */
#include <errno.h>
#include <string.h>

#include "catalog.h"
#include "gobuild.h"
#include "text.h"
#include "util.h"

#define GO_MIN_SIZE 64 /* smaller than an ELF header and a program header */

static bool go_match(const char *path, const char *base, const struct stat *st)
{
    (void)path;
    (void)base;
    return (st->st_mode & 0111) && st->st_size >= GO_MIN_SIZE;
}

/* Field i (0-based) of a tab-separated line; NULL when absent. */
static char *go_field(const char *line, size_t n, unsigned i)
{
    const char *p = line, *end = line + n;
    for (; i > 0; i--) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        if (!tab)
            return NULL;
        p = tab + 1;
    }
    const char *tab = memchr(p, '\t', (size_t)(end - p));
    return text_clean(p, tab ? (size_t)(tab - p) : (size_t)(end - p));
}

static struct pkg *go_module(const char *line, size_t n, const char *path)
{
    struct pkg *p = pkg_new(SBOM_PKG_GO);
    p->name = go_field(line, n, 1);
    p->version = go_field(line, n, 2);
    p->location = xstrdup(path);
    if (p->version && !strcmp(p->version, "(devel)")) {
        free(p->version);
        p->version = NULL;
    }
    return p;
}

/* "=> PATH VERSION SUM" replaces the module of the line before it. A replacement by a local
 * directory ("../fork", "./vendor/x", "/src/x": no version, or "(devel)") says nothing about
 * the code's origin, so the original module stays. */
static void go_replace(struct pkg *p, const char *line, size_t n)
{
    cleanup_free char *path = go_field(line, n, 1);
    cleanup_free char *version = go_field(line, n, 2);
    if (!p || !path || !version || path[0] == '.' || path[0] == '/' || !strcmp(version, "(devel)"))
        return;
    free(p->name);
    free(p->version);
    p->name = steal_ptr(path);
    p->version = steal_ptr(version);
}

/* "go1.22.1" -> "1.22.1"; "go1.22.1 X:boringcrypto" -> "1.22.1"; NULL for a devel toolchain. */
static char *go_stdlib_version(const char *vers)
{
    if (!str_has_prefix(vers, "go1"))
        return NULL;
    return text_clean(vers + 2, strcspn(vers + 2, " \t"));
}

static void go_add_stdlib(struct catalog_ctx *c, const char *vers, const char *path)
{
    char *v = go_stdlib_version(vers);
    if (!v)
        return;
    struct pkg *p = pkg_new(SBOM_PKG_GO);
    p->name = xstrdup("stdlib");
    p->version = v;
    p->license = xstrdup("BSD-3-Clause");
    p->location = xstrdup(path);
    catalog_add(c, p);
}

static void go_modinfo(struct catalog_ctx *c, const char *mod, const char *path)
{
    struct pkg *last = NULL; /* owned by the list once added; the one "=>" applies to */
    for (const char *line = mod; *line;) {
        size_t n = strcspn(line, "\n");
        if (str_has_prefix(line, "=>\t")) {
            go_replace(last, line, n);
        } else if (str_has_prefix(line, "mod\t") || str_has_prefix(line, "dep\t")) {
            if (last)
                catalog_add(c, last);
            last = go_module(line, n, path);
        }
        line += n + (line[n] ? 1 : 0);
    }
    if (last)
        catalog_add(c, last);
}

static void go_parse(struct catalog_ctx *c, const char *path, const struct stat *st)
{
    cleanup_close int fd = view_open(c->v, path);
    if (fd < 0) {
        catalog_warn(c, "go: cannot read '%s': %s", path, strerror(errno));
        return;
    }
    cleanup_free char *vers = NULL, *mod = NULL;
    const char *why = NULL;
    enum gobuild_status r = gobuild_read(fd, (size_t)st->st_size, &vers, &mod, &why);
    if (r == GOBUILD_BROKEN)
        catalog_warn(c, "go: '%s': %s: skipped", path, why);
    if (r != GOBUILD_FOUND)
        return;
    go_modinfo(c, mod, path);
    go_add_stdlib(c, vers, path);
}

const struct cataloger catalog_go = {
    .name = "go",
    .match = go_match,
    .parse = go_parse,
};
