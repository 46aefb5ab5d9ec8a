/* One streaming pass from file entries to a stored layer blob:
 *   entries → tar (libarchive, PAX) → sha256 (diff_id) → gzip (zlib) → sha256 (digest) → store
 * Memory stays bounded whatever the file sizes: content is streamed in fixed chunks.
 *
 * Entries are written in the order given; callers add them sorted by path so that a layer is
 * reproducible. Every entry gets no user/group names, no atime or ctime, and an mtime in whole
 * seconds that is never later than the writer's epoch (layer_entry_mtime), so the same files
 * always give the same bytes.
 */
#ifndef KILN_LAYER_WRITER_H
#define KILN_LAYER_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiln/error.h"
#include "kiln/kiln.h"
#include "digest/digest.h"
#include "oci/image.h"
#include "store/store.h"

#define LAYER_MAX_PATH 4096

enum layer_compression {
    LAYER_GZIP,
    LAYER_UNCOMPRESSED,
    LAYER_ZSTD,
};

/* The compression of new layers for an output's (kiln.h). */
enum layer_compression layer_compression_of(enum kiln_compression c);
/* The media type of a layer blob written with c. */
const char *layer_media_type(enum layer_compression c);

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
    /* whiteout: the last component is a deletion marker the caller means (".wh.NAME"); any other
     * ".wh." component is refused (tarname_whiteout) */
    bool whiteout;
    uint64_t size; /* regular files */
    int fd;        /* regular files: read from here, exactly size bytes (or -1) */
    /* regular files when fd < 0: content from a reader; returns bytes read, 0 at the end,
     * -1 on error */
    long (*read)(void *ctx, void *buf, size_t n);
    void *read_ctx;
    dev_t rdev; /* character and block devices */
    const struct layer_xattr *xattrs;
    size_t nxattrs;
    /* has_mtime: the entry's own mtime (seconds), which the layer keeps when it is not later
     * than the epoch (see layer_entry_mtime); else the entry gets the epoch */
    bool has_mtime;
    int64_t mtime;
};

/* The mtime an entry gets in a layer written with epoch: BuildKit's rewrite-timestamp rule. An
 * mtime later than the epoch is lowered to it, an earlier one is kept (never raised), so files a
 * package manager installs keep the times their package gave them when the epoch allows, and
 * every file a build creates gets the epoch. Without its own mtime an entry gets the epoch. */
int64_t layer_entry_mtime(const struct layer_entry *e, int64_t epoch);

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

/* level: gzip 0-9, zstd 1-22; -1 (zstd: 0 too) the default of each (gzip 6, zstd 3). */
int layer_writer_new(struct store *s, enum layer_compression comp, int level, int64_t epoch,
                     struct layer_writer **out, kiln_error_t **err);
int layer_writer_add(struct layer_writer *w, const struct layer_entry *e, kiln_error_t **err);
/* A writer of a layer whose tar stream exists already (another compression of a layer): the
 * bytes given to layer_writer_write_raw are the tar, hashed (diff_id) and compressed as they
 * are; layer_writer_add is not used with it. */
int layer_writer_new_raw(struct store *s, enum layer_compression comp, int level,
                         struct layer_writer **out, kiln_error_t **err);
int layer_writer_write_raw(struct layer_writer *w, const void *p, size_t n, kiln_error_t **err);
struct leakscan;
/* Scans every entry for the secrets of ls (borrowed; NULL: no scan) as it is written - its
 * name, link target, xattrs and content, each on its own as leakscan_tar_fd does - so the layer
 * is read once. A hit fails layer_writer_add with KILN_ELEAK, "secret 'ID' found in layer INDEX
 * (path P)" (index: the layer's 1-based place in its image), and the blob is never stored. */
void layer_writer_scan(struct layer_writer *w, const struct leakscan *ls, size_t index);
struct layer_toc;
/* Records every entry added from now on in t (borrowed), as the layer has it (layer/toc.h). */
void layer_writer_toc(struct layer_writer *w, struct layer_toc *t);
/* Finishes the tar and stores the blob. Frees w in every case. */
int layer_writer_finish(struct layer_writer *w, struct layer_result *res, kiln_error_t **err);
void layer_writer_free(struct layer_writer *w);
static inline void cleanup_layer_writerp(struct layer_writer **w)
{
    layer_writer_free(*w);
}
#define cleanup_layer_writer __attribute__((cleanup(cleanup_layer_writerp)))

#endif
