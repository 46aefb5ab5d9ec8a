/* What the SPDX and CycloneDX writers share: the cataloged packages with their identifiers
 * already computed (sbom.c), so both documents name the same things the same way. */
#ifndef KILN_SBOM_DOC_H
#define KILN_SBOM_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "json.h"
#include "license.h"
#include "sbom.h"

struct sbom_entry {
    struct pkg *p;
    char *spdxid; /* "SPDXRef-Package-deb-bash-<hash>" */
    char *ref;    /* CycloneDX bom-ref: the purl, made unique when needed */
    struct license lic;
    bool has_lic;
    bool os_pkg; /* deb / apk: contained in the operating system */
};

struct sbom_doc {
    const struct sbom_image_info *info;
    const struct catalog_os *os; /* os->id NULL: no operating system found */
    struct sbom_entry *e;
    size_t n;
    char *name;         /* the image name, cleaned */
    char *image_purl;   /* pkg:oci/NAME@sha256%3A...?... */
    char *image_spdxid; /* SPDXRef-ContainerImage-<hex> */
    char *os_spdxid;    /* SPDXRef-OperatingSystem-<id>-<hex>, NULL without an OS */
    char *os_ref;       /* CycloneDX bom-ref of the OS component */
    char created[21];   /* YYYY-MM-DDThh:mm:ssZ from info->epoch */
};

int sbom_spdx_write(const struct sbom_doc *d, char **out, size_t *len, kiln_error_t **err);
int sbom_cdx_write(const struct sbom_doc *d, char **out, size_t *len, kiln_error_t **err);

/* Shared helpers (sbom.c). */
/* "1970-01-01T00:00:00Z" for epoch 0; negative epochs clamp to 0, huge ones to 9999. */
void sbom_format_time(int64_t epoch, char out[21]);
/* A name-based UUID (version 5 layout, sha256 instead of sha1) of namespace and name. */
void sbom_uuid(const char *ns, const char *name, char out[37]);
/* Serialises doc (stealing the reference) with sorted-as-built keys and 2-space indent. */
int sbom_json_dump(const json_t *doc, char **out, size_t *len, kiln_error_t **err);
/* Sets key to a string when s is not NULL. */
void sbom_json_set(json_t *obj, const char *key, const char *s);
/* Splits "host/path/name:tag@digest" into the repository ("host/path/name"), the last path
 * segment in lowercase and the tag (NULL when none). All newly allocated. */
void sbom_image_ref(const char *ref, char **repo, char **name, char **tag);
/* "deb" etc. for properties; "dpkg status file" etc. for SPDX sourceInfo. */
const char *sbom_source_kind(enum sbom_pkg_type t);

#endif
