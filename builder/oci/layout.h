/* OCI image layouts: importing an image from one (a named build context) and writing the
 * build result as one, as a directory or an OCI archive (tar).
 */
#ifndef KILN_OCI_LAYOUT_H
#define KILN_OCI_LAYOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "kiln/error.h"
#include "oci/image.h"
#include "store/store.h"

#define LAYOUT_MAX_SMALL_FILE 4096 /* oci-layout */
#define LAYOUT_MAX_BLOBS      4096 /* blobs reachable from one image or index */

/* Splits "DIR", "DIR:TAG" or "DIR@sha256:..." into the directory and the reference (NULL when
 * none): a ':' before the last '/' belongs to the path, as does a trailing ':'. */
void layout_split_ref(const char *spec, char **dir, char **ref);
/* Opens a layout directory and parses its index.json (bounded). The caller closes *dirfd and
 * decrefs *index. */
int layout_open(const char *dir, int *dirfd, json_t **index, kiln_error_t **err);
/* The index.json descriptor named by ref: a tag (org.opencontainers.image.ref.name), a
 * "sha256:..." digest, or NULL when the layout holds one image (under any number of names). */
int layout_pick(json_t *index, const char *dir, const char *ref, struct oci_desc *out,
                kiln_error_t **err);
/* Copies blob d of the layout into the store, verifying digest and size. */
int layout_import_blob(struct store *s, int dirfd, const char *dir, const struct oci_desc *d,
                       kiln_error_t **err);
/* Imports everything ref reaches (an index with all its manifests, attestations included) into
 * the store, for a push; *top is the descriptor ref names. */
int layout_import_all(struct store *s, const char *dir, const char *ref, struct oci_desc *top,
                      kiln_error_t **err);

/* Imports the image named by ref (a tag matching org.opencontainers.image.ref.name, a
 * "sha256:..." digest, or NULL when the layout holds exactly one image) from the layout
 * directory dir into the store, verifying every blob's digest and size. An index is resolved
 * to the manifest of os/arch. Returns the manifest digest in manifest_digest. */
int layout_import(struct store *s, const char *dir, const char *ref, const char *os,
                  const char *arch, char manifest_digest[DIGEST_STR_LEN + 1], kiln_error_t **err);

/* The blobs kiln wrote before and can recognise unchanged (the store's hash index,
 * cache/hashindex.h, seen through two functions). */
struct layout_blob_index {
    void *ctx;
    /* true when st is a file recorded with this digest and unchanged since */
    bool (*matches)(void *ctx, const struct stat *st, const char *digest);
    /* records a file kiln has just written with this content digest */
    void (*note)(void *ctx, const struct stat *st, const char *digest);
};

/* How layout_write writes. */
struct layout_write_opts {
    bool tar;
    /* a JSON array of annotation objects (may be NULL or empty): one index.json descriptor of
     * top per element, e.g. one per tag */
    json_t *names;
    int64_t epoch; /* tar entry mtimes */
    /* may be NULL: with it, blobs of a previous output at dest that kiln wrote and nobody
     * changed since are moved into the new one, not copied again */
    const struct layout_blob_index *known;
    /* the docker save format's manifest.json (docker load, skopeo docker-archive:), or NULL */
    const char *docker_manifest;
};
/* Writes an OCI layout holding the image or index `top` (and everything it references, read
 * from the store) to dest, atomically: nothing appears at dest unless the whole layout was
 * written. A directory dest is replaced only when it is empty or already an OCI layout. dest
 * "-" with tar: the archive goes to stdout (refused when stdout is a terminal); a stream cannot
 * be atomic, a failure ends it short. */
int layout_write(struct store *s, const char *dest, const struct oci_desc *top,
                 const struct layout_write_opts *o, kiln_error_t **err);

#endif
