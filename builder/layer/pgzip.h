/* Parallel gzip whose output does not depend on the number of threads.
 *
 * The input is cut into fixed PGZIP_BLOCK-byte blocks. Each block is raw-deflated on its own,
 * with the last 32 KiB of the block before it as the dictionary, and ends on a byte boundary
 * (Z_SYNC_FLUSH; the last block Z_FINISH), so the compressed blocks join into one deflate stream
 * inside one gzip member (header without name and with mtime 0; CRC-32 and size at the end).
 * A block that looks incompressible (already compressed or random data) is stored instead of
 * deflated: deflate would spend ~100x the time to save nothing. Every choice depends on the
 * content only, so the same input always gives the same bytes, however it was split into
 * writes and however many threads compress it.
 *
 * Memory is bounded: at most 2 blocks per thread are in flight. The output callback runs in the
 * caller's thread, in order.
 */
#ifndef KILN_LAYER_PGZIP_H
#define KILN_LAYER_PGZIP_H

#include <stddef.h>

#include "kiln/error.h"

#define PGZIP_BLOCK       (256u * 1024)
#define PGZIP_MAX_THREADS 8

/* Receives compressed bytes in order; returns 0, or -1 after raising *err. */
typedef int (*pgzip_emit_fn)(void *ctx, const void *p, size_t n, kiln_error_t **err);

struct pgzip;

/* level 0-9; threads 0: one per online core (at most PGZIP_MAX_THREADS), 1: no thread. The
 * threads start with the second block, so a small stream never creates one. */
int pgzip_new(int level, unsigned threads, pgzip_emit_fn emit, void *ctx, struct pgzip **out,
              kiln_error_t **err);
int pgzip_write(struct pgzip *z, const void *p, size_t n, kiln_error_t **err);
/* Compresses what is left and emits the gzip trailer. The stream is done afterwards. */
int pgzip_finish(struct pgzip *z, kiln_error_t **err);
/* Stops the threads and frees z (finished or not). NULL is fine. */
void pgzip_free(struct pgzip *z);

#endif
