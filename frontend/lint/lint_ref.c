/* Image references for the linter: the grammar of distribution/reference
 * (ParseNormalizedNamed) without normalising, and the tag and digest of a reference. */
#include <ctype.h>
#include <string.h>

#include "frontend/lint/lint_internal.h"
#include "util.h"

#define REF_NAME_MAX 255
#define REF_TAG_MAX  128

static bool alnum_lower(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)* */
static bool path_component(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && alnum_lower(s[i]))
            i++;
        if (i == start)
            return false;
        if (i == n)
            return true;
        size_t sep = i;
        while (i < n && s[i] == '-')
            i++;
        if (i == sep) {
            if (s[i] == '_' && i + 1 < n && s[i + 1] == '_')
                i += 2;
            else if (s[i] == '.' || s[i] == '_')
                i++;
            else
                return false;
        }
        if (i == n)
            return false;
    }
    return n > 0;
}

/* A host name (components of [a-zA-Z0-9-], not starting or ending with '-'), or an IPv6
 * address in brackets, then an optional :port. */
static bool domain(const char *s, size_t n)
{
    size_t i = 0;
    if (n > 0 && s[0] == '[') {
        while (i < n && s[i] != ']')
            i++;
        if (i == n || i < 3)
            return false;
        i++;
    } else {
        for (size_t start = 0; i <= n; i++) {
            if (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
                continue;
            if (i == start || s[start] == '-' || s[i - 1] == '-')
                return false;
            if (i == n || s[i] != '.')
                break;
            start = i + 1;
        }
    }
    if (i == n)
        return true;
    if (s[i] != ':' || i + 1 == n)
        return false;
    for (i++; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* [\w][\w.-]{0,127} */
static bool tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > REF_TAG_MAX || t[0] == '.' || t[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
            return false;
    return true;
}

/* algorithm:hex, the hex part at least 32 digits */
static bool digest_valid(const char *d)
{
    const char *colon = strchr(d, ':');
    if (!colon || colon == d || !isalpha((unsigned char)d[0]) || strlen(colon + 1) < 32)
        return false;
    for (const char *p = d; p < colon; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_+.", *p))
            return false;
    for (const char *p = colon + 1; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return true;
}

static bool name_valid(const char *name)
{
    size_t n = strlen(name);
    const char *slash = strchr(name, '/');
    const char *path = name;
    if (slash) {
        size_t dl = (size_t)(slash - name);
        cleanup_free char *d = xstrndup(name, dl);
        bool is_domain = strpbrk(d, ".:") || strcmp(d, "localhost") == 0;
        for (size_t i = 0; !is_domain && i < dl; i++)
            is_domain = isupper((unsigned char)d[i]);
        if (is_domain && !domain(d, dl))
            return false;
        path = is_domain ? slash + 1 : name;
    }
    if (n > REF_NAME_MAX || !*path)
        return false;
    for (const char *p = path;;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (!path_component(p, len))
            return false;
        if (!end)
            return true;
        p = end + 1;
    }
}

bool lint_ref_valid(const char *s)
{
    if (!*s || strlen(s) > 4 * REF_NAME_MAX)
        return false;
    cleanup_free char *copy = xstrdup(s);
    char *at = strchr(copy, '@');
    if (at) {
        *at = '\0';
        if (!digest_valid(at + 1))
            return false;
    }
    char *colon = strrchr(copy, ':');
    char *slash = strrchr(copy, '/');
    if (colon && (!slash || colon > slash)) {
        *colon = '\0';
        if (!tag_valid(colon + 1))
            return false;
    }
    return name_valid(copy);
}

void lint_ref_split(const char *s, char **tag, bool *digest)
{
    cleanup_free char *copy = xstrdup(s);
    char *at = strchr(copy, '@');
    *digest = at != NULL;
    if (at)
        *at = '\0';
    char *colon = strrchr(copy, ':');
    char *slash = strrchr(copy, '/');
    *tag = colon && (!slash || colon > slash) ? xstrdup(colon + 1) : NULL;
}
