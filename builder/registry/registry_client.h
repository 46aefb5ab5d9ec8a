/* The registry client's HTTP layer (internal): one client per registry repository, holding the
 * base URL, the authentication state and the retry policy; one connection (a curl handle) per
 * thread using it. registry_client_do() sends one request with retries and authentication and
 * checks the status. */
#ifndef KILN_REGISTRY_CLIENT_H
#define KILN_REGISTRY_CLIENT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>

#include "buf.h"
#include "oci/reference.h"
#include "registry.h"
#include "registry_auth.h"
#include "registry_creds.h"
#include "registry_retry.h"

#define REGISTRY_MAX_HEADER 8192 /* one response header value kept */

enum registry_action { REGISTRY_PULL, REGISTRY_PUSH };

struct registry_client {
    const struct registry_opts *o;
    char *domain;      /* as the reference spells it: "docker.io" */
    char *host;        /* what kiln connects to: "registry-1.docker.io" */
    char *repo;        /* "library/python" */
    char *base;        /* "https://host" or "http://host", known after the ping */
    bool plain_ok;     /* loopback or --insecure-registry: plain HTTP allowed */
    bool tls_noverify; /* --insecure-registry: TLS certificates not verified */
    char **scopes;     /* token scopes: "repository:<repo>:pull[,push]", ... */
    size_t nscopes;
    struct registry_retry_policy retry;
    pthread_mutex_t lock; /* guards everything below */
    struct registry_challenge chal;
    bool cred_loaded;
    struct registry_cred cred;
    char *cred_source;
    char *authz;                /* "Authorization: ..." or NULL: anonymous */
    unsigned auth_gen;          /* bumped each time authz changes */
    struct registry_conn *conn; /* the connection of the thread that opened the client */
};

struct registry_req;
struct registry_conn;

/* The response of one request; headers of the final response only. */
struct registry_resp {
    long status;
    int curl_code;
    char *location, *digest, *content_type, *range, *content_range, *oci_subject, *www_auth;
    long retry_after;
    struct buf errbody; /* a non-2xx body, truncated to REGISTRY_MAX_ERROR_BODY */
};

/* A streaming consumer of 2xx response bodies. */
struct registry_sink {
    void *ctx;
    /* Before every attempt: may set req->range to resume. */
    void (*before)(void *ctx, struct registry_req *req);
    /* Before the first body byte of a 2xx response (headers complete). */
    int (*start)(void *ctx, const struct registry_resp *resp, kiln_error_t **err);
    int (*write)(void *ctx, const char *p, size_t n, kiln_error_t **err);
};

struct registry_req {
    const char *method; /* GET, HEAD, PUT, POST, PATCH */
    const char *url;    /* "/v2/..." below the base, or an absolute URL */
    const char *what;   /* for messages: "GET manifest" */
    const char *accept;
    const char *content_type;
    const char *extra_header; /* one more "Name: value", or NULL */
    const char *body;         /* a body in memory ... */
    size_t body_len;
    bool body_file; /* ... or a file range: */
    int body_fd;
    uint64_t body_off, body_size;
    bool has_body;              /* send a body (possibly empty) */
    struct buf *out;            /* 2xx body into this bounded buffer, or NULL */
    struct registry_sink *sink; /* or streamed into this */
    const long *ok;             /* accepted statuses, 0-terminated; NULL: 200-299 */
    bool follow;                /* follow redirects (blob downloads) */
    bool no_retry;              /* not idempotent: one attempt, the caller restarts */
    bool anonymous;             /* send no registry Authorization (token requests) */
    const char *authz;          /* an Authorization header to send instead, or NULL */
    long timeout;               /* seconds for the whole request; 0: none */
    char range[48];             /* "N-" for a Range request, or "" */
};

/* A connection: one curl handle, used by one thread at a time. */
struct registry_conn {
    struct registry_client *c;
    CURL *h;
    const int *cancel; /* nonzero: abort transfers (another worker failed); may be NULL */
    char errbuf[CURL_ERROR_SIZE];
    struct registry_req *req; /* the request in flight, for the callbacks */
    struct registry_resp *resp;
    bool started;         /* the sink's start ran for this response */
    kiln_error_t *cb_err; /* an error raised inside a callback */
    uint64_t body_pos;    /* upload position */
};

/* Opens a client for ref's registry and repository: pings /v2/ (choosing HTTPS, or plain HTTP
 * where allowed), then authenticates for the scopes (the repository with the action, plus pull
 * on each of the extra repositories). */
int registry_client_open(const struct registry_opts *o, const struct reference *ref,
                         enum registry_action action, const char *const *extra_pull_repos,
                         size_t nextra, struct registry_client **out, kiln_error_t **err);
void registry_client_free(struct registry_client *c);
static inline void cleanup_registry_clientp(struct registry_client **c)
{
    registry_client_free(*c);
}
#define cleanup_registry_client __attribute__((cleanup(cleanup_registry_clientp)))

/* registry_transport.c: connections, and one attempt of a request (no retry, no auth). */
int registry_conn_init(struct registry_conn *conn, struct registry_client *c, kiln_error_t **err);
void registry_conn_release(struct registry_conn *conn);
/* Returns 0 when the exchange ended (resp->curl_code says whether a response arrived), -1 with
 * a fatal error (raised by the sink or the body limit; not to be retried). */
int registry_transport_send(struct registry_conn *conn, struct registry_req *req,
                            struct registry_resp *resp, kiln_error_t **err);
/* Redirects of a req->follow request are followed here (at most REGISTRY_MAX_REDIRECTS, to
 * HTTPS, or HTTP where the registry is plain-HTTP-ok), and the registry's Authorization goes
 * only to a URL whose origin is the registry's own (registry_transport_same_origin), whatever
 * libcurl would do. */
#define REGISTRY_MAX_REDIRECTS 5
/* Whether url is on the origin base ("scheme://host[:port]", no trailing slash). */
bool registry_transport_same_origin(const char *url, const char *base);
void registry_resp_reset(struct registry_resp *r);

/* registry_login.c: authentication against the challenge. */
/* Authenticates for the client's scopes against chal (from the ping or a 401): a Bearer token,
 * or Basic credentials. Anonymous when there are no credentials and the registry allows it. */
int registry_login(struct registry_conn *conn, const struct registry_challenge *chal,
                   kiln_error_t **err);
/* After a 401 to a request sent with authorization generation gen: authenticates again
 * (another scope, an expired token). Fails when that cannot help (no or rejected
 * credentials). */
int registry_login_retry(struct registry_conn *conn, const struct registry_resp *resp, unsigned gen,
                         kiln_error_t **err);

/* Sends req with authentication and retries; fails unless the final status is accepted. resp
 * is reset first and must be released by the caller either way. */
int registry_client_do(struct registry_conn *conn, struct registry_req *req,
                       struct registry_resp *resp, kiln_error_t **err);
void registry_resp_release(struct registry_resp *r);

/* "/v2/<repo>/<kind>/<ref>" (kind: "manifests", "blobs"). Allocated. */
char *registry_client_path(const struct registry_client *c, const char *kind, const char *ref);
/* Resolves a Location header against the base URL; refuses a scheme other than the base's
 * (or HTTPS). Allocated, NULL with an error. */
char *registry_client_resolve(const struct registry_client *c, const char *location,
                              kiln_error_t **err);
/* The registry host to connect to for a reference domain (docker.io -> registry-1.docker.io). */
const char *registry_client_host(const char *domain);
/* True for a loopback host (127.0.0.0/8, [::1], localhost), with or without a port. */
bool registry_client_is_loopback(const char *host);

/* registry_manifest.c: manifests and indexes. */
/* The Accept header for manifests: OCI and Docker v2 manifests and indexes. */
extern const char registry_manifest_accept[];
/* The media type of a manifest: the Content-Type when it names one kiln knows, else the
 * document's mediaType, else guessed from its shape ("manifests" or "layers"). Schema 1 and
 * unknown types are a KILN_EUNSUPPORTED error. */
int registry_manifest_type(const char *content_type, const char *data, size_t len, char out[128],
                           kiln_error_t **err);
/* GETs the manifest ref (a tag or a digest), bounded to REGISTRY_MAX_MANIFEST, verifies it
 * (against expect's digest and size when given, against a digest reference, and against the
 * Docker-Content-Digest header) and stores it. *out describes it; *data (may be NULL) gets the
 * bytes. missing NULL: a 404 is an error; else it sets *missing and returns 0. */
int registry_manifest_get(struct registry_conn *conn, struct store *s, const char *ref,
                          const struct oci_desc *expect, struct oci_desc *out, char **data,
                          size_t *len, bool *missing, kiln_error_t **err);
/* Reads a manifest from the store (verified) with its media type. */
int registry_manifest_load(struct store *s, const char *digest, struct oci_desc *out, char **data,
                           size_t *len, kiln_error_t **err);

/* registry_blob.c: blob downloads, verified and resumable, in parallel. */
int registry_blob_fetch(struct registry_conn *conn, struct store *s, const struct oci_desc *d,
                        kiln_error_t **err);
/* Fetches the blobs not already in the store with up to o->parallel connections. */
int registry_blob_fetch_all(struct registry_client *c, struct store *s, const struct oci_desc *d,
                            size_t n, kiln_error_t **err);

/* registry_upload.c: blobs and manifests into a repository. */
enum registry_blob_outcome { REGISTRY_BLOB_PRESENT, REGISTRY_BLOB_MOUNTED, REGISTRY_BLOB_UPLOADED };
/* Makes sure the repository has the store blob d: HEAD; else a cross-repository mount from
 * the first of mount_from (repository paths on the same registry) that has it; else an upload,
 * in o->chunk_size PATCH chunks or one PUT. A failed upload restarts, a bounded number of
 * times. */
int registry_upload_blob(struct registry_conn *conn, struct store *s, const struct oci_desc *d,
                         char *const *mount_from, size_t nmount,
                         enum registry_blob_outcome *outcome, kiln_error_t **err);
/* PUTs a manifest under ref (a tag or its digest); verifies the digest the registry reports.
 * *subject_ok: the registry answered with OCI-Subject (it indexes referrers itself). */
int registry_upload_manifest(struct registry_conn *conn, const char *ref, const char *media_type,
                             const char *data, size_t len, const char *digest, bool *subject_ok,
                             kiln_error_t **err);

/* registry_referrers.c: the referrers tag schema of OCI distribution 1.1, for registries
 * without the referrers API. */
/* The descriptor of a referrer manifest as the referrers index lists it (artifactType from
 * the manifest, else its config's media type; its annotations). New reference. */
json_t *registry_referrers_desc(const struct oci_desc *d, json_t *manifest);
/* Adds the descriptors (a JSON array) to the index tagged "sha256-<hex of subject>", creating it
 * when missing. *added: how many were new. */
int registry_referrers_tag(struct registry_conn *conn, const char *subject, json_t *descs,
                           size_t *added, kiln_error_t **err);

/* registry_pool.c: n jobs on up to o->parallel threads, each with its own connection (the
 * calling thread's when only one runs). The first failure cancels the other transfers and is
 * the error returned. */
typedef int (*registry_job_fn)(struct registry_conn *conn, void *ctx, size_t i, kiln_error_t **err);
int registry_pool_run(struct registry_client *c, size_t n, registry_job_fn fn, void *ctx,
                      kiln_error_t **err);

/* The effective options: o, else the process default, else built-in defaults. */
const struct registry_opts *registry_opts_pick(const struct registry_opts *o);

#endif
