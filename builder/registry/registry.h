/* kiln's registry client: pull images and artifacts into the content store, push them from
 * it, over the OCI distribution API (libcurl).
 *
 * Every manifest and blob is verified against its digest (and its descriptor's size) while it
 * streams into the store; nothing unverified is ever named there, and a mismatch is a
 * KILN_ECORRUPT error. Blobs already in the store are neither fetched nor read again, so
 * builds share everything they pulled. Network and HTTP failures are KILN_ENETWORK errors
 * that name what kiln was doing and the HTTP status:
 *   "GET manifest: 401 Unauthorized"
 * callers prefix the operation and the reference ("pull 127.0.0.1:5000/app:1: ...").
 *
 * Transport: HTTPS verified against the system CA store (plus --registry-ca); plain HTTP only
 * for loopback registries (127.0.0.0/8, ::1, localhost) and those named by
 * --insecure-registry, which also skips TLS verification. Authentication: anonymous, Basic,
 * and Bearer tokens from the WWW-Authenticate challenge (scopes per repository, pull or
 * pull,push), with credentials from registry_creds.h. Credentials never appear in errors, logs
 * or the store. Requests are retried with exponential backoff on 408/429/5xx and broken
 * connections (registry_retry.h); blob downloads resume with Range requests.
 */
#ifndef KILN_REGISTRY_H
#define KILN_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"
#include "kiln/registry.h"
#include "digest/digest.h"
#include "oci/image.h"
#include "store/store.h"

#define REGISTRY_MAX_MANIFEST     (4u * 1024 * 1024)           /* a manifest or index */
#define REGISTRY_MAX_ERROR_BODY   4096                         /* kept of an error response */
#define REGISTRY_MAX_INSECURE     KILN_MAX_INSECURE_REGISTRIES /* --insecure-registry flags */
#define REGISTRY_DEFAULT_PARALLEL 4                            /* concurrent blob transfers */
#define REGISTRY_MAX_PARALLEL     KILN_MAX_REGISTRY_PARALLEL
#define REGISTRY_MAX_BLOBS        4096 /* descriptors in one push or fetch */

struct registry_opts {
    const char *ca_file;         /* extra CA bundle (PEM) for TLS; NULL: the system store only */
    const char *const *insecure; /* HOST[:PORT] that may use plain HTTP or unverified TLS */
    size_t ninsecure;
    const char *auth_file;  /* NULL: $REGISTRY_AUTH_FILE, else the Docker config */
    unsigned parallel;      /* concurrent blob transfers; 0: REGISTRY_DEFAULT_PARALLEL */
    uint64_t chunk_size;    /* push: upload in PATCH chunks of this size; 0: one PUT */
    unsigned max_attempts;  /* per request; 0: REGISTRY_RETRY_ATTEMPTS */
    unsigned base_delay_ms; /* the first retry's backoff; 0: REGISTRY_RETRY_BASE_MS */
    long connect_timeout;   /* seconds; 0: 30 */
    long low_speed_time;    /* seconds under 1 KiB/s before a transfer is abandoned; 0: 60 */
    /* Progress lines ("pulling 3 blobs", never a secret); may be NULL. Called from the thread
     * that called into the registry module only. */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
};

/* The options of the public API (--registry-ca, --insecure-registry, ...), as they are. */
void registry_opts_from(struct registry_opts *o, const struct kiln_registry_opts *k);

/* The options used when a caller passes NULL: set once by the CLI from its flags (the build
 * driver reaches the registry through stage.c and export.c, which pass NULL). The pointed-to
 * options must outlive every registry call. NULL restores the built-in defaults. */
void registry_opts_set_default(const struct registry_opts *o);
const struct registry_opts *registry_opts_get_default(void);

/* ---- pull ---- */

struct registry_pulled {
    char manifest[DIGEST_STR_LEN + 1]; /* the image manifest for the platform */
    char top[DIGEST_STR_LEN + 1];      /* what the reference named: an index or the manifest */
    char *canonical;                   /* "domain/path[:tag]@<top>", allocated */
};

/* Pulls the image ref (Docker-normalised: "python" is docker.io/library/python:latest) for
 * os/arch/variant (variant may be NULL) into the store: the index (resolved to the platform),
 * the manifest, the config and every layer (in parallel). A reference by digest whose content
 * is all in the store needs no network at all. */
int registry_pull_image(struct store *s, const struct registry_opts *o, const char *ref,
                        const char *os, const char *arch, const char *variant,
                        struct registry_pulled *out, kiln_error_t **err);

/* ---- push ---- */

struct registry_push_req {
    const struct oci_desc *top; /* a manifest or an index in the store */
    const char *ref;            /* destination REG/REPO[:TAG] (no tag: by digest only) */
    /* References of repositories on the same registry that may hold some of the blobs (e.g.
     * the base image): blobs are mounted from them instead of uploaded when the registry
     * allows it. May be NULL. */
    const char *const *mount_from;
    size_t nmount_from;
};

struct registry_push_result {
    char digest[DIGEST_STR_LEN + 1]; /* the top manifest or index, as pushed */
    size_t blobs_uploaded;           /* blobs the registry did not have */
    size_t blobs_mounted;            /* blobs mounted from another repository */
    size_t blobs_present;            /* blobs the registry had already */
    size_t referrers_tagged;         /* manifests with a subject indexed under a sha256-<hex> tag */
};

/* Pushes top and everything it references to req->ref: the blobs the registry does not have
 * (HEAD first, then a cross-repository mount, else an upload), then the manifests children
 * first, the top one last under the tag. A manifest with a "subject" is also made findable
 * through the referrers API: when the registry does not answer its PUT with OCI-Subject
 * (registries before OCI 1.1), kiln adds it to the index tagged sha256-<subject hex>. */
int registry_push(struct store *s, const struct registry_opts *o,
                  const struct registry_push_req *req, struct registry_push_result *res,
                  kiln_error_t **err);

/* ---- artifacts (the remote build cache's transport) ---- */

#define MEDIA_TYPE_OCI_EMPTY "application/vnd.oci.empty.v1+json"

struct registry_artifact {
    const char *artifact_type;     /* the manifest's artifactType, e.g. a cache format */
    const char *config_media_type; /* NULL: MEDIA_TYPE_OCI_EMPTY ("{}") */
    const char *config;            /* the config bytes (JSON); NULL with the empty type */
    size_t config_len;
    const struct oci_desc *layers; /* blobs already in the store, in order */
    size_t nlayers;
    json_t *annotations; /* on the manifest; may be NULL */
};

/* Writes the artifact's config and OCI 1.1 image manifest into the store, then pushes it to ref
 * (blobs first, only those missing). *manifest: the manifest pushed. */
int registry_artifact_push(struct store *s, const struct registry_opts *o, const char *ref,
                           const struct registry_artifact *a, struct oci_desc *manifest,
                           kiln_error_t **err);

/* Fetches the manifest ref names (an OCI image manifest of any artifactType) and its config into
 * the store, and its layers too when with_layers. A reference that does not exist is not an
 * error: *missing is set and 0 returned (a cache that was never exported). */
int registry_artifact_pull(struct store *s, const struct registry_opts *o, const char *ref,
                           bool with_layers, struct oci_desc *manifest, bool *missing,
                           kiln_error_t **err);

/* Fetches blobs of the repository of ref into the store (in parallel, verified, skipping those
 * already there): the layers of an artifact that turned out to be needed. */
int registry_fetch_blobs(struct store *s, const struct registry_opts *o, const char *ref,
                         const struct oci_desc *blobs, size_t n, kiln_error_t **err);

#endif
