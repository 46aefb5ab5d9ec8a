/* The step cache: a record per cache key under ROOT/cache/steps/<key hex>, naming the layer a
 * step produced. Records are written atomically after their blob is in the store, and a record
 * is only used when it parses and its blob is present with the recorded size, so a killed build
 * never leaves a half record that a later build would trust.
 *
 * Keys chain: each stage starts from a base key (the base manifest digest, the epoch and the
 * compression), and after every layer the chain becomes sha256(chain, diff_id). A step's key is
 * sha256(chain, the step's own description and the digests of its inputs).
 */
#ifndef KILN_CACHE_STEPCACHE_H
#define KILN_CACHE_STEPCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "kiln/error.h"
#include "digest/digest.h"
#include "store/store.h"

#define STEPCACHE_DIR "cache/steps"

struct step_record {
    char digest[DIGEST_STR_LEN + 1];
    char diff_id[DIGEST_STR_LEN + 1];
    uint64_t size;
    char media_type[96];
};

/* A record as JSON ({digest, diff_id, size, mediaType}: the store's files and the shared
 * cache's config) and back; from_json: -1 unless every field is there and valid. */
json_t *step_record_json(const struct step_record *r);
int step_record_from_json(json_t *j, struct step_record *r);

/* 1 on a usable hit (*out filled; the record's mtime is refreshed for prune), 0 on a miss. */
int stepcache_lookup(struct store *s, const char *key, struct step_record *out);
/* Reads and parses a record without checking its blob. */
int stepcache_read(struct store *s, const char *key, struct step_record *out);
int stepcache_put(struct store *s, const char *key, const struct step_record *r,
                  kiln_error_t **err);
/* Removes the record of key (a leaking layer). Missing is fine. */
void stepcache_remove(struct store *s, const char *key);

/* An incremental key: sha256 over length-prefixed fields, so ("ab","c") != ("a","bc"). */
struct cache_key {
    struct sha256 h;
};
void cache_key_begin(struct cache_key *k, const char *kind);
void cache_key_add(struct cache_key *k, const char *field);
void cache_key_addn(struct cache_key *k, const void *p, size_t n);
void cache_key_addu(struct cache_key *k, uint64_t v);
void cache_key_end(struct cache_key *k, char out[DIGEST_STR_LEN + 1]);

#endif
