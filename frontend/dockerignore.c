/* Minimal .dockerignore matcher for the first slice (fnmatch per pattern, "!" exceptions,
 * last match wins, a pattern matching a directory excludes what is below it). The full
 * moby/patternmatcher-compatible matcher replaces this file. */
#include <fnmatch.h>
#include <string.h>

#include "dockerignore.h"
#include "util.h"

struct pattern {
    char *pat;
    bool exclusion;
    int line;
};

struct dockerignore {
    struct pattern *p;
    size_t n;
};

int dockerignore_parse(const char *name, const char *data, size_t len, struct dockerignore **out,
                       kiln_error_t **err)
{
    if (len > DOCKERIGNORE_MAX_SIZE)
        return kiln_err(err, KILN_ELIMIT, 0, "%s: larger than %u bytes", name,
                        DOCKERIGNORE_MAX_SIZE);
    struct dockerignore *d = xcalloc(1, sizeof(*d));
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        cleanup_free char *l = xstrndup(s, n);
        char *t = l;
        while (*t == ' ' || *t == '\t')
            t++;
        size_t tl = strlen(t);
        while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t' || t[tl - 1] == '\r'))
            t[--tl] = '\0';
        if (!*t || *t == '#')
            continue;
        bool ex = *t == '!';
        if (ex)
            t++;
        while (*t == '/')
            t++;
        if (d->n >= DOCKERIGNORE_MAX_PATTERNS) {
            dockerignore_free(d);
            return kiln_err(err, KILN_ELIMIT, 0, "%s: more than %u patterns", name,
                            DOCKERIGNORE_MAX_PATTERNS);
        }
        d->p = xrealloc(d->p, (d->n + 1) * sizeof(*d->p));
        d->p[d->n++] = (struct pattern){path_clean(*t ? t : "."), ex, line};
    }
    *out = d;
    return 0;
}

void dockerignore_free(struct dockerignore *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->p[i].pat);
    free(d->p);
    free(d);
}

static bool pattern_matches(const char *pat, const char *path)
{
    if (fnmatch(pat, path, FNM_PATHNAME) == 0)
        return true;
    /* a pattern that matches a parent directory matches everything below it */
    cleanup_free char *p = xstrdup(path);
    for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
        *slash = '\0';
        if (fnmatch(pat, p, FNM_PATHNAME) == 0)
            return true;
    }
    return false;
}

int dockerignore_match_line(const struct dockerignore *d, const char *path)
{
    if (!d)
        return 0;
    int line = 0;
    for (size_t i = 0; i < d->n; i++)
        if (pattern_matches(d->p[i].pat, path))
            line = d->p[i].exclusion ? 0 : d->p[i].line;
    return line;
}

bool dockerignore_excluded(const struct dockerignore *d, const char *path)
{
    return dockerignore_match_line(d, path) != 0;
}

bool dockerignore_may_include_below(const struct dockerignore *d, const char *dir)
{
    if (!d)
        return false;
    (void)dir;
    for (size_t i = 0; i < d->n; i++)
        if (d->p[i].exclusion)
            return true;
    return false;
}
