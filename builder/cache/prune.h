/* kiln prune: removes unused blobs, snapshots and cache records from a store.
 *
 * It takes the store lock exclusively, so it waits for running builds to finish and builds
 * that start meanwhile wait for it: nothing a build is using disappears under it. Without
 * --all it keeps every cache record and what the records use (their layer blobs and
 * snapshots); with keep_storage it then drops the least recently used records until the store
 * is under that size; with all it empties the store.
 */
#ifndef KILN_CACHE_PRUNE_H
#define KILN_CACHE_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/error.h"

struct prune_opts {
    const char *root;
    bool all;
    uint64_t keep_storage; /* 0: no size target */
    void (*waiting)(void); /* called once when running builds hold the lock */
};

struct prune_result {
    uint64_t bytes_freed;
    uint64_t blobs, snapshots, records;
    uint64_t bytes_kept;
};

int prune_store(const struct prune_opts *o, struct prune_result *res, kiln_error_t **err);

#endif
