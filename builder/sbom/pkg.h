/* One package found in the image, and the list the catalogers fill.
 *
 * Every string is owned by the package, already cleaned (text.h) and NULL when unknown. The
 * list owns its packages. pkg_list_finish() sorts by (type, group, name, version, arch,
 * location) and drops duplicates of (type, group, name, version, arch), keeping the first
 * location, so the order and content do not depend on the order of the walk. */
#ifndef KILN_SBOM_PKG_H
#define KILN_SBOM_PKG_H

#include <stdbool.h>
#include <stddef.h>

#include "sbom.h"

struct pkg {
    enum sbom_pkg_type type;
    char *name;        /* as the ecosystem spells it ("@scope/name" for scoped npm packages) */
    char *version;     /* NULL when unknown (a Go main module built as "(devel)") */
    char *group;       /* maven groupId */
    char *arch;        /* deb / apk architecture */
    char *src_name;    /* deb Source, apk origin; NULL when the same as name */
    char *src_version; /* deb source version; NULL when the same as version */
    char *supplier;    /* SPDX form "Person: N (e)" / "Organization: N (e)"; NULL: NOASSERTION */
    char *license;     /* the declared license as the database spells it */
    char *location;    /* absolute path in the image of the record it came from */
    char *sha1;        /* lowercase hex sha1 of the package archive (jars) */
    char *homepage;
    char *purl; /* canonical purl, set by sbom_purl_fill() */
};

struct pkg_list {
    struct pkg **v;
    size_t n, cap;
    size_t max;     /* adds beyond max are refused */
    size_t dropped; /* how many were refused */
};

struct pkg *pkg_new(enum sbom_pkg_type type);
void pkg_free(struct pkg *p);
static inline void cleanup_pkgp(struct pkg **p)
{
    pkg_free(*p);
}
#define cleanup_pkg __attribute__((cleanup(cleanup_pkgp)))

/* Takes ownership of p (freeing it when the list is full or p has no name). Returns false when
 * p was not added. */
bool pkg_list_add(struct pkg_list *l, struct pkg *p);
void pkg_list_finish(struct pkg_list *l);
void pkg_list_release(struct pkg_list *l);

/* Formats a supplier from a "Name <email>" string: "Organization: Name (email)" when the name
 * looks like a team or project, else "Person: Name (email)". NULL for empty input. */
char *pkg_supplier(const char *contact, bool organization);

#endif
