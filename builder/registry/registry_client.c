/* The registry client: which URL and scheme, the /v2/ ping, and requests with retries,
 * authentication and clear errors. */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "registry_client.h"
#include "util.h"

static const struct registry_opts builtin_opts;
static const struct registry_opts *default_opts;

void registry_opts_set_default(const struct registry_opts *o)
{
    default_opts = o;
}

const struct registry_opts *registry_opts_get_default(void)
{
    return default_opts ? default_opts : &builtin_opts;
}

const struct registry_opts *registry_opts_pick(const struct registry_opts *o)
{
    return o ? o : registry_opts_get_default();
}

void registry_opts_from(struct registry_opts *o, const struct kiln_registry_opts *k)
{
    *o = (struct registry_opts){.ca_file = k->ca_file,
                                .insecure = k->insecure,
                                .ninsecure = k->ninsecure,
                                .auth_file = k->auth_file,
                                .parallel = k->parallel,
                                .chunk_size = k->chunk_size};
}

const char *registry_client_host(const char *domain)
{
    return !strcmp(domain, "docker.io") ? "registry-1.docker.io" : domain;
}

/* host without its port: "[::1]:5000" -> "::1", "a:5000" -> "a" */
static char *host_only(const char *host)
{
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        return close ? xstrndup(host + 1, (size_t)(close - host - 1)) : xstrdup(host);
    }
    return xstrndup(host, strcspn(host, ":"));
}

bool registry_client_is_loopback(const char *host)
{
    cleanup_free char *h = host_only(host);
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, h, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return !strcasecmp(h, "localhost");
}

static bool is_insecure(const struct registry_opts *o, const char *host)
{
    for (size_t i = 0; i < o->ninsecure; i++)
        if (!strcasecmp(o->insecure[i], host))
            return true;
    return false;
}

char *registry_client_path(const struct registry_client *c, const char *kind, const char *ref)
{
    return xasprintf("/v2/%s/%s/%s", c->repo, kind, ref);
}

char *registry_client_resolve(const struct registry_client *c, const char *location,
                              kiln_error_t **err)
{
    if (str_has_prefix(location, "/"))
        return xasprintf("%s%s", c->base, location);
    bool https = str_has_prefix(location, "https://");
    bool http = str_has_prefix(location, "http://");
    if (https || (http && str_has_prefix(c->base, "http://")))
        return xstrdup(location);
    kiln_err(err, KILN_ENETWORK, 0, "registry %s sent an unusable Location '%.200s'", c->host,
             location);
    return NULL;
}

void registry_client_free(struct registry_client *c)
{
    if (!c)
        return;
    free(c->domain);
    free(c->host);
    free(c->repo);
    free(c->base);
    strv_free(c->scopes);
    registry_challenge_release(&c->chal);
    registry_cred_release(&c->cred);
    free(c->cred_source);
    registry_auth_free_secret(c->authz);
    if (c->conn) {
        registry_conn_release(c->conn);
        free(c->conn);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- errors ---- */

static const char *reason(long status)
{
    static const struct {
        long code;
        const char *text;
    } reasons[] = {
        {400, "Bad Request"},       {401, "Unauthorized"},          {403, "Forbidden"},
        {404, "Not Found"},         {405, "Method Not Allowed"},    {408, "Request Timeout"},
        {409, "Conflict"},          {413, "Payload Too Large"},     {416, "Range Not Satisfiable"},
        {429, "Too Many Requests"}, {500, "Internal Server Error"}, {501, "Not Implemented"},
        {502, "Bad Gateway"},       {503, "Service Unavailable"},   {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
        if (reasons[i].code == status)
            return reasons[i].text;
    return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Unexpected Status";
}

/* ": CODE: message" from a distribution error body, printable and short; "" when none. */
static char *error_detail(const struct buf *body)
{
    if (!body->len)
        return xstrdup("");
    cleanup_json json_t *j = json_loadb(body->data, body->len, 0, NULL);
    json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
    const char *code = json_string_value(json_object_get(e0, "code"));
    const char *msg = json_string_value(json_object_get(e0, "message"));
    char *d = xasprintf("%s%.40s%s%.160s", code ? ": " : "", code ? code : "", msg ? ": " : "",
                        msg ? msg : "");
    for (char *p = d; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    return d;
}

static char *auth_hint(struct registry_client *c, long status)
{
    if (status != 401)
        return xstrdup("");
    pthread_mutex_lock(&c->lock);
    char *h = c->cred_source
                  ? xasprintf(" (authenticated with credentials from %s)", c->cred_source)
                  : xasprintf(" (no credentials for %s)", c->domain);
    pthread_mutex_unlock(&c->lock);
    return h;
}

static bool status_ok(const struct registry_req *req, long status)
{
    if (!req->ok)
        return status >= 200 && status < 300;
    for (const long *s = req->ok; *s; s++)
        if (*s == status)
            return true;
    return false;
}

static int status_error(struct registry_conn *conn, struct registry_req *req,
                        struct registry_resp *resp, kiln_error_t **err)
{
    cleanup_free char *detail = error_detail(&resp->errbody);
    cleanup_free char *hint = auth_hint(conn->c, resp->status);
    return kiln_err(err, KILN_ENETWORK, 0, "%s: %ld %s%s%s", req->what, resp->status,
                    reason(resp->status), detail, hint);
}

static int transport_error(struct registry_conn *conn, struct registry_req *req,
                           struct registry_resp *resp, kiln_error_t **err)
{
    if (resp->curl_code == CURLE_ABORTED_BY_CALLBACK)
        return kiln_err(err, KILN_ENETWORK, 0, "%s: cancelled", req->what);
    const char *msg = conn->errbuf[0] ? conn->errbuf : curl_easy_strerror(resp->curl_code);
    return kiln_err(err, KILN_ENETWORK, 0, "%s: %s", req->what, msg);
}

/* ---- requests ---- */

static void backoff(struct registry_client *c, unsigned attempt, long retry_after)
{
    double jitter = (double)(random() % 1000) / 1000.0;
    unsigned ms = registry_retry_delay_ms(&c->retry, attempt, retry_after, jitter);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0)
        ;
}

static unsigned auth_gen(struct registry_client *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned g = c->auth_gen;
    pthread_mutex_unlock(&c->lock);
    return g;
}

int registry_client_do(struct registry_conn *conn, struct registry_req *req,
                       struct registry_resp *resp, kiln_error_t **err)
{
    struct registry_client *c = conn->c;
    unsigned auth_tries = 0; /* a new token may be used up by parallel requests: a few tries */
    for (unsigned attempt = 1;; attempt++) {
        if (req->sink && req->sink->before)
            req->sink->before(req->sink->ctx, req);
        unsigned gen = auth_gen(c);
        if (registry_transport_send(conn, req, resp, err) < 0)
            return -1;
        bool last = req->no_retry || attempt >= c->retry.max_attempts;
        if (resp->curl_code != CURLE_OK) {
            if (!last && registry_retry_transport(resp->curl_code)) {
                backoff(c, attempt, -1);
                continue;
            }
            return transport_error(conn, req, resp, err);
        }
        if (resp->status == 401 && auth_tries < 3 && !req->anonymous && !req->authz) {
            auth_tries++;
            int r = registry_login_retry(conn, resp, gen, err);
            if (r < 0)
                return -1;
            if (r == 0) {
                attempt--;
                continue;
            }
        }
        if (!last && registry_retry_status(resp->status)) {
            backoff(c, attempt, resp->retry_after);
            continue;
        }
        return status_ok(req, resp->status) ? 0 : status_error(conn, req, resp, err);
    }
}

/* ---- opening: the ping ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* GET /v2/ over HTTPS, or plain HTTP where allowed and the server does not speak TLS. */
static int ping(struct registry_client *c, struct registry_resp *resp, kiln_error_t **err)
{
    static const long ok[] = {200, 401, 0};
    for (int pass = 0; pass < 2; pass++) {
        free(c->base);
        c->base = xasprintf("%s://%s", pass ? "http" : "https", c->host);
        struct registry_req req = {.method = "GET",
                                   .url = "/v2/",
                                   .what = "GET /v2/",
                                   .ok = ok,
                                   .anonymous = true,
                                   .timeout = 120};
        kiln_error_t *e = NULL;
        if (registry_client_do(c->conn, &req, resp, &e) == 0)
            return 0;
        bool fallback = pass == 0 && c->plain_ok && resp->curl_code == CURLE_SSL_CONNECT_ERROR;
        if (!fallback) {
            kiln_error_free(err ? *err : NULL);
            if (err)
                *err = e;
            else
                kiln_error_free(e);
            return -1;
        }
        kiln_error_free(e);
    }
    return -1;
}

static struct registry_client *client_new(const struct registry_opts *o,
                                          const struct reference *ref)
{
    struct registry_client *c = xcalloc(1, sizeof(*c));
    c->o = o;
    c->domain = xstrdup(ref->domain);
    c->host = xstrdup(registry_client_host(ref->domain));
    c->repo = xstrdup(ref->path);
    c->plain_ok = registry_client_is_loopback(c->host) || is_insecure(o, c->host) ||
                  is_insecure(o, c->domain);
    c->tls_noverify = is_insecure(o, c->host) || is_insecure(o, c->domain);
    c->retry = registry_retry_default();
    if (o->max_attempts)
        c->retry.max_attempts = o->max_attempts;
    if (o->base_delay_ms)
        c->retry.base_ms = o->base_delay_ms;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&c->lock, &a);
    pthread_mutexattr_destroy(&a);
    c->conn = xcalloc(1, sizeof(*c->conn));
    return c;
}

static void add_scopes(struct registry_client *c, enum registry_action action,
                       const char *const *extra, size_t nextra)
{
    strv_push(
        &c->scopes, &c->nscopes,
        xasprintf("repository:%s:%s", c->repo, action == REGISTRY_PUSH ? "pull,push" : "pull"));
    for (size_t i = 0; i < nextra; i++)
        if (strcmp(extra[i], c->repo) != 0)
            strv_push(&c->scopes, &c->nscopes, xasprintf("repository:%s:pull", extra[i]));
}

int registry_client_open(const struct registry_opts *o, const struct reference *ref,
                         enum registry_action action, const char *const *extra_pull_repos,
                         size_t nextra, struct registry_client **out, kiln_error_t **err)
{
    pthread_once(&curl_once, curl_init_once);
    o = registry_opts_pick(o);
    cleanup_registry_client struct registry_client *c = client_new(o, ref);
    add_scopes(c, action, extra_pull_repos, nextra);
    if (registry_conn_init(c->conn, c, err) < 0)
        return -1;
    struct registry_resp resp = {0};
    int rc = ping(c, &resp, err);
    if (rc == 0 && resp.status == 401) {
        const char *h = resp.www_auth ? resp.www_auth : "";
        rc = registry_auth_parse_challenge(h, &c->chal, err);
        if (rc == 0)
            rc = registry_login(c->conn, &c->chal, err);
    }
    registry_resp_release(&resp);
    if (rc < 0)
        return -1;
    *out = steal_ptr(c);
    return 0;
}
