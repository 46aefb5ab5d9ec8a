/* The context hash index: (device, inode, size, mtime, ctime) of a file → hash of its content
 * (contenthash.h), kept per store, so an unchanged file is never read twice across builds. A
 * touched file (new mtime/ctime) is re-read once and, with the same content, gets the same hash:
 * the step cache still hits.
 *
 * Stored as ROOT/cache/hashindex: a header and fixed-size binary records (loading 50,000 of
 * them is one read and a copy, a few milliseconds), replaced atomically when a build adds or
 * uses records; concurrent builds may lose each other's additions, never corrupt the file. An
 * index in another format or damaged is an empty one (files are re-read once). Each record
 * keeps the day it was last used; a build rewrites the index when it added records or used one
 * last used on an earlier day (so rebuilds within a day read it and write nothing), dropping
 * records unused for HASHINDEX_MAX_DAYS days and, beyond HASHINDEX_MAX_ENTRIES, the least
 * recently used: the index follows the contexts in use.
 */
#ifndef KILN_CACHE_HASHINDEX_H
#define KILN_CACHE_HASHINDEX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kiln/error.h"
#include "digest/digest.h"
#include "oci/layout.h"
#include "store/store.h"

#define HASHINDEX_MAX_ENTRIES 400000u
#define HASHINDEX_MAX_DAYS    60u

/* What identifies a file's content without reading it. */
struct hashindex_id {
    uint64_t dev, ino, size;
    int64_t mtime, ctime; /* nanoseconds */
};
void hashindex_id_of(const struct stat *st, struct hashindex_id *id);

struct hashindex;

/* Loads the index (a missing or damaged index is an empty one). */
struct hashindex *hashindex_open(struct store *s);
void hashindex_free(struct hashindex *h);
/* The digest recorded for a file with this identity (a stat taken by the caller: no open, no
 * read); false when there is none. */
bool hashindex_lookup(struct hashindex *h, const struct hashindex_id *id,
                      char digest[DIGEST_STR_LEN + 1]);
/* The content hash (contenthash.h: a cache key, the sha256 of the bytes for files under 8 MiB)
 * of the open regular file fd, from the index when its identity is known, else by reading it
 * (and recording it). */
int hashindex_file(struct hashindex *h, int fd, char digest[DIGEST_STR_LEN + 1],
                   kiln_error_t **err);
/* The index as the layout writer sees it (oci/layout.h): it moves the blobs of a previous
 * output that the index knows unchanged, and records those it writes. Valid while h is. */
void hashindex_blob_index(struct hashindex *h, struct layout_blob_index *out);
/* Writes the index back if it changed. Errors are not fatal to a build: ignored by callers. */
int hashindex_save(struct hashindex *h, kiln_error_t **err);

#endif
