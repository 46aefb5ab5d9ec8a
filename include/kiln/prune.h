/* kiln — kiln prune: removes unused blobs, snapshots and cache records from a store.
 *
 * It takes the store lock exclusively, so it waits for running builds to finish and builds that
 * start meanwhile wait for it: nothing a build is using disappears under it. Without all it
 * keeps every cache record and what the records use (their layer blobs and snapshots); with
 * keep_storage it then drops the least recently used records until the store is under that
 * size; with all it empties the store (RUN cache mounts included). */
#ifndef KILN_KILN_PRUNE_H
#define KILN_KILN_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/error.h"

struct kiln_prune_opts {
    const char *root; /* the store; NULL: the default store (as kiln build) */
    bool all;
    uint64_t keep_storage; /* bytes; 0: no size target */
    /* called once when running builds hold the lock and prune is about to wait; may be NULL */
    void (*waiting)(void *ctx);
    void *ctx;
};

struct kiln_prune_result {
    uint64_t bytes_freed;
    uint64_t blobs, snapshots, records; /* removed */
    uint64_t bytes_kept;
};

int kiln_prune(const struct kiln_prune_opts *o, struct kiln_prune_result *res, kiln_error_t **err);

#endif
