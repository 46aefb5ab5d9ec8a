/* The step cache as the build sees it: the store's records, plus a cache shared through a
 * registry (--cache-from/--cache-to type=registry,ref=REF).
 *
 * The shared cache is an OCI artifact (artifactType CACHE_ARTIFACT_TYPE) whose config lists
 * records {key: {digest, diff_id, size, mediaType}} and whose layers are the records' layer
 * blobs. --cache-from reads the config before the build and fetches a layer only when its
 * step is a hit; --cache-to pushes the records this build used (hits and new steps). */
#include <string.h>

#include "build.h"
#include "cache/stepcache.h"
#include "json.h"
#include "registry/registry.h"
#include "strset.h"
#include "util.h"

#define CACHE_ARTIFACT_TYPE "application/vnd.kiln.cache.v1+json"
#define CACHE_CONFIG_TYPE   "application/vnd.kiln.cache.config.v1+json"
#define CACHE_MAX_RECORDS   100000u

bool build_cache_enabled(struct build *b, struct build_stage *st)
{
    if (b->o->no_cache)
        return false;
    for (size_t i = 0; i < b->o->nno_cache_filter; i++)
        if (st->df->name && !strcasecmp(b->o->no_cache_filter[i], st->df->name))
            return false;
    return true;
}

int build_cache_import(struct build *b, kiln_error_t **err)
{
    b->cache.used = json_object();
    const char *ref = b->o->cache_from;
    if (!ref)
        return 0;
    struct oci_desc m;
    bool missing = false;
    if (registry_artifact_pull(b->store, NULL, ref, false, &m, &missing, err) < 0)
        return kiln_err_wrap(err, "--cache-from %s", ref);
    if (missing) {
        step_log(b, KILN_LOG_INFO, "--cache-from %s: no cache there yet", ref);
        return 0;
    }
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(b->store, m.digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return kiln_err_wrap(err, "--cache-from %s", ref);
    cleanup_json json_t *man = json_parse_object(data, len, STORE_MAX_JSON, "cache manifest", err);
    struct oci_desc cd;
    const char *at = json_string_value(json_object_get(man, "artifactType"));
    int rc = man ? desc_parse(json_object_get(man, "config"), "cache manifest", &cd, err) : -1;
    if (rc == 0 && (!at || strcmp(at, CACHE_ARTIFACT_TYPE)))
        rc = kiln_err(err, KILN_EINPUT, 0, "not a kiln cache (artifactType '%s')", at ? at : "");
    cleanup_free char *cfg = NULL;
    if (rc == 0 && store_read_blob(b->store, cd.digest, STORE_MAX_JSON, &cfg, &len, err) < 0)
        rc = -1;
    cleanup_json json_t *c =
        rc == 0 ? json_parse_object(cfg, len, STORE_MAX_JSON, "cache config", err) : NULL;
    if (rc < 0 || !c)
        return kiln_err_wrap(err, "--cache-from %s", ref);
    b->cache.from = json_incref(json_object_get(c, "records"));
    step_log(b, KILN_LOG_INFO, "--cache-from %s: %zu cache records", ref,
             json_object_size(b->cache.from));
    return 0;
}

void build_cache_note(struct build *b, const char *key, const struct step_record *r)
{
    pthread_mutex_lock(&b->lock);
    if (b->cache.used && json_object_size(b->cache.used) < CACHE_MAX_RECORDS)
        json_object_set_new(b->cache.used, key, step_record_json(r));
    pthread_mutex_unlock(&b->lock);
}

/* A record of the shared cache: its layer is fetched into the store and recorded locally. */
static int remote_hit(struct build *b, const char *key, struct step_record *r)
{
    pthread_mutex_lock(&b->lock);
    cleanup_json json_t *j =
        b->cache.from ? json_incref(json_object_get(b->cache.from, key)) : NULL;
    pthread_mutex_unlock(&b->lock);
    if (!j || step_record_from_json(j, r) < 0)
        return 0;
    struct oci_desc d = {.size = r->size};
    snprintf(d.media_type, sizeof(d.media_type), "%s", r->media_type);
    memcpy(d.digest, r->digest, sizeof(d.digest));
    kiln_error_t *e = NULL;
    if (registry_fetch_blobs(b->store, NULL, b->o->cache_from, &d, 1, &e) < 0 ||
        stepcache_put(b->store, key, r, &e) < 0) {
        step_log(b, KILN_LOG_WARN, "--cache-from: %s", e->msg);
        kiln_error_free(e);
        return 0;
    }
    return 1;
}

int build_cache_get(struct build *b, struct build_stage *st, const char *key, struct step_record *r,
                    kiln_error_t **err)
{
    if (!build_cache_enabled(b, st))
        return 0;
    if (!stepcache_lookup(b->store, key, r) && !remote_hit(b, key, r))
        return 0;
    if (leakcheck_cached(b, st, key, r, err) < 0)
        return -1;
    build_cache_note(b, key, r);
    return 1;
}

void build_cache_put(struct build *b, const char *key, const struct step_record *r)
{
    kiln_error_t *e = NULL;
    if (stepcache_put(b->store, key, r, &e) < 0) {
        step_log(b, KILN_LOG_WARN, "cannot record a cache entry: %s", e->msg);
        kiln_error_free(e);
    }
    build_cache_note(b, key, r);
}

int build_cache_export(struct build *b, kiln_error_t **err)
{
    const char *ref = b->o->cache_to;
    if (!ref)
        return 0;
    size_t n = 0, cap = 0;
    struct oci_desc *layers = NULL;
    struct strset seen = STRSET_INIT;
    const char *key;
    json_t *rec;
    json_object_foreach(b->cache.used, key, rec)
    {
        struct step_record r;
        if (step_record_from_json(rec, &r) < 0 || !store_has_blob(b->store, r.digest) ||
            !strset_add(&seen, r.digest))
            continue;
        xgrow(&layers, &cap, n + 1, sizeof(*layers));
        layers[n] = (struct oci_desc){.size = r.size};
        snprintf(layers[n].media_type, sizeof(layers[n].media_type), "%s", r.media_type);
        memcpy(layers[n++].digest, r.digest, sizeof(r.digest));
    }
    strset_release(&seen);
    cleanup_json json_t *cfg = json_pack("{s:O}", "records", b->cache.used);
    cleanup_free char *data = json_dump_stable(cfg);
    struct registry_artifact a = {.artifact_type = CACHE_ARTIFACT_TYPE,
                                  .config_media_type = CACHE_CONFIG_TYPE,
                                  .config = data,
                                  .config_len = strlen(data),
                                  .layers = layers,
                                  .nlayers = n};
    struct oci_desc m;
    int rc = registry_artifact_push(b->store, NULL, ref, &a, &m, err);
    free(layers);
    if (rc < 0)
        return kiln_err_wrap(err, "--cache-to %s", ref);
    step_log(b, KILN_LOG_INFO, "--cache-to %s: %zu records, %zu layers", ref,
             json_object_size(b->cache.used), n);
    return 0;
}

void build_cache_release(struct build_cache *c)
{
    json_decref(c->from);
    json_decref(c->used);
}
