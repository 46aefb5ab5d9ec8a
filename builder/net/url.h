/* URLs as ADD and proxy build args use them (parsed by libcurl's URL API, as the fetcher will
 * read them). */
#ifndef KILN_NET_URL_H
#define KILN_NET_URL_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/error.h"

#define URL_MAX 8192 /* bytes of a URL kiln accepts */

struct url_parts {
    char *scheme; /* lowercase: "http", "https", ... */
    char *host;   /* IPv6 literals without brackets */
    uint16_t port;
    char *path; /* percent-decoded, "/" at least */
};

/* Parses url; with guess_scheme a bare "host:port" is taken as http:// (proxy values).
 * KILN_EINPUT "invalid URL '...'" otherwise. */
int url_parse(const char *url, bool guess_scheme, struct url_parts *out, kiln_error_t **err);
void url_parts_release(struct url_parts *u);

/* The file name ADD gives a URL's content (BuildKit's rule): the last component of the
 * decoded path, "__unnamed__" when it has none. Newly allocated. */
char *url_file_name(const struct url_parts *u);

/* url with any user:password@ removed, for messages. Newly allocated. */
char *url_redact(const char *url);

#endif
