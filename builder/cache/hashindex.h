/* The context hash index: (device, inode, size, mtime, ctime) of a file → sha256 of its
 * content, kept per store, so an unchanged file is never read twice across builds. A touched
 * file (new mtime/ctime) is re-read once and, with the same content, gets the same hash: the
 * step cache still hits.
 *
 * Stored as ROOT/cache/hashindex (text, one record per line), replaced atomically when a build
 * adds records; concurrent builds may lose each other's additions, never corrupt the file.
 */
#ifndef KILN_CACHE_HASHINDEX_H
#define KILN_CACHE_HASHINDEX_H

#include <sys/stat.h>

#include "kiln/error.h"
#include "digest/digest.h"
#include "oci/layout.h"
#include "store/store.h"

#define HASHINDEX_MAX_ENTRIES 400000u

struct hashindex;

/* Loads the index (a missing or damaged index is an empty one). */
struct hashindex *hashindex_open(struct store *s);
void hashindex_free(struct hashindex *h);
/* The sha256 of the content of the open regular file fd, from the index when its identity is
 * known, else by reading it (and recording it). */
int hashindex_file(struct hashindex *h, int fd, char digest[DIGEST_STR_LEN + 1],
                   kiln_error_t **err);
/* The index as the layout writer sees it (oci/layout.h): it moves the blobs of a previous
 * output that the index knows unchanged, and records those it writes. Valid while h is. */
void hashindex_blob_index(struct hashindex *h, struct layout_blob_index *out);
/* Writes the index back if it changed. Errors are not fatal to a build: ignored by callers. */
int hashindex_save(struct hashindex *h, kiln_error_t **err);

#endif
