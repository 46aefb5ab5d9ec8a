#include <ctype.h>
#include <string.h>

#include "digest.h"
#include "reference.h"
#include "util.h"

static bool path_ok(const char *p)
{
    if (!*p || *p == '/' || str_has_suffix(p, "/") || strstr(p, "//"))
        return false;
    for (const char *c = p; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || strchr("._-/", *c)))
            return false;
    return true;
}

static bool tag_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return false;
    for (const char *c = t; *c; c++)
        if (!(isalnum((unsigned char)*c) || strchr("_.-", *c)))
            return false;
    return true;
}

static bool is_domain(const char *first, size_t n)
{
    return memchr(first, '.', n) || memchr(first, ':', n) ||
           (n == 9 && !memcmp(first, "localhost", 9));
}

int reference_parse(const char *s, struct reference *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    if (!*s || strlen(s) > REFERENCE_MAX)
        return kiln_err(err, KILN_EINPUT, 0, "invalid reference format: '%s'", s);
    cleanup_free char *rest = xstrdup(s);
    char *at = strchr(rest, '@');
    if (at) {
        *at = '\0';
        if (!digest_valid(at + 1))
            return kiln_err(err, KILN_EINPUT, 0, "invalid reference format: '%s'", s);
        out->digest = xstrdup(at + 1);
    }
    char *slash = strchr(rest, '/');
    const char *name = rest;
    if (slash && is_domain(rest, (size_t)(slash - rest))) {
        out->domain = xstrndup(rest, (size_t)(slash - rest));
        name = slash + 1;
    } else {
        out->domain = xstrdup("docker.io");
    }
    char *colon = strrchr(name, ':');
    if (colon) {
        *colon = '\0';
        if (!tag_ok(colon + 1)) {
            reference_release(out);
            return kiln_err(err, KILN_EINPUT, 0, "invalid reference format: '%s'", s);
        }
        out->tag = xstrdup(colon + 1);
    } else if (!out->digest) {
        out->tag = xstrdup("latest");
    }
    if (!path_ok(name)) {
        reference_release(out);
        return kiln_err(err, KILN_EINPUT, 0,
                        "invalid reference format: '%s' (repository names must be lowercase)", s);
    }
    bool hub = !strcmp(out->domain, "docker.io");
    out->path = hub && !strchr(name, '/') ? xasprintf("library/%s", name) : xstrdup(name);
    return 0;
}

void reference_release(struct reference *r)
{
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    memset(r, 0, sizeof(*r));
}

char *reference_string(const struct reference *r)
{
    return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
                     r->digest ? "@" : "", r->digest ? r->digest : "");
}
