/* Package URLs (github.com/package-url/purl-spec) in canonical form:
 *   pkg:TYPE/NAMESPACE/NAME@VERSION?KEY=VALUE&...
 * Every byte outside [A-Za-z0-9.-_~] of a namespace segment, name, version or qualifier value is
 * percent-encoded (':' too, as %3A), qualifiers are sorted by key and empty ones left out. */
#ifndef KILN_SBOM_PURL_H
#define KILN_SBOM_PURL_H

#include <stddef.h>

#include "catalog.h"

#define PURL_MAX_QUALIFIERS 8

#define PURL_MAX_LEN (64u * 1024) /* every part is a cleaned field of at most TEXT_MAX_FIELD */

struct purl_qualifier {
    const char *key;   /* lowercase */
    const char *value; /* raw; NULL or "" leaves the pair out */
};

/* ns: '/'-separated namespace or NULL; version may be NULL. Newly allocated; NULL (no purl)
 * when it would be longer than PURL_MAX_LEN, which the cleaned fields kiln passes never are. */
char *purl_build(const char *type, const char *ns, const char *name, const char *version,
                 const struct purl_qualifier *q, size_t nq);
/* The purl of a cataloged package, given the operating system it was found in. */
char *purl_for_pkg(const struct pkg *p, const struct catalog_os *os);
/* PEP 503 normalized Python project name: lowercase, runs of "-_." as one '-'. */
char *purl_pypi_name(const char *name);

#endif
