/* SBOM generation for a built image: catalog the packages installed in the image's root
 * filesystem and write them as SPDX 2.3 JSON and CycloneDX 1.6 JSON.
 *
 * The catalogers read the rootfs only through a struct view (builder/snapshot/view.h): nothing
 * on the host is read and nothing from the image is executed. They cover
 *   - the operating system: /etc/os-release (else /usr/lib/os-release), /etc/debian_version
 *   - dpkg: var/lib/dpkg/status and var/lib/dpkg/status.d/ (distroless); the declared licenses
 *     from the License: fields of /usr/share/doc/PACKAGE/copyright
 *   - apk: lib/apk/db/installed
 *   - Python: *.dist-info/METADATA, *.egg-info/PKG-INFO (or a *.egg-info file) directly under a
 *     site-packages or dist-packages directory
 *   - npm: package.json of each package directly under a node_modules directory
 *   - Go: the build info of ELF executables (main module, dependencies, stdlib)
 *   - Java: pom.properties and META-INF/MANIFEST.MF of *.jar, *.war, *.ear (one level of nested
 *     jars, as in Spring Boot fat jars)
 *
 * Limits (each a named constant in builder/sbom/catalog.h): a per-file size limit for each kind
 * of database, a bounded walk of the tree (CATALOG_MAX_ENTRIES entries, CATALOG_MAX_DEPTH
 * levels, symlinks not followed, /proc /sys /dev and documentation trees such as
 * /usr/share/doc skipped: see walk_skip in catalog.c), a limit on packages and warnings. A
 * database that is unreadable, malformed or over its limit is a warning in the result, never a
 * failed build.
 *
 * Output is deterministic: the same rootfs and the same sbom_image_info give the same bytes.
 * Packages are deduplicated (same ecosystem, group, name, version and architecture) and sorted;
 * times come from info->epoch; the SPDX documentNamespace and the CycloneDX serialNumber are
 * derived from the image digest.
 *
 * Document shape (what Trivy and Grype read): SPDX DOCUMENT DESCRIBES a CONTAINER package for
 * the image (purl pkg:oci/NAME@sha256%3A...), which CONTAINS an OPERATING_SYSTEM package (name
 * = os-release ID, version = VERSION_ID), which CONTAINS the deb/apk packages; the image
 * CONTAINS the language packages. CycloneDX: metadata.component is the image, components are
 * the OS and the packages, dependencies mirror the CONTAINS edges.
 *
 * The rest of the module, for the exporter: intoto.h (in-toto Statement v1 around a document),
 * provenance.h (SLSA v1 provenance, struct provenance_info), attest.h (the BuildKit-style
 * attestation manifest; attest_build() does statements + manifest in one call).
 */
#ifndef KILN_SBOM_H
#define KILN_SBOM_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"
#include "snapshot/view.h"

/* Ecosystems, in output order. Stable: append only. */
enum sbom_pkg_type {
    SBOM_PKG_DEB = 0,
    SBOM_PKG_APK,
    SBOM_PKG_PYTHON,
    SBOM_PKG_NPM,
    SBOM_PKG_GO,
    SBOM_PKG_MAVEN,
    SBOM_PKG_NTYPES
};

/* What the build driver knows about the image. All strings are borrowed for the call. */
struct sbom_image_info {
    const char *name;            /* required: image name as tagged, e.g. "docker.io/library/app:1"
                                  * or "app"; without a tag, the bare name is used */
    const char *manifest_digest; /* required: "sha256:<hex>" of the image manifest */
    const char *arch;            /* optional: OCI architecture, e.g. "amd64" (purl qualifier) */
    const char *repository_url;  /* optional: e.g. "registry.example.com/team/app" (purl) */
    int64_t epoch;               /* SOURCE_DATE_EPOCH: the SPDX created / CycloneDX timestamp */
};

struct sbom_result {
    char *spdx_json; /* SPDX 2.3 document, NUL-terminated, owned */
    size_t spdx_len;
    char *cdx_json; /* CycloneDX 1.6 BOM, NUL-terminated, owned */
    size_t cdx_len;
    size_t counts[SBOM_PKG_NTYPES]; /* packages per ecosystem, after deduplication */
    size_t total;                   /* sum of counts */
    char *os_id;                    /* os-release ID ("debian"), or NULL when not found */
    char *os_version;               /* os-release VERSION_ID ("12"), or NULL */
    char **warnings;                /* NULL-terminated, owned: lowercase messages, each naming
                                     * the path it is about; the caller prints them */
    size_t n_warnings;
};

/* Catalogs rootfs and writes both documents into *out (which it zeroes first). Fails only on
 * bad arguments (missing name, malformed digest: KILN_EINPUT) or when an output document goes
 * over SBOM_MAX_DOCUMENT (KILN_ELIMIT); on failure *out holds nothing to release. Release the
 * result with sbom_result_release(). */
#define SBOM_MAX_DOCUMENT (256u * 1024 * 1024)
int sbom_generate(struct view *rootfs, const struct sbom_image_info *info, struct sbom_result *out,
                  kiln_error_t **err);
void sbom_result_release(struct sbom_result *r);

/* "deb", "apk", "python", "npm", "go", "maven": the names used in warnings and `kiln inspect`. */
const char *sbom_pkg_type_name(enum sbom_pkg_type t);

/* Predicate types of the in-toto statements that carry the documents. */
#define SBOM_SPDX_PREDICATE_TYPE "https://spdx.dev/Document"
#define SBOM_CDX_PREDICATE_TYPE  "https://cyclonedx.org/bom"

#endif
