/* One http(s) download under the destination policy (fetch.h), with libcurl. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "net/fetch.h"
#include "net/url.h"
#include "util.h"

#define FETCH_CONNECT_TIMEOUT 30L
#define FETCH_LOW_SPEED_TIME  60L

struct fetch_ctx {
    const struct fetch_opts *o;
    int fd;
    struct sha256 h;
    uint64_t size;
    char refused[192]; /* the last destination the policy refused */
    kiln_error_t *err; /* a write failure or the size limit, from the write callback */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void addr_str(const struct sockaddr *sa, char *buf, size_t n)
{
    char a[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
        snprintf(buf, n, "%s:%u", a, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
        snprintf(buf, n, "[%s]:%u", a, ntohs(in6->sin6_port));
    } else {
        snprintf(buf, n, "address family %d", sa->sa_family);
    }
}

/* Every connection, to the server, a redirect's server or a proxy, is checked here: after name
 * resolution, on the very address curl is about to connect to. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct fetch_ctx *c = ud;
    (void)purpose;
    const char *why = netpolicy_check(c->o->policy, &a->addr);
    if (why) {
        char dest[80];
        addr_str(&a->addr, dest, sizeof(dest));
        snprintf(c->refused, sizeof(c->refused), "destination %s is not allowed: %s", dest, why);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t on_body(char *p, size_t size, size_t nitems, void *ud)
{
    struct fetch_ctx *c = ud;
    size_t n = size * nitems;
    if (c->size + n > c->o->max_size) {
        kiln_err(&c->err, KILN_ELIMIT, 0,
                 "the file is larger than %llu bytes (--max-download-size raises the limit)",
                 (unsigned long long)c->o->max_size);
        return 0;
    }
    if (write_all(c->fd, p, n) < 0) {
        kiln_err_errno(&c->err, KILN_EIO, "write the download");
        return 0;
    }
    sha256_update(&c->h, p, n);
    c->size += n;
    return n;
}

static void set_options(CURL *h, const char *url, struct fetch_ctx *c, char *errbuf)
{
    const struct fetch_opts *o = c->o;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, FETCH_LOW_SPEED_TIME);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_sec);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    /* "" turns off the proxies of kiln's own environment */
    curl_easy_setopt(h, CURLOPT_PROXY, o->proxy ? o->proxy : "");
    if (o->no_proxy)
        curl_easy_setopt(h, CURLOPT_NOPROXY, o->no_proxy);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
}

static int transfer_error(CURL *h, CURLcode rc, struct fetch_ctx *c, const char *errbuf,
                          kiln_error_t **err)
{
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (c->err) {
        *err = steal_ptr(c->err);
        return -1;
    }
    if (rc == CURLE_COULDNT_CONNECT && c->refused[0])
        return kiln_err(err, KILN_EPOLICY, 0,
                        "%s (the build host, its networks, link-local and private addresses "
                        "are blocked; --allow-net ADDR[:PORT] lets one through)",
                        c->refused);
    if (rc == CURLE_HTTP_RETURNED_ERROR || (rc == CURLE_OK && (status < 200 || status >= 400)))
        return kiln_err(err, KILN_ENETWORK, 0, "invalid response status %ld", status);
    if (rc == CURLE_FILESIZE_EXCEEDED)
        return kiln_err(err, KILN_ELIMIT, 0,
                        "the file is larger than %llu bytes (--max-download-size raises the "
                        "limit)",
                        (unsigned long long)c->o->max_size);
    return kiln_err(err, KILN_ENETWORK, 0, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int fetch_url(const char *url, const struct fetch_opts *o, int fd, struct fetch_result *res,
              kiln_error_t **err)
{
    memset(res, 0, sizeof(*res));
    struct url_parts parts;
    if (url_parse(url, false, &parts, err) < 0)
        return -1;
    bool web = !strcmp(parts.scheme, "http") || !strcmp(parts.scheme, "https");
    url_parts_release(&parts);
    if (!web)
        return kiln_err(err, KILN_EINPUT, 0, "only http and https URLs can be fetched");
    pthread_once(&curl_once, curl_init_once);
    CURL *h = curl_easy_init();
    if (!h)
        return kiln_err(err, KILN_EINTERNAL, 0, "curl_easy_init failed");
    struct fetch_ctx c = {.o = o, .fd = fd};
    char errbuf[CURL_ERROR_SIZE] = "";
    sha256_init(&c.h);
    set_options(h, url, &c, errbuf);
    CURLcode rc = curl_easy_perform(h);
    int out = 0;
    if (rc != CURLE_OK || c.err)
        out = transfer_error(h, rc, &c, errbuf, err);
    else {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status >= 300)
            out = kiln_err(err, KILN_ENETWORK, 0, "invalid response status %ld", status);
    }
    curl_off_t ft = -1;
    curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft);
    curl_easy_cleanup(h);
    if (out < 0) {
        sha256_release(&c.h);
        return -1;
    }
    sha256_final(&c.h, res->digest);
    res->size = c.size;
    res->has_mtime = ft >= 0;
    res->mtime = ft >= 0 ? (int64_t)ft : 0;
    return 0;
}
