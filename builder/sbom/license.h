/* Declared licenses as package databases spell them ("GPL-2+", "MIT License", "Apache-2.0 OR
 * MIT") turned into valid SPDX license expressions. Known identifiers (the SPDX license list,
 * case-insensitively, and Debian's short names) become their SPDX id; anything else becomes a
 * LicenseRef- whose original text the SPDX writer declares in hasExtractedLicensingInfos. */
#ifndef KILN_SBOM_LICENSE_H
#define KILN_SBOM_LICENSE_H

#include <stdbool.h>
#include <stddef.h>

#define LICENSE_MAX_TOKENS 64 /* a longer declaration is kept as one LicenseRef */
#define LICENSE_MAX_VALUES 32 /* declarations ANDed together (dpkg copyright files) */

struct license_ref {
    char *id;   /* "LicenseRef-..." */
    char *text; /* what the database said */
};

struct license {
    char *expr;      /* a valid SPDX license expression */
    char *single_id; /* set when the whole declaration is one SPDX list id */
    bool free_text;  /* the whole declaration is one LicenseRef (not an expression) */
    struct license_ref refs[LICENSE_MAX_TOKENS];
    size_t nrefs;
};

/* Parses raw (NULL or empty: returns false and leaves *out empty). Several declarations
 * separated by '\n' (the License: fields of a Debian copyright file) are parsed one by one and
 * ANDed; at most LICENSE_MAX_VALUES of them, and those whose references still fit. */
bool license_parse(const char *raw, struct license *out);
void license_release(struct license *l);

/* The SPDX list spelling of an identifier (case-insensitive), or NULL. */
const char *license_id_lookup(const char *s, size_t n);

extern const char *const license_ids[];
extern const size_t license_ids_count;

#endif
