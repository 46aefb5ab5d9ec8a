#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "oci/image.h"
#include "stepcache.h"
#include "util.h"

#define STEPCACHE_MAX_RECORD 4096

void cache_key_begin(struct cache_key *k, const char *kind)
{
    sha256_init(&k->h);
    cache_key_add(k, "kiln-step-v1");
    cache_key_add(k, kind);
}

void cache_key_addn(struct cache_key *k, const void *p, size_t n)
{
    uint64_t len = n;
    sha256_update(&k->h, &len, sizeof(len));
    sha256_update(&k->h, p, n);
}

void cache_key_add(struct cache_key *k, const char *field)
{
    cache_key_addn(k, field ? field : "", field ? strlen(field) : 0);
}

void cache_key_addu(struct cache_key *k, uint64_t v)
{
    cache_key_addn(k, &v, sizeof(v));
}

void cache_key_end(struct cache_key *k, char out[DIGEST_STR_LEN + 1])
{
    sha256_final(&k->h, out);
}

static char *record_path(const char *key)
{
    return xasprintf(STEPCACHE_DIR "/%s", digest_hex(key));
}

json_t *step_record_json(const struct step_record *r)
{
    return json_pack("{s:s,s:s,s:I,s:s}", "digest", r->digest, "diff_id", r->diff_id, "size",
                     (json_int_t)r->size, "mediaType", r->media_type);
}

int step_record_from_json(json_t *j, struct step_record *r)
{
    const char *d = json_string_value(json_object_get(j, "digest"));
    const char *di = json_string_value(json_object_get(j, "diff_id"));
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    json_t *sz = json_object_get(j, "size");
    if (!digest_valid(d) || !digest_valid(di) || !mt || strlen(mt) >= sizeof(r->media_type) ||
        !json_is_integer(sz) || json_integer_value(sz) < 0)
        return -1;
    snprintf(r->digest, sizeof(r->digest), "%s", d);
    snprintf(r->diff_id, sizeof(r->diff_id), "%s", di);
    snprintf(r->media_type, sizeof(r->media_type), "%s", mt);
    r->size = (uint64_t)json_integer_value(sz);
    return 0;
}

static int parse_record(const char *data, size_t len, struct step_record *r)
{
    cleanup_json json_t *j =
        json_parse_object(data, len, STEPCACHE_MAX_RECORD, "cache record", NULL);
    return j ? step_record_from_json(j, r) : -1;
}

int stepcache_read(struct store *s, const char *key, struct step_record *out)
{
    cleanup_free char *path = record_path(key);
    cleanup_free char *data = NULL;
    size_t len;
    kiln_error_t *err = NULL;
    if (read_file_limited(s->rootfd, path, STEPCACHE_MAX_RECORD, &data, &len, &err) < 0) {
        kiln_error_free(err);
        return -1;
    }
    return parse_record(data, len, out);
}

int stepcache_lookup(struct store *s, const char *key, struct step_record *out)
{
    cleanup_free char *path = record_path(key);
    if (stepcache_read(s, key, out) < 0)
        return 0;
    cleanup_close int fd = store_open_blob(s, out->digest, NULL);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size != out->size)
        return 0;
    utimensat(s->rootfd, path, NULL, 0); /* last use, for prune --keep-storage */
    return 1;
}

int stepcache_put(struct store *s, const char *key, const struct step_record *r, kiln_error_t **err)
{
    if (mkdir_p_at(s->rootfd, STEPCACHE_DIR, 0700, err) < 0)
        return -1;
    cleanup_json json_t *j = step_record_json(r);
    cleanup_free char *data = json_dump_stable(j);
    cleanup_free char *path = record_path(key);
    return write_file_atomic(s->rootfd, path, data, strlen(data), 0600, err);
}

void stepcache_remove(struct store *s, const char *key)
{
    cleanup_free char *path = record_path(key);
    unlinkat(s->rootfd, path, 0);
}
