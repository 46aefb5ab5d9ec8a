/* The content hash of a context file for cache keys (hashindex.h): SHA-256 of the bytes for a
 * file under CONTENTHASH_TREE_MIN; for a larger one, SHA-256 over the size and the SHA-256 of
 * each CONTENTHASH_CHUNK-byte chunk, which several threads compute at once (a 200 MiB file is
 * hashed at the speed of all the cores, not of one). Either way it changes with any byte of
 * the file; it only ever goes into cache keys, never into an image (layers have their own
 * digests). */
#ifndef KILN_CACHE_CONTENTHASH_H
#define KILN_CACHE_CONTENTHASH_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/error.h"
#include "digest/digest.h"

#define CONTENTHASH_TREE_MIN    (8u << 20)
#define CONTENTHASH_CHUNK       (4u << 20)
#define CONTENTHASH_MAX_THREADS 4

/* Hashes the file fd of size bytes (read with pread; its offset is not used). *whole: every
 * byte up to size was there (a file that shrank or grew meanwhile gives false). */
int contenthash_fd(int fd, uint64_t size, char digest[DIGEST_STR_LEN + 1], bool *whole,
                   kiln_error_t **err);

#endif
