/* Fetching one http(s) URL for ADD <url>, under the build's destination policy.
 *
 * Every address the transfer connects to (the server, each redirect's, a proxy's) is checked
 * against the policy right before the connection is made, after name resolution, so neither a
 * name that resolves to a forbidden address nor a redirect reaches the build host, its
 * networks or the metadata service. Only http and https, redirects included (at most
 * FETCH_MAX_REDIRS); https is verified against the host's CA bundle; the body is bounded by
 * max_size (a larger Content-Length fails before the body is read); a stalled transfer fails.
 * A response status below 200 or from 400 fails ("invalid response status 404", as BuildKit).
 */
#ifndef KILN_NET_FETCH_H
#define KILN_NET_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/error.h"
#include "net/netpolicy.h"
#include "digest/digest.h"

#define FETCH_MAX_REDIRS 10

struct fetch_opts {
    const struct netpolicy *policy;
    const char *proxy;    /* the proxy to use, or NULL: none (kiln's own environment is not
                             read: proxies come from the operator's build args) */
    const char *no_proxy; /* hosts that bypass it (NO_PROXY syntax), or NULL */
    uint64_t max_size;    /* bytes of the body */
    long timeout_sec;     /* whole transfer; 0: none (a transfer slower than 1 KiB/s for 60 s
                             fails anyway) */
};

struct fetch_result {
    char digest[DIGEST_STR_LEN + 1]; /* sha256 of the body */
    uint64_t size;
    bool has_mtime; /* the response had a Last-Modified header */
    int64_t mtime;  /* its time, seconds since 1970 */
};

/* Fetches url into fd (a regular file, written from its current offset). KILN_EPOLICY for a
 * destination the policy refuses ("destination 10.0.0.1:80 is not allowed: a private
 * network ..."), KILN_ENETWORK for the rest ("invalid response status 404", curl's message),
 * KILN_ELIMIT over max_size, KILN_EINPUT for a bad URL. Messages
 * never show a password the URL carries. */
int fetch_url(const char *url, const struct fetch_opts *o, int fd, struct fetch_result *res,
              kiln_error_t **err);

#endif
