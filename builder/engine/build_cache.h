/* The step cache as the build sees it (build_cache.c): the store's records, plus a cache
 * shared through a registry (--cache-from/--cache-to type=registry,ref=REF). */
#ifndef KILN_ENGINE_BUILD_CACHE_H
#define KILN_ENGINE_BUILD_CACHE_H

#include <jansson.h>
#include <stdbool.h>

#include "kiln/error.h"

struct build;
struct build_stage;
struct step_record;

#define RUN_EMPTY_LAYER "application/vnd.kiln.empty-layer" /* record of a no-change RUN */

struct build_cache {
    json_t *from; /* --cache-from: records {key: record} of the shared cache */
    json_t *used; /* records this build used or made, for --cache-to (b->lock) */
};

/* Whether the step cache may be read for this stage (--no-cache, --no-cache-filter). */
bool build_cache_enabled(struct build *b, struct build_stage *st);
/* A usable record for key: 1 (cache hit, noted for --cache-to), 0 (miss), -1 when its layer
 * holds a secret of the build (leakcheck_cached). */
int build_cache_get(struct build *b, struct build_stage *st, const char *key, struct step_record *r,
                    kiln_error_t **err);
/* Records a new step in the store (and for --cache-to). */
void build_cache_put(struct build *b, const char *key, const struct step_record *r);
void build_cache_note(struct build *b, const char *key, const struct step_record *r);
/* --cache-from: reads the shared cache's records before the build. */
int build_cache_import(struct build *b, kiln_error_t **err);
/* --cache-to: pushes the records this build used. */
int build_cache_export(struct build *b, kiln_error_t **err);
void build_cache_release(struct build_cache *c);

#endif
