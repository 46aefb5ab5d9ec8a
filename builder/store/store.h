/* The content store under --root: blobs named by their sha256, written atomically.
 *
 *   ROOT/blobs/sha256/<hex>   immutable blobs (layers, configs, manifests)
 *   ROOT/tmp/                 blobs being written (same filesystem, for the final link/rename)
 *   ROOT/snapshots/           unpacked layers (builder/snapshot/unpack.c)
 *   ROOT/cache/               step cache records (steps/), the context hash index (hashindex),
 *                             RUN --mount=type=cache directories (mounts/): builder/cache/
 *   ROOT/lock                 builds hold it shared; prune holds it exclusive
 *
 * Blobs are written to an unnamed (O_TMPFILE) or temp file, fsynced, then linked or renamed to
 * their final name, so a reader never sees a partial blob and a killed writer leaves none behind.
 * Two processes writing the same blob both succeed: the name is the content.
 */
#ifndef KILN_STORE_H
#define KILN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"
#include "digest/digest.h"

#define STORE_MAX_JSON (4u * 1024 * 1024) /* largest JSON document read from the store */

struct store {
    char *root;
    int rootfd;
    int blobsfd; /* ROOT/blobs/sha256 */
    int tmpfd;
    int lockfd;
};

/* Opens (creating when missing, mode 0700) the store at root and takes the shared build lock.
 * A store someone else could write is refused (store_check): KILN_EPOLICY. */
int store_open(const char *root, struct store **out, kiln_error_t **err);
/* The same with the lock taken exclusively (prune) or shared; waiting(ctx) (may be NULL) is
 * called once when the lock is busy and kiln is about to wait for it. */
int store_open_locked(const char *root, bool exclusive, void (*waiting)(void *ctx), void *ctx,
                      struct store **out, kiln_error_t **err);
void store_close(struct store *s);
static inline void cleanup_storep(struct store **s)
{
    store_close(*s);
}
#define cleanup_store __attribute__((cleanup(cleanup_storep)))

/* The default --root: $KILN_ROOT, else /var/lib/kiln for root, else
 * ${XDG_DATA_HOME:-~/.local/share}/kiln (HOME, else the passwd entry's home). Newly allocated;
 * NULL with KILN_EUSAGE when there is no home to put it in (never a shared place like /tmp). */
char *store_default_root(kiln_error_t **err);
/* Refuses (KILN_EPOLICY) a store another user could write: the directory (rootfd) must be the
 * user's and writable by nobody else; every directory above it the user's or root's and not
 * writable by others (a root-owned sticky directory such as /tmp is fine); the entries at the
 * top of the store (blobs, tmp, snapshots, cache, lock, idmap) the user's, no symlinks, not
 * writable by others. */
int store_check(const char *root, int rootfd, kiln_error_t **err);
/* Refuses (KILN_EUSAGE) a store on a file system that cannot hold snapshots: overlayfs (a
 * container's own root) refuses whiteouts and upper directories (store_fs.c). */
int store_check_fs(const char *root, int rootfd, kiln_error_t **err);

struct blob_writer;
int store_blob_begin(struct store *s, struct blob_writer **out, kiln_error_t **err);
int blob_writer_write(struct blob_writer *w, const void *p, size_t n, kiln_error_t **err);
/* Finishes the blob: fsync, name it by its digest. Frees w in every case. */
int blob_writer_commit(struct blob_writer *w, char digest[DIGEST_STR_LEN + 1], uint64_t *size,
                       kiln_error_t **err);
/* Same, but fails with KILN_ECORRUPT (naming nothing) unless the digest equals expect. */
int blob_writer_commit_expect(struct blob_writer *w, const char *expect,
                              char digest[DIGEST_STR_LEN + 1], uint64_t *size, kiln_error_t **err);
/* Discards a blob being written. NULL is fine. */
void blob_writer_abort(struct blob_writer *w);
static inline void cleanup_blob_writerp(struct blob_writer **w)
{
    blob_writer_abort(*w);
}
#define cleanup_blob_writer __attribute__((cleanup(cleanup_blob_writerp)))

/* Writes a whole in-memory blob. */
int store_put_blob(struct store *s, const void *p, size_t n, char digest[DIGEST_STR_LEN + 1],
                   kiln_error_t **err);
bool store_has_blob(struct store *s, const char *digest);
/* Opens a blob read-only. */
int store_open_blob(struct store *s, const char *digest, kiln_error_t **err);
/* Reads a whole blob of at most max bytes, verifying its digest. *out is NUL-terminated. */
int store_read_blob(struct store *s, const char *digest, size_t max, char **out, size_t *len,
                    kiln_error_t **err);
/* Path of a blob (for hard-linking into an output). Newly allocated. */
char *store_blob_path(struct store *s, const char *digest);
/* Copies the file fd into the store, verifying that it has the expected digest and size.
 * A blob already present is not copied again. */
int store_import_fd(struct store *s, int fd, const char *digest, uint64_t size, kiln_error_t **err);
/* Removes a blob (used to drop the layers of a failed build). Missing is fine. */
void store_remove_blob(struct store *s, const char *digest);

#endif
