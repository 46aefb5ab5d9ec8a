/* One streaming pass from file entries to a stored layer blob:
 *   entries → tar (libarchive, PAX) → sha256 (diff_id) → gzip (zlib) → sha256 (digest) → store
 * Memory stays bounded whatever the file sizes: content is streamed in fixed chunks.
 *
 * Entries are written in the order given; callers add them sorted by path so that a layer is
 * reproducible. Every entry gets mtime = the writer's epoch (or its own time when older, for
 * entries that carry one), no user/group names, no atime or ctime, so the same files always
 * give the same bytes.
 */
#ifndef KILN_LAYER_WRITER_H
#define KILN_LAYER_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiln/error.h"
#include "oci/digest.h"
#include "oci/image.h"
#include "store/store.h"

#define LAYER_MAX_PATH 4096

enum layer_compression {
    LAYER_GZIP,
    LAYER_UNCOMPRESSED,
};

struct layer_xattr {
    const char *name;
    const void *value;
    size_t size;
};

struct layer_entry {
    const char *path; /* relative, no leading '/', no trailing '/' (except "." never) */
    mode_t mode;      /* S_IFMT type | permission bits */
    uint32_t uid, gid;
    const char *linkname; /* symlink target, or hard link target path when hardlink */
    bool hardlink;
    uint64_t size; /* regular files */
    int fd;        /* regular files: read from here, exactly size bytes (or -1) */
    /* regular files when fd < 0: content from a reader; returns bytes read, 0 at the end,
     * -1 on error */
    long (*read)(void *ctx, void *buf, size_t n);
    void *read_ctx;
    dev_t rdev;     /* character and block devices */
    bool has_mtime; /* mtime is the entry's own time (clamped to the epoch); else the epoch */
    int64_t mtime;
    const struct layer_xattr *xattrs;
    size_t nxattrs;
};

/* The result: descriptor of the stored blob and the digest of the uncompressed tar. */
struct layer_result {
    char digest[DIGEST_STR_LEN + 1];
    char diff_id[DIGEST_STR_LEN + 1];
    uint64_t size; /* compressed blob size */
    uint64_t tar_size;
    const char *media_type;
    size_t nentries;
};

struct layer_writer;

int layer_writer_new(struct store *s, enum layer_compression comp, int level, int64_t epoch,
                     struct layer_writer **out, kiln_error_t **err);
int layer_writer_add(struct layer_writer *w, const struct layer_entry *e, kiln_error_t **err);
/* Finishes the tar and stores the blob. Frees w in every case. */
int layer_writer_finish(struct layer_writer *w, struct layer_result *res, kiln_error_t **err);
void layer_writer_free(struct layer_writer *w);
static inline void cleanup_layer_writerp(struct layer_writer **w)
{
    layer_writer_free(*w);
}
#define cleanup_layer_writer __attribute__((cleanup(cleanup_layer_writerp)))

#endif
