/* Blob downloads: streamed into the store while hashed, never more than the descriptor's size,
 * resumed with a Range request after a broken connection, committed only when the digest
 * matches. Several blobs at once on a small pool of threads, one connection each. */
#include <inttypes.h>
#include <string.h>

#include "registry_client.h"
#include "util.h"

struct blob_dl {
    struct store *s;
    const struct oci_desc *d;
    struct blob_writer *w;
    uint64_t received;
};

static void dl_before(void *ctx, struct registry_req *req)
{
    struct blob_dl *b = ctx;
    if (b->received > 0)
        snprintf(req->range, sizeof(req->range), "%" PRIu64 "-", b->received);
    else
        req->range[0] = '\0';
}

/* "bytes START-END/TOTAL" -> START */
static int range_start(const char *cr, uint64_t *start)
{
    if (!cr || !str_has_prefix(cr, "bytes "))
        return -1;
    cleanup_free char *num = xstrndup(cr + 6, strcspn(cr + 6, "-"));
    return parse_u64(num, UINT64_MAX, start);
}

static int dl_start(void *ctx, const struct registry_resp *resp, kiln_error_t **err)
{
    struct blob_dl *b = ctx;
    if (resp->status == 206) {
        uint64_t start;
        if (range_start(resp->content_range, &start) < 0 || start != b->received)
            return kiln_err(err, KILN_ENETWORK, 0,
                            "GET blob %s: the registry resumed at the "
                            "wrong offset",
                            b->d->digest);
        return 0;
    }
    if (b->w && b->received == 0)
        return 0;
    /* a full body: start over */
    blob_writer_abort(b->w);
    b->w = NULL;
    b->received = 0;
    return store_blob_begin(b->s, &b->w, err);
}

static int dl_write(void *ctx, const char *p, size_t n, kiln_error_t **err)
{
    struct blob_dl *b = ctx;
    if (n > b->d->size - b->received)
        return kiln_err(err, KILN_ECORRUPT, 0, "blob %s is larger than its %" PRIu64 " bytes",
                        b->d->digest, b->d->size);
    if (blob_writer_write(b->w, p, n, err) < 0)
        return -1;
    b->received += n;
    return 0;
}

int registry_blob_fetch(struct registry_conn *conn, struct store *s, const struct oci_desc *d,
                        kiln_error_t **err)
{
    if (store_has_blob(s, d->digest))
        return 0;
    struct registry_client *c = conn->c;
    cleanup_free char *path = registry_client_path(c, "blobs", d->digest);
    cleanup_free char *what = xasprintf("GET blob %s", d->digest);
    struct blob_dl b = {.s = s, .d = d};
    struct registry_sink sink = {&b, dl_before, dl_start, dl_write};
    struct registry_req req = {
        .method = "GET", .url = path, .what = what, .sink = &sink, .follow = true};
    static const long ok[] = {200, 206, 0};
    req.ok = ok;
    int rc = 0;
    /* a body that ends early without a transport error: ask for the rest, a bounded number of
     * times */
    for (unsigned i = 0; rc == 0 && i < c->retry.max_attempts; i++) {
        struct registry_resp resp = {0};
        rc = registry_client_do(conn, &req, &resp, err);
        registry_resp_release(&resp);
        if (rc == 0 && b.w && b.received == d->size)
            break;
    }
    if (rc == 0 && (!b.w || b.received != d->size))
        rc = kiln_err(err, KILN_ENETWORK, 0, "%s: got %" PRIu64 " of %" PRIu64 " bytes", what,
                      b.received, d->size);
    if (rc < 0) {
        blob_writer_abort(b.w);
        return -1;
    }
    char got[DIGEST_STR_LEN + 1];
    return blob_writer_commit_expect(b.w, d->digest, got, NULL, err);
}

struct fetch_job {
    struct store *s;
    const struct oci_desc *d;
};

static int fetch_one(struct registry_conn *conn, void *ctx, size_t i, kiln_error_t **err)
{
    struct fetch_job *j = ctx;
    return registry_blob_fetch(conn, j->s, &j->d[i], err);
}

int registry_blob_fetch_all(struct registry_client *c, struct store *s, const struct oci_desc *d,
                            size_t n, kiln_error_t **err)
{
    struct fetch_job j = {s, d};
    return registry_pool_run(c, n, fetch_one, &j, err);
}
