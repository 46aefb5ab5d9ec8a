/* Blob uploads (HEAD, cross-repository mount, monolithic or chunked upload) and manifest PUTs. */
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "registry_client.h"
#include "util.h"

struct upload {
    struct registry_conn *conn;
    const struct oci_desc *d;
    int fd;
    bool transient; /* the last failure is worth starting over */
};

/* One request of an upload: no retry of its own, the whole upload restarts instead. */
static int send_step(struct upload *u, struct registry_req *req, struct registry_resp *resp,
                     kiln_error_t **err)
{
    req->no_retry = true;
    int rc = registry_client_do(u->conn, req, resp, err);
    u->transient = rc < 0 && (registry_retry_transport(resp->curl_code) ||
                              registry_retry_status(resp->status));
    return rc;
}

static int blob_exists(struct registry_conn *conn, const char *repo, const char *digest,
                       bool *exists, kiln_error_t **err)
{
    static const long ok[] = {200, 404, 0};
    cleanup_free char *path = xasprintf("/v2/%s/blobs/%s", repo, digest);
    cleanup_free char *what = xasprintf("HEAD blob %s", digest);
    struct registry_req req = {
        .method = "HEAD", .url = path, .what = what, .ok = ok, .timeout = 120};
    struct registry_resp resp = {0};
    int rc = registry_client_do(conn, &req, &resp, err);
    *exists = resp.status == 200;
    registry_resp_release(&resp);
    return rc;
}

/* POST an upload (query: a mount, or NULL). *location: where to upload, NULL when mounted. */
static int upload_start(struct upload *u, const char *query, char **location, kiln_error_t **err)
{
    static const long ok[] = {201, 202, 0};
    struct registry_client *c = u->conn->c;
    cleanup_free char *path = xasprintf("/v2/%s/blobs/uploads/%s", c->repo, query ? query : "");
    struct registry_req req = {.method = "POST",
                               .url = path,
                               .what = "POST blob upload",
                               .has_body = true,
                               .ok = ok,
                               .timeout = 120};
    struct registry_resp resp = {0};
    int rc = send_step(u, &req, &resp, err);
    *location = NULL;
    if (rc == 0 && resp.status == 202) {
        if (!resp.location)
            rc = kiln_err(err, KILN_ENETWORK, 0, "POST blob upload: no Location in the answer");
        else
            *location = registry_client_resolve(c, resp.location, err);
        rc = rc == 0 && !*location ? -1 : rc;
    }
    registry_resp_release(&resp);
    return rc;
}

static char *with_digest(const char *location, const char *digest)
{
    return xasprintf("%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?', digest);
}

/* PUT ?digest= with the bytes from off to the end (none for a chunked upload's last step). */
static int upload_finish(struct upload *u, const char *location, uint64_t off, kiln_error_t **err)
{
    static const long ok[] = {201, 0};
    cleanup_free char *url = with_digest(location, u->d->digest);
    cleanup_free char *what = xasprintf("PUT blob %s", u->d->digest);
    struct registry_req req = {.method = "PUT",
                               .url = url,
                               .what = what,
                               .has_body = true,
                               .content_type = "application/octet-stream",
                               .body_file = true,
                               .body_fd = u->fd,
                               .body_off = off,
                               .body_size = u->d->size - off,
                               .ok = ok};
    struct registry_resp resp = {0};
    int rc = send_step(u, &req, &resp, err);
    if (rc == 0 && resp.digest && strcmp(resp.digest, u->d->digest) != 0)
        rc = kiln_err(err, KILN_ECORRUPT, 0, "%s: the registry stored digest %.80s", what,
                      resp.digest);
    registry_resp_release(&resp);
    return rc;
}

/* "0-N" must be what was sent so far. */
static bool range_is(const char *range, uint64_t end)
{
    char want[48];
    snprintf(want, sizeof(want), "0-%" PRIu64, end);
    return range && !strcmp(range, want);
}

static int upload_chunk(struct upload *u, char **location, uint64_t off, uint64_t n,
                        kiln_error_t **err)
{
    static const long ok[] = {202, 0};
    cleanup_free char *cr = xasprintf("Content-Range: %" PRIu64 "-%" PRIu64, off, off + n - 1);
    cleanup_free char *what = xasprintf("PATCH blob %s", u->d->digest);
    struct registry_req req = {.method = "PATCH",
                               .url = *location,
                               .what = what,
                               .has_body = true,
                               .content_type = "application/octet-stream",
                               .extra_header = cr,
                               .body_file = true,
                               .body_fd = u->fd,
                               .body_off = off,
                               .body_size = n,
                               .ok = ok};
    struct registry_resp resp = {0};
    int rc = send_step(u, &req, &resp, err);
    if (rc == 0 && !range_is(resp.range, off + n - 1))
        rc = kiln_err(err, KILN_ENETWORK, 0,
                      "%s: the registry has range '%.60s' after %" PRIu64 " bytes", what,
                      resp.range ? resp.range : "", off + n);
    char *next =
        rc == 0 && resp.location ? registry_client_resolve(u->conn->c, resp.location, err) : NULL;
    if (rc == 0 && !next)
        rc = resp.location ? -1 : kiln_err(err, KILN_ENETWORK, 0, "%s: no Location", what);
    registry_resp_release(&resp);
    if (rc == 0) {
        free(*location);
        *location = next;
    }
    return rc;
}

static int upload_once(struct upload *u, kiln_error_t **err)
{
    cleanup_free char *location = NULL;
    if (upload_start(u, NULL, &location, err) < 0)
        return -1;
    if (!location)
        return kiln_err(err, KILN_ENETWORK, 0, "POST blob upload: 201 without a mount");
    uint64_t chunk = u->conn->c->o->chunk_size, off = 0;
    while (chunk && off < u->d->size) {
        uint64_t n = u->d->size - off < chunk ? u->d->size - off : chunk;
        if (upload_chunk(u, &location, off, n, err) < 0)
            return -1;
        off += n;
    }
    return upload_finish(u, location, off, err);
}

static int upload_with_retries(struct upload *u, kiln_error_t **err)
{
    struct registry_client *c = u->conn->c;
    for (unsigned attempt = 1;; attempt++) {
        if (upload_once(u, err) == 0)
            return 0;
        if (!u->transient || attempt >= c->retry.max_attempts)
            return -1;
        unsigned ms = registry_retry_delay_ms(&c->retry, attempt, -1, 0.5);
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Mounts d from the first source repository that has it. *mounted false: none could. */
static int try_mount(struct upload *u, char *const *from, size_t n, bool *mounted,
                     kiln_error_t **err)
{
    *mounted = false;
    for (size_t i = 0; i < n && !*mounted; i++) {
        bool has = false;
        if (blob_exists(u->conn, from[i], u->d->digest, &has, NULL) < 0 || !has)
            continue;
        cleanup_free char *q = xasprintf("?mount=%s&from=%s", u->d->digest, from[i]);
        cleanup_free char *location = NULL;
        if (upload_start(u, q, &location, err) < 0)
            return -1;
        *mounted = location == NULL; /* 202: the registry started an upload instead */
    }
    return 0;
}

int registry_upload_blob(struct registry_conn *conn, struct store *s, const struct oci_desc *d,
                         char *const *mount_from, size_t nmount,
                         enum registry_blob_outcome *outcome, kiln_error_t **err)
{
    bool exists, mounted;
    if (blob_exists(conn, conn->c->repo, d->digest, &exists, err) < 0)
        return -1;
    *outcome = REGISTRY_BLOB_PRESENT;
    if (exists)
        return 0;
    struct upload u = {.conn = conn, .d = d, .fd = -1};
    if (try_mount(&u, mount_from, nmount, &mounted, err) < 0)
        return -1;
    *outcome = REGISTRY_BLOB_MOUNTED;
    if (mounted)
        return 0;
    cleanup_close int fd = store_open_blob(s, d->digest, err);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return fd < 0 ? -1 : kiln_err_errno(err, KILN_EIO, "blob %s", d->digest);
    if ((uint64_t)st.st_size != d->size)
        return kiln_err(err, KILN_ECORRUPT, 0,
                        "blob %s has %lld bytes, its descriptor says %" PRIu64, d->digest,
                        (long long)st.st_size, d->size);
    u.fd = fd;
    *outcome = REGISTRY_BLOB_UPLOADED;
    return upload_with_retries(&u, err);
}

int registry_upload_manifest(struct registry_conn *conn, const char *ref, const char *media_type,
                             const char *data, size_t len, const char *digest, bool *subject_ok,
                             kiln_error_t **err)
{
    static const long ok[] = {201, 0};
    cleanup_free char *path = registry_client_path(conn->c, "manifests", ref);
    cleanup_free char *what = xasprintf("PUT manifest %s", ref);
    struct registry_req req = {.method = "PUT",
                               .url = path,
                               .what = what,
                               .has_body = true,
                               .content_type = media_type,
                               .body = data,
                               .body_len = len,
                               .ok = ok,
                               .timeout = 300};
    struct registry_resp resp = {0};
    int rc = registry_client_do(conn, &req, &resp, err);
    if (rc == 0 && resp.digest && strcmp(resp.digest, digest) != 0)
        rc = kiln_err(err, KILN_ECORRUPT, 0, "%s: the registry stored digest %.80s, not %s", what,
                      resp.digest, digest);
    if (subject_ok)
        *subject_ok = resp.oci_subject != NULL;
    registry_resp_release(&resp);
    return rc;
}
