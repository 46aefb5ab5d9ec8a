/* One HTTP exchange over libcurl: headers in, the request's body out, the response's body into
 * a bounded buffer or a streaming sink, headers of the final response kept. */
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "registry_client.h"
#include "util.h"

int registry_conn_init(struct registry_conn *conn, struct registry_client *c, kiln_error_t **err)
{
    memset(conn, 0, sizeof(*conn));
    conn->c = c;
    conn->h = curl_easy_init();
    if (!conn->h)
        return kiln_err(err, KILN_EINTERNAL, 0, "curl_easy_init failed");
    return 0;
}

void registry_conn_release(struct registry_conn *conn)
{
    if (conn->h)
        curl_easy_cleanup(conn->h);
    kiln_error_free(conn->cb_err);
    memset(conn, 0, sizeof(*conn));
}

void registry_resp_reset(struct registry_resp *r)
{
    char **hs[] = {&r->location,      &r->digest,      &r->content_type, &r->range,
                   &r->content_range, &r->oci_subject, &r->www_auth};
    for (size_t i = 0; i < ARRAY_SIZE(hs); i++) {
        free(*hs[i]);
        *hs[i] = NULL;
    }
    r->status = 0;
    r->curl_code = 0;
    r->retry_after = -1;
    buf_release(&r->errbody);
    r->errbody = (struct buf)BUF_INIT(REGISTRY_MAX_ERROR_BODY);
}

void registry_resp_release(struct registry_resp *r)
{
    registry_resp_reset(r);
}

static bool header_is(const char *line, size_t n, const char *name, const char **value,
                      size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return false;
    const char *v = line + k + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    *value = v;
    *vlen = (size_t)(end - v);
    return true;
}

static void keep_header(char **slot, const char *v, size_t n, bool append)
{
    if (n > REGISTRY_MAX_HEADER)
        return;
    if (*slot && append && strlen(*slot) + n < REGISTRY_MAX_HEADER) {
        char *joined = xasprintf("%s, %.*s", *slot, (int)n, v);
        free(*slot);
        *slot = joined;
    } else if (!*slot) {
        *slot = xstrndup(v, n);
    }
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
    struct registry_conn *conn = ud;
    struct registry_resp *r = conn->resp;
    size_t n = size * nitems;
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
        /* a new response (after a redirect or a 100 Continue): forget the last one's headers */
        long keep_code = r->curl_code;
        registry_resp_reset(r);
        r->curl_code = (int)keep_code;
        conn->started = false;
        return n;
    }
    static const struct {
        const char *name;
        size_t off;
    } kept[] = {
        {"Location", offsetof(struct registry_resp, location)},
        {"Docker-Content-Digest", offsetof(struct registry_resp, digest)},
        {"Content-Type", offsetof(struct registry_resp, content_type)},
        {"Range", offsetof(struct registry_resp, range)},
        {"Content-Range", offsetof(struct registry_resp, content_range)},
        {"OCI-Subject", offsetof(struct registry_resp, oci_subject)},
        {"WWW-Authenticate", offsetof(struct registry_resp, www_auth)},
    };
    const char *v;
    size_t vn;
    for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
        if (header_is(line, n, kept[i].name, &v, &vn))
            keep_header((char **)((char *)r + kept[i].off), v, vn, i == ARRAY_SIZE(kept) - 1);
    if (header_is(line, n, "Retry-After", &v, &vn) && vn < 32) {
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%.*s", (int)vn, v);
        r->retry_after = registry_retry_parse_after(tmp);
    }
    return n;
}

static size_t body_2xx(struct registry_conn *conn, const char *p, size_t n)
{
    struct registry_req *req = conn->req;
    if (req->sink) {
        if (!conn->started) {
            conn->started = true;
            if (req->sink->start && req->sink->start(req->sink->ctx, conn->resp, &conn->cb_err) < 0)
                return 0;
        }
        return req->sink->write(req->sink->ctx, p, n, &conn->cb_err) < 0 ? 0 : n;
    }
    if (req->out && buf_add(req->out, p, n, NULL) < 0) {
        kiln_err(&conn->cb_err, KILN_ELIMIT, 0, "%s: response is larger than %zu bytes", req->what,
                 req->out->limit);
        return 0;
    }
    return n;
}

static size_t on_body(char *p, size_t size, size_t nitems, void *ud)
{
    struct registry_conn *conn = ud;
    size_t n = size * nitems;
    long status = 0;
    curl_easy_getinfo(conn->h, CURLINFO_RESPONSE_CODE, &status);
    conn->resp->status = status;
    if (status >= 200 && status < 300)
        return body_2xx(conn, p, n);
    struct buf *e = &conn->resp->errbody;
    size_t room = e->limit > e->len ? e->limit - e->len : 0; /* the rest is not kept */
    if (buf_add(e, p, n < room ? n : room, NULL) < 0)
        return 0; /* cannot happen within room; a short count ends the transfer */
    return n;
}

static size_t on_read(char *dst, size_t size, size_t nitems, void *ud)
{
    struct registry_conn *conn = ud;
    struct registry_req *req = conn->req;
    size_t want = size * nitems;
    uint64_t total = req->body_file ? req->body_size : req->body_len;
    uint64_t left = total - conn->body_pos;
    if (want > left)
        want = (size_t)left;
    if (want == 0)
        return 0;
    if (!req->body_file) {
        memcpy(dst, req->body + conn->body_pos, want);
    } else {
        ssize_t r = pread(req->body_fd, dst, want, (off_t)(req->body_off + conn->body_pos));
        if (r <= 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)r;
    }
    conn->body_pos += want;
    return want;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    struct registry_conn *conn = ud;
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    conn->body_pos = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const struct registry_conn *conn = ud;
    return conn->cancel && __atomic_load_n(conn->cancel, __ATOMIC_RELAXED) ? 1 : 0;
}

/* The registry's Authorization goes to the registry only: an upload Location or a redirect on
 * another origin (a blob store, another port or scheme of the same host) gets none. base is
 * "scheme://host[:port]"; the comparison is textual, so any other spelling of the same origin
 * counts as another origin (no credentials: the safe side). */
bool registry_transport_same_origin(const char *url, const char *base)
{
    size_t n = strlen(base);
    return !strncmp(url, base, n) && (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

/* hop: 0 for the request as the caller made it, then one more per redirect followed */
static struct curl_slist *build_headers(struct registry_conn *conn, struct registry_req *req,
                                        const char *url, unsigned hop)
{
    struct registry_client *c = conn->c;
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    if (req->accept) {
        cleanup_free char *a = xasprintf("Accept: %s", req->accept);
        h = curl_slist_append(h, a);
    }
    if (req->content_type) {
        cleanup_free char *t = xasprintf("Content-Type: %s", req->content_type);
        h = curl_slist_append(h, t);
    }
    if (req->extra_header)
        h = curl_slist_append(h, req->extra_header);
    if (req->authz) {
        if (hop == 0) /* an explicit header is for the URL it was made for */
            h = curl_slist_append(h, req->authz);
    } else if (!req->anonymous && registry_transport_same_origin(url, c->base)) {
        pthread_mutex_lock(&c->lock);
        if (c->authz)
            h = curl_slist_append(h, c->authz);
        pthread_mutex_unlock(&c->lock);
    }
    return h;
}

static void set_body(struct registry_conn *conn, struct registry_req *req)
{
    CURL *h = conn->h;
    conn->body_pos = 0;
    if (!strcmp(req->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return;
    }
    if (strcmp(req->method, "GET") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (!req->has_body)
        return;
    uint64_t n = req->body_file ? req->body_size : req->body_len;
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, conn);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, conn);
}

/* Loopback registries are never reached through a proxy from the environment. */
static char *no_proxy_list(void)
{
    const char *env = getenv("NO_PROXY");
    if (!env || !*env)
        env = getenv("no_proxy");
    if (env && !strcmp(env, "*"))
        return xstrdup("*");
    return xasprintf("%s%slocalhost,127.0.0.1,::1", env && *env ? env : "", env && *env ? "," : "");
}

static void set_transport(struct registry_conn *conn, struct registry_req *req)
{
    struct registry_client *c = conn->c;
    const struct registry_opts *o = c->o;
    CURL *h = conn->h;
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout ? o->connect_timeout : 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->low_speed_time ? o->low_speed_time : 60L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, conn->errbuf);
    cleanup_free char *noproxy = no_proxy_list();
    curl_easy_setopt(h, CURLOPT_NOPROXY, noproxy); /* curl copies it */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->tls_noverify ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->tls_noverify ? 0L : 2L);
    if (o->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
    /* redirects are followed by registry_transport_send, never by curl: whether curl forwards
     * a custom Authorization header to another origin depends on its version (CVE-2018-1000007,
     * CVE-2022-27776), kiln's rule does not */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
    if (req->range[0])
        curl_easy_setopt(h, CURLOPT_RANGE, req->range);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, conn);
}

/* One exchange with url, no redirect followed. */
static int send_once(struct registry_conn *conn, struct registry_req *req,
                     struct registry_resp *resp, const char *url, unsigned hop, kiln_error_t **err)
{
    registry_resp_reset(resp);
    if (req->out)
        buf_reset(req->out);
    CURL *h = conn->h;
    curl_easy_reset(h);
    conn->req = req, conn->resp = resp, conn->started = false, conn->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    set_transport(conn, req);
    set_body(conn, req);
    struct curl_slist *hdrs = build_headers(conn, req, url, hop);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, conn);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, conn);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->curl_code = (int)rc;
    conn->req = NULL, conn->resp = NULL;
    if (conn->cb_err) {
        kiln_error_t *e = steal_ptr(conn->cb_err);
        if (!err) {
            kiln_error_free(e);
            return -1;
        }
        kiln_error_free(*err);
        *err = e;
        return -1;
    }
    /* a sink that saw an empty 2xx body still gets its start */
    if (rc == CURLE_OK && req->sink && !conn->started && resp->status >= 200 &&
        resp->status < 300 && req->sink->start)
        return req->sink->start(req->sink->ctx, resp, err);
    return 0;
}

static bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

int registry_transport_send(struct registry_conn *conn, struct registry_req *req,
                            struct registry_resp *resp, kiln_error_t **err)
{
    struct registry_client *c = conn->c;
    cleanup_free char *url =
        str_has_prefix(req->url, "/") ? xasprintf("%s%s", c->base, req->url) : xstrdup(req->url);
    for (unsigned hop = 0;; hop++) {
        if (send_once(conn, req, resp, url, hop, err) < 0)
            return -1;
        if (!req->follow || resp->curl_code != CURLE_OK || !is_redirect(resp->status))
            return 0;
        char *next = NULL; /* the Location resolved against url, owned by curl */
        if (curl_easy_getinfo(conn->h, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next)
            return 0; /* no Location: the caller sees the 3xx */
        if (hop >= REGISTRY_MAX_REDIRECTS)
            return kiln_err(err, KILN_ENETWORK, 0, "%s: more than %d redirects", req->what,
                            REGISTRY_MAX_REDIRECTS);
        if (!str_has_prefix(next, "https://") && !(c->plain_ok && str_has_prefix(next, "http://")))
            return kiln_err(err, KILN_ENETWORK, 0, "%s: refusing a redirect to '%.200s'", req->what,
                            next);
        free(url);
        url = xstrdup(next);
    }
}
