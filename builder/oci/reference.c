#include <ctype.h>
#include <string.h>

#include "digest/digest.h"
#include "kiln/registry.h"
#include "reference.h"
#include "util.h"

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool component_ok(const char *c, size_t n)
{
    if (n == 0 || !is_lower_alnum(c[0]) || !is_lower_alnum(c[n - 1]))
        return false;
    for (size_t i = 0; i < n;) {
        if (is_lower_alnum(c[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_lower_alnum(c[j]))
            j++;
        size_t run = j - i;
        bool dashes = strspn(c + i, "-") >= run;
        bool ok = (run == 1 && (c[i] == '.' || c[i] == '_')) ||
                  (run == 2 && c[i] == '_' && c[i + 1] == '_') || dashes;
        if (!ok)
            return false;
        i = j;
    }
    return true;
}

static bool path_ok(const char *p)
{
    if (!*p)
        return false;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!component_ok(p, n))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
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

static bool port_ok(const char *p)
{
    uint64_t v;
    return parse_u64(p, 65535, &v) == 0;
}

/* host[:port] with dot-separated components of [A-Za-z0-9-] (no leading or trailing '-'), or
 * [IPv6][:port]. */
static bool domain_ok(const char *d)
{
    const char *end = d + strlen(d);
    if (*d == '[') {
        const char *close = strchr(d, ']');
        if (!close || close == d + 1 ||
            strspn(d + 1, "0123456789abcdefABCDEF:.") != (size_t)(close - d - 1))
            return false;
        return close[1] == '\0' || (close[1] == ':' && port_ok(close + 2));
    }
    const char *colon = strchr(d, ':');
    if (colon && !port_ok(colon + 1))
        return false;
    if (colon)
        end = colon;
    for (const char *c = d; c < end;) {
        const char *dot = memchr(c, '.', (size_t)(end - c));
        const char *cend = dot ? dot : end;
        if (cend == c || c[0] == '-' || cend[-1] == '-')
            return false;
        for (const char *x = c; x < cend; x++)
            if (!isalnum((unsigned char)*x) && *x != '-')
                return false;
        c = dot ? dot + 1 : end;
    }
    return end > d;
}

static bool is_domain(const char *first, size_t n)
{
    if (memchr(first, '.', n) || memchr(first, ':', n) ||
        (n == 9 && !memcmp(first, "localhost", 9)))
        return true;
    for (size_t i = 0; i < n; i++)
        if (isupper((unsigned char)first[i]))
            return true;
    return false;
}

static int invalid(struct reference *out, const char *s, const char *why, kiln_error_t **err)
{
    reference_release(out);
    return kiln_err(err, KILN_EINPUT, 0, "invalid reference format: '%s'%s", s, why);
}

/* Splits "[domain/]path[:tag]" (the digest already removed) into out. */
static int parse_name(char *rest, const char *s, struct reference *out, kiln_error_t **err)
{
    char *slash = strchr(rest, '/');
    const char *name = rest;
    if (slash && is_domain(rest, (size_t)(slash - rest))) {
        out->domain = xstrndup(rest, (size_t)(slash - rest));
        name = slash + 1;
        if (!domain_ok(out->domain))
            return invalid(out, s, " (bad registry host)", err);
        if (!strcmp(out->domain, "index.docker.io")) {
            free(out->domain);
            out->domain = xstrdup("docker.io");
        }
    } else {
        out->domain = xstrdup("docker.io");
    }
    char *colon = strrchr(name, ':');
    if (colon) {
        *colon = '\0';
        if (!tag_ok(colon + 1))
            return invalid(out, s, "", err);
        out->tag = xstrdup(colon + 1);
    } else if (!out->digest) {
        out->tag = xstrdup("latest");
    }
    if (!path_ok(name))
        return invalid(out, s, " (repository names must be lowercase)", err);
    bool hub = !strcmp(out->domain, "docker.io");
    out->path = hub && !strchr(name, '/') ? xasprintf("library/%s", name) : xstrdup(name);
    if (strlen(out->domain) + 1 + strlen(out->path) > REFERENCE_NAME_MAX)
        return invalid(out, s, " (repository name too long)", err);
    return 0;
}

int reference_parse(const char *s, struct reference *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    if (!*s || strlen(s) > REFERENCE_MAX)
        return kiln_err(err, KILN_EINPUT, 0, "invalid reference format: '%.64s'", s);
    cleanup_free char *rest = xstrdup(s);
    char *at = strchr(rest, '@');
    if (at) {
        *at = '\0';
        if (!digest_valid(at + 1))
            return invalid(out, s, " (bad digest)", err);
        out->digest = xstrdup(at + 1);
    }
    return parse_name(rest, s, out, err);
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

char *reference_name(const struct reference *r)
{
    return xasprintf("%s/%s", r->domain, r->path);
}

char *kiln_reference_normalize(const char *ref, kiln_error_t **err)
{
    cleanup_reference struct reference r = {0};
    if (reference_parse(ref, &r, err) < 0)
        return NULL;
    return reference_string(&r);
}
