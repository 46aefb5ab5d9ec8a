/* URL parsing through libcurl's URL API (url.h). */
#include <curl/curl.h>
#include <string.h>

#include "net/url.h"
#include "util.h"

static char *part(CURLU *u, CURLUPart what, unsigned flags)
{
    char *v = NULL;
    if (curl_url_get(u, what, &v, flags) != CURLUE_OK)
        return NULL;
    char *copy = xstrdup(v);
    curl_free(v);
    return copy;
}

int url_parse(const char *url, bool guess_scheme, struct url_parts *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_free char *shown = url_redact(url);
    if (strlen(url) > URL_MAX)
        return kiln_err(err, KILN_ELIMIT, 0, "URL longer than %d bytes", URL_MAX);
    CURLU *u = curl_url();
    if (!u)
        return kiln_err(err, KILN_EINTERNAL, 0, "curl_url failed");
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, guess_scheme ? CURLU_GUESS_SCHEME : 0);
    if (rc == CURLUE_OK) {
        out->scheme = part(u, CURLUPART_SCHEME, 0);
        out->host = part(u, CURLUPART_HOST, 0);
        out->path = part(u, CURLUPART_PATH, CURLU_URLDECODE);
        cleanup_free char *port = part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
        uint64_t p = 0;
        if (port && parse_u64(port, 65535, &p) == 0)
            out->port = (uint16_t)p;
    }
    curl_url_cleanup(u);
    if (rc != CURLUE_OK || !out->scheme || !out->host || !*out->host || !out->port) {
        url_parts_release(out);
        return kiln_err(err, KILN_EINPUT, 0, "invalid URL '%s'%s%s", shown,
                        rc != CURLUE_OK ? ": " : "", rc != CURLUE_OK ? curl_url_strerror(rc) : "");
    }
    str_lower(out->scheme);
    size_t n = strlen(out->host);
    if (n >= 2 && out->host[0] == '[' && out->host[n - 1] == ']') {
        memmove(out->host, out->host + 1, n - 2);
        out->host[n - 2] = '\0';
    }
    if (!out->path)
        out->path = xstrdup("/");
    return 0;
}

void url_parts_release(struct url_parts *u)
{
    free(u->scheme);
    free(u->host);
    free(u->path);
    memset(u, 0, sizeof(*u));
}

char *url_file_name(const struct url_parts *u)
{
    size_t n = strlen(u->path);
    while (n > 0 && u->path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && u->path[start - 1] != '/')
        start--;
    cleanup_free char *base = xstrndup(u->path + start, n - start);
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return xstrdup("__unnamed__");
    return steal_ptr(base);
}

char *url_redact(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *auth = scheme ? scheme + 3 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', alen);
    if (!at)
        return xstrndup(url, strnlen(url, URL_MAX));
    /* the last '@' of the authority ends the user info */
    for (const char *p = at; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    return xasprintf("%.*sxxxxx%.*s", (int)(auth - url), url, (int)strnlen(at, URL_MAX), at);
}
