/* The image record that flows from the build driver to the exporter: an image config (kept as
 * JSON so fields kiln does not know about survive from a base image) and its ordered layers,
 * whose blobs already sit in the content store.
 */
#ifndef KILN_OCI_IMAGE_H
#define KILN_OCI_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "kiln/error.h"
#include "digest/digest.h"
#include "store/store.h"

#define MEDIA_TYPE_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MEDIA_TYPE_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define MEDIA_TYPE_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_TYPE_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_TYPE_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define MEDIA_TYPE_DOCKER_LAYER    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_TYPE_LAYER_GZIP      "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_TYPE_LAYER_TAR       "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_TYPE_LAYER_ZSTD      "application/vnd.oci.image.layer.v1.tar+zstd"

#define IMAGE_MAX_LAYERS 127

struct image_layer {
    char digest[DIGEST_STR_LEN + 1];
    char diff_id[DIGEST_STR_LEN + 1];
    uint64_t size;
    char *media_type;
};

struct image {
    json_t *config; /* the whole config document (architecture, os, config, rootfs, history) */
    struct image_layer *layers;
    size_t nlayers;
};

/* A descriptor of a stored blob. */
struct oci_desc {
    char media_type[128];
    char digest[DIGEST_STR_LEN + 1];
    uint64_t size;
};

/* BuildKit's empty image: WorkingDir "/", the given platform (the default PATH, BuildKit adds to
 * every image config without one, comes from the frontend: frontend/args.h). */
struct image *image_new_scratch(const char *os, const char *arch, const char *variant);
struct image *image_clone(const struct image *img);
void image_free(struct image *img);
static inline void cleanup_imagep(struct image **i)
{
    image_free(*i);
}
#define cleanup_image __attribute__((cleanup(cleanup_imagep)))

/* The "config" object inside the config document (created when missing). */
json_t *image_cfg(struct image *img);
const char *image_cfg_string(struct image *img, const char *key);
/* Env lookup ("KEY=VALUE" list), and set (replacing an existing KEY). */
const char *image_env_get(struct image *img, const char *key);
void image_env_set(struct image *img, const char *key, const char *value);

/* A command as the image runs it (BuildKit's withShell): the exec form's args as they are, or
 * the image's SHELL (default /bin/sh -c) followed by script. Takes script (may be NULL with
 * json). Returns a NULL-terminated vector of *n strings. */
char **image_command(struct image *img, bool json, char *const *args, size_t nargs, char *script,
                     size_t *n);

int image_add_layer(struct image *img, const char *digest, const char *diff_id, uint64_t size,
                    const char *media_type, kiln_error_t **err);
/* Appends a history entry as BuildKit writes it (created = epoch, comment
 * "buildkit.dockerfile.v0"). */
void image_add_history(struct image *img, const char *created_by, bool empty_layer, int64_t epoch);

/* Serialises config and manifest into the store. annotations (may be NULL) go on the manifest. */
int image_commit(struct store *s, struct image *img, int64_t epoch, json_t *annotations,
                 struct oci_desc *manifest, struct oci_desc *config, kiln_error_t **err);
/* Loads an image from a manifest in the store (config and layer descriptors); the blobs of the
 * layers must be in the store already. */
int image_load(struct store *s, const char *manifest_digest, struct image **out,
               kiln_error_t **err);

/* Reads mediaType, digest (sha256 only) and size of a descriptor. */
int desc_parse(json_t *j, const char *what, struct oci_desc *d, kiln_error_t **err);

/* Formats epoch as RFC 3339 UTC ("1970-01-01T00:00:00Z"). */
void format_rfc3339(int64_t epoch, char out[32]);

#endif
