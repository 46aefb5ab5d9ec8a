#include <string.h>
#include <time.h>

#include "image.h"
#include "json.h"
#include "util.h"

void format_rfc3339(int64_t epoch, char out[32])
{
    time_t t = (time_t)epoch;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct image *image_new_scratch(const char *os, const char *arch, const char *variant)
{
    struct image *img = xcalloc(1, sizeof(*img));
    img->config = json_object();
    json_object_set_new(img->config, "architecture", json_string(arch));
    json_object_set_new(img->config, "os", json_string(os));
    if (variant && *variant)
        json_object_set_new(img->config, "variant", json_string(variant));
    json_t *cfg = image_cfg(img);
    json_object_set_new(cfg, "WorkingDir", json_string("/"));
    json_t *rootfs = json_pack("{s:s,s:[]}", "type", "layers", "diff_ids");
    json_object_set_new(img->config, "rootfs", rootfs);
    return img;
}

struct image *image_clone(const struct image *img)
{
    struct image *c = xcalloc(1, sizeof(*c));
    c->config = json_deep_copy(img->config);
    c->nlayers = img->nlayers;
    c->layers = xcalloc(img->nlayers ? img->nlayers : 1, sizeof(*c->layers));
    for (size_t i = 0; i < img->nlayers; i++) {
        c->layers[i] = img->layers[i];
        c->layers[i].media_type = xstrdup(img->layers[i].media_type);
    }
    return c;
}

void image_free(struct image *img)
{
    if (!img)
        return;
    json_decref(img->config);
    for (size_t i = 0; i < img->nlayers; i++)
        free(img->layers[i].media_type);
    free(img->layers);
    free(img);
}

json_t *image_cfg(struct image *img)
{
    json_t *cfg = json_object_get(img->config, "config");
    if (!json_is_object(cfg)) {
        cfg = json_object();
        json_object_set_new(img->config, "config", cfg);
    }
    return cfg;
}

const char *image_cfg_string(struct image *img, const char *key)
{
    return json_string_value(json_object_get(image_cfg(img), key));
}

static json_t *env_array(struct image *img)
{
    json_t *cfg = image_cfg(img);
    json_t *env = json_object_get(cfg, "Env");
    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(cfg, "Env", env);
    }
    return env;
}

static bool env_key_is(const char *entry, const char *key)
{
    size_t n = strlen(key);
    return strncmp(entry, key, n) == 0 && entry[n] == '=';
}

const char *image_env_get(struct image *img, const char *key)
{
    json_t *env = env_array(img);
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        if (s && env_key_is(s, key))
            return s + strlen(key) + 1;
    }
    return NULL;
}

void image_env_set(struct image *img, const char *key, const char *value)
{
    json_t *env = env_array(img);
    cleanup_free char *entry = xasprintf("%s=%s", key, value);
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        if (s && env_key_is(s, key)) {
            json_array_set_new(env, i, json_string(entry));
            return;
        }
    }
    json_array_append_new(env, json_string(entry));
}

char **image_command(struct image *img, bool json, char *const *args, size_t nargs, char *script,
                     size_t *n)
{
    char **v = NULL;
    *n = 0;
    if (json) {
        free(script);
        for (size_t i = 0; i < nargs; i++)
            strv_push(&v, n, xstrdup(args[i]));
        return v ? v : xcalloc(1, sizeof(char *));
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(image_cfg(img), "Shell"), i, e)
        strv_push(&v, n, xstrdup(json_string_value(e) ?: ""));
    if (!*n) {
        strv_push(&v, n, xstrdup("/bin/sh"));
        strv_push(&v, n, xstrdup("-c"));
    }
    strv_push(&v, n, script);
    return v;
}

static json_t *rootfs_diff_ids(struct image *img)
{
    json_t *rootfs = json_object_get(img->config, "rootfs");
    if (!json_is_object(rootfs)) {
        rootfs = json_pack("{s:s}", "type", "layers");
        json_object_set_new(img->config, "rootfs", rootfs);
    }
    json_t *ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_array(ids)) {
        ids = json_array();
        json_object_set_new(rootfs, "diff_ids", ids);
    }
    return ids;
}

static int layers_push(struct image *img, const char *digest, const char *diff_id, uint64_t size,
                       const char *media_type, kiln_error_t **err)
{
    if (img->nlayers >= IMAGE_MAX_LAYERS)
        return kiln_err(err, KILN_ELIMIT, 0, "an image may have at most %d layers",
                        IMAGE_MAX_LAYERS);
    img->layers = xrealloc(img->layers, (img->nlayers + 1) * sizeof(*img->layers));
    struct image_layer *l = &img->layers[img->nlayers++];
    memset(l, 0, sizeof(*l));
    memcpy(l->digest, digest, DIGEST_STR_LEN + 1);
    memcpy(l->diff_id, diff_id, DIGEST_STR_LEN + 1);
    l->size = size;
    l->media_type = xstrdup(media_type);
    return 0;
}

int image_add_layer(struct image *img, const char *digest, const char *diff_id, uint64_t size,
                    const char *media_type, kiln_error_t **err)
{
    if (layers_push(img, digest, diff_id, size, media_type, err) < 0)
        return -1;
    json_array_append_new(rootfs_diff_ids(img), json_string(diff_id));
    return 0;
}

void image_add_history(struct image *img, const char *created_by, bool empty_layer, int64_t epoch)
{
    json_t *hist = json_object_get(img->config, "history");
    if (!json_is_array(hist)) {
        hist = json_array();
        json_object_set_new(img->config, "history", hist);
    }
    char ts[32];
    format_rfc3339(epoch, ts);
    json_t *h = json_pack("{s:s,s:s,s:s}", "created", ts, "created_by", created_by, "comment",
                          "buildkit.dockerfile.v0");
    if (empty_layer)
        json_object_set_new(h, "empty_layer", json_true());
    json_array_append_new(hist, h);
}

int image_commit(struct store *s, struct image *img, int64_t epoch, json_t *annotations,
                 struct oci_desc *manifest, struct oci_desc *config, kiln_error_t **err)
{
    char ts[32];
    format_rfc3339(epoch, ts);
    json_object_set_new(img->config, "created", json_string(ts));
    rootfs_diff_ids(img);
    cleanup_free char *cfg = json_dump_stable(img->config);
    struct oci_desc c = {.size = strlen(cfg)};
    snprintf(c.media_type, sizeof(c.media_type), "%s", MEDIA_TYPE_OCI_CONFIG);
    if (store_put_blob(s, cfg, c.size, c.digest, err) < 0)
        return -1;
    json_t *layers = json_array();
    for (size_t i = 0; i < img->nlayers; i++)
        json_array_append_new(layers, json_descriptor(img->layers[i].media_type,
                                                      img->layers[i].digest, img->layers[i].size));
    cleanup_json json_t *m =
        json_pack("{s:i,s:s,s:o,s:o}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_MANIFEST,
                  "config", json_descriptor(c.media_type, c.digest, c.size), "layers", layers);
    if (annotations && json_object_size(annotations))
        json_object_set(m, "annotations", annotations);
    cleanup_free char *ms = json_dump_stable(m);
    struct oci_desc md = {.size = strlen(ms)};
    snprintf(md.media_type, sizeof(md.media_type), "%s", MEDIA_TYPE_OCI_MANIFEST);
    if (store_put_blob(s, ms, md.size, md.digest, err) < 0)
        return -1;
    if (manifest)
        *manifest = md;
    if (config)
        *config = c;
    return 0;
}

int desc_parse(json_t *j, const char *what, struct oci_desc *d, kiln_error_t **err)
{
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    const char *dg = json_string_value(json_object_get(j, "digest"));
    json_t *sz = json_object_get(j, "size");
    if (!mt || !dg || !json_is_integer(sz) || json_integer_value(sz) < 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "%s: descriptor needs mediaType, digest, size",
                        what);
    if (!digest_valid(dg))
        return kiln_err(err, KILN_ECORRUPT, 0, "%s: unsupported digest '%s'", what, dg);
    if (strlen(mt) >= sizeof(d->media_type))
        return kiln_err(err, KILN_ECORRUPT, 0, "%s: media type too long", what);
    snprintf(d->media_type, sizeof(d->media_type), "%s", mt);
    snprintf(d->digest, sizeof(d->digest), "%s", dg);
    d->size = (uint64_t)json_integer_value(sz);
    return 0;
}

static bool layer_type_ok(const char *mt)
{
    static const char *const ok[] = {MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_TAR,
                                     MEDIA_TYPE_LAYER_ZSTD, MEDIA_TYPE_DOCKER_LAYER};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        if (!strcmp(mt, ok[i]))
            return true;
    return false;
}

static int load_config(struct store *s, const struct oci_desc *cd, struct image *img,
                       kiln_error_t **err)
{
    if (strcmp(cd->media_type, MEDIA_TYPE_OCI_CONFIG) &&
        strcmp(cd->media_type, MEDIA_TYPE_DOCKER_CONFIG))
        return kiln_err(err, KILN_ECORRUPT, 0, "config has media type '%s'", cd->media_type);
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(s, cd->digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    img->config = json_parse_object(data, len, STORE_MAX_JSON, "image config", err);
    return img->config ? 0 : -1;
}

int image_load(struct store *s, const char *manifest_digest, struct image **out, kiln_error_t **err)
{
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(s, manifest_digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    cleanup_json json_t *m = json_parse_object(data, len, STORE_MAX_JSON, "manifest", err);
    if (!m)
        return -1;
    cleanup_image struct image *img = xcalloc(1, sizeof(*img));
    struct oci_desc cd;
    json_t *layers = json_object_get(m, "layers");
    int rc = desc_parse(json_object_get(m, "config"), "manifest config", &cd, err);
    if (rc == 0 && !json_is_array(layers))
        rc = kiln_err(err, KILN_ECORRUPT, 0, "manifest has no layers array");
    if (rc == 0)
        rc = load_config(s, &cd, img, err);
    json_t *ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
    if (rc == 0 && json_array_size(ids) != json_array_size(layers))
        rc = kiln_err(err, KILN_ECORRUPT, 0, "config has %zu diff_ids for %zu layers",
                      json_array_size(ids), json_array_size(layers));
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (rc < 0)
            break;
        struct oci_desc ld;
        const char *diff = json_string_value(json_array_get(ids, i));
        rc = desc_parse(l, "manifest layer", &ld, err);
        if (rc == 0 && !layer_type_ok(ld.media_type))
            rc = kiln_err(err, KILN_EUNSUPPORTED, 0, "layer media type '%s' is not supported",
                          ld.media_type);
        if (rc == 0 && !digest_valid(diff))
            rc = kiln_err(err, KILN_ECORRUPT, 0, "config: invalid diff_id");
        if (rc == 0)
            rc = layers_push(img, ld.digest, diff, ld.size, ld.media_type, err);
    }
    if (rc < 0)
        return -1;
    *out = steal_ptr(img);
    return 0;
}
