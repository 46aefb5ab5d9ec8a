/* The catalogers: each reads one kind of package database from the image's rootfs (through a
 * struct view, never the host filesystem) and adds packages to a list. A database that cannot
 * be read is a warning in the context, never an error.
 *
 * Registration is a table (catalog.c): a cataloger has a `scan` for databases at fixed paths
 * and/or a `match` + `parse` pair that the one bounded walk of the tree calls for each regular
 * file. The walk does not follow symlinks, skips /proc, /sys and /dev, and stops (with a
 * warning) after CATALOG_MAX_ENTRIES entries or below CATALOG_MAX_DEPTH levels. */
#ifndef KILN_SBOM_CATALOG_H
#define KILN_SBOM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "pkg.h"
#include "snapshot/view.h"

/* Walk bounds. */
#define CATALOG_MAX_ENTRIES  500000u /* directory entries looked at in one walk */
#define CATALOG_MAX_DEPTH    48u     /* directory levels below the root */
#define CATALOG_MAX_PACKAGES 200000u /* packages kept in one SBOM */
#define CATALOG_MAX_WARNINGS 100u    /* warnings kept; more are counted in a last one */

/* Per-file size limits: a larger file is skipped with a warning. */
#define CATALOG_MAX_OS_RELEASE     (64u * 1024)         /* os-release, debian_version */
#define CATALOG_MAX_DPKG_STATUS    (128u * 1024 * 1024) /* var/lib/dpkg/status */
#define CATALOG_MAX_DPKG_STATUSD   (4u * 1024 * 1024)   /* one file of var/lib/dpkg/status.d */
#define CATALOG_MAX_DPKG_FILES     4096u                /* files in var/lib/dpkg/status.d */
#define CATALOG_MAX_DPKG_COPYRIGHT (256u * 1024)        /* bytes of a copyright file read */
#define CATALOG_MAX_APK_DB         (256u * 1024 * 1024) /* lib/apk/db/installed */
#define CATALOG_MAX_PY_METADATA    (8u * 1024 * 1024)   /* METADATA / PKG-INFO */
#define CATALOG_MAX_NPM_JSON       (8u * 1024 * 1024)   /* package.json */
/* Go executables: GOBUILD_SEARCH, GOBUILD_MAX_HEADERS, GOBUILD_MAX_STRING in gobuild.h */
#define CATALOG_MAX_JAR         (1024ull * 1024 * 1024) /* a .jar/.war/.ear */
#define CATALOG_MAX_JAR_ENTRIES 200000u                 /* zip entries looked at, nested included */
#define CATALOG_MAX_JAR_META    (1u * 1024 * 1024)      /* MANIFEST.MF, pom.properties */
#define CATALOG_MAX_NESTED_JAR  (128u * 1024 * 1024)    /* a jar inside a jar (read into memory) */

/* What /etc/os-release says (cleaned strings, NULL when absent). */
struct catalog_os {
    char *id;         /* "debian", "alpine", "ubuntu" */
    char *version_id; /* "12", "3.19.1" */
    char *version_codename;
    char *name; /* "Debian GNU/Linux" */
    char *pretty_name;
    char *debian_version; /* the content of /etc/debian_version ("12.5") */
};

struct catalog_ctx {
    struct view *v;
    struct pkg_list pkgs;
    struct catalog_os os;
    char **warnings; /* NULL-terminated */
    size_t n_warnings;
    size_t more_warnings; /* not kept: over CATALOG_MAX_WARNINGS */
    size_t entries;       /* walked so far */
    bool walk_stopped;
};

struct cataloger {
    const char *name;
    /* Databases at fixed paths. NULL when the cataloger only works from the walk. */
    void (*scan)(struct catalog_ctx *c);
    /* Walk: true when the regular file `path` (absolute; `base` is its last component) is a
     * database of this cataloger. NULL when the cataloger does not walk. */
    bool (*match)(const char *path, const char *base, const struct stat *st);
    void (*parse)(struct catalog_ctx *c, const char *path, const struct stat *st);
};

extern const struct cataloger catalog_osrelease;
extern const struct cataloger catalog_dpkg;
extern const struct cataloger catalog_apk;
extern const struct cataloger catalog_python;
extern const struct cataloger catalog_npm;
extern const struct cataloger catalog_go;
extern const struct cataloger catalog_java;

void catalog_init(struct catalog_ctx *c, struct view *v);
/* Runs every cataloger, then sorts and deduplicates the packages. Never fails. */
void catalog_run(struct catalog_ctx *c);
void catalog_release(struct catalog_ctx *c);

void catalog_warn(struct catalog_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reads a whole regular file of the image, at most max bytes. Returns 0, or -1 after adding a
 * warning naming `what` and path (no warning for a missing file when quiet_missing). */
int catalog_read(struct catalog_ctx *c, const char *path, size_t max, const char *what,
                 bool quiet_missing, char **data, size_t *len);
/* Adds p to the package list (taking ownership), with a warning when the list is full. */
void catalog_add(struct catalog_ctx *c, struct pkg *p);

/* "dir/name" with exactly one '/'. Newly allocated. */
char *catalog_path_join(const char *dir, const char *name);
/* The last and the second-to-last component of an absolute path, as pointers into it and
 * lengths (0 when absent). */
void catalog_path_parents(const char *path, const char **parent, size_t *parent_len,
                          const char **grand, size_t *grand_len);

#endif
