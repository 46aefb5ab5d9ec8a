#include <string.h>

#include "directives.h"
#include "unicode.h"
#include "util.h"

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Go's regexp \s: ASCII space, \t, \n, \f, \r (not \v). */
static bool is_re_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ */
static int match_directive(const char *s, size_t n, struct directive *out)
{
    size_t p = 0;
    if (n == 0 || !is_alpha(s[0]))
        return 0;
    while (p < n && is_alnum(s[p]))
        p++;
    size_t name_end = p;
    while (p < n && is_re_space(s[p]))
        p++;
    if (p >= n || s[p] != '=')
        return 0;
    p++;
    while (p < n && is_re_space(s[p]))
        p++;
    size_t end = n;
    while (end > p && is_re_space(s[end - 1]))
        end--;
    if (end == p || memchr(s + p, '\n', end - p))
        return 0;
    out->name = xstrndup(s, name_end);
    str_lower(out->name);
    out->value = xstrndup(s + p, end - p);
    return 1;
}

static bool *seen_flag(struct directives *d, const char *name)
{
    if (strcmp(name, "syntax") == 0)
        return &d->seen_syntax;
    if (strcmp(name, "escape") == 0)
        return &d->seen_escape;
    if (strcmp(name, "check") == 0)
        return &d->seen_check;
    return NULL;
}

int directives_parse_line(struct directives *d, const char *line, size_t n, struct directive *out,
                          kiln_error_t **err)
{
    if (d->done)
        return 0;
    size_t plen = strlen(d->prefix);
    if (n < plen || memcmp(line, d->prefix, plen) != 0) {
        d->done = true;
        return 0;
    }
    line += plen, n -= plen;
    size_t w;
    while ((w = unicode_space_len(line, n)) > 0)
        line += w, n -= w;
    struct directive dv = {0};
    bool *seen;
    if (!match_directive(line, n, &dv) || !(seen = seen_flag(d, dv.name))) {
        directive_release(&dv);
        d->done = true;
        return 0;
    }
    if (*seen) {
        kiln_err(err, KILN_EINPUT, 0, "only one %s parser directive can be used", dv.name);
        directive_release(&dv);
        return -1;
    }
    *seen = true;
    *out = dv;
    return 1;
}

void directive_release(struct directive *dv)
{
    free(dv->name);
    free(dv->value);
    dv->name = dv->value = NULL;
}
