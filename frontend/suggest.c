#include <string.h>

#include "suggest.h"
#include "unicode.h"
#include "util.h"

#define SUGGEST_MAX_RUNES 256 /* longer values are never close to an option */

static size_t to_runes(const char *s, uint32_t *out, size_t max)
{
    size_t n = 0, len = strlen(s), w;
    for (size_t i = 0; i < len && n < max; i += w)
        out[n++] = unicode_decode(s + i, len - i, &w);
    return n;
}

static size_t levenshtein(const char *a, const char *b)
{
    uint32_t ra[SUGGEST_MAX_RUNES], rb[SUGGEST_MAX_RUNES];
    size_t na = to_runes(a, ra, SUGGEST_MAX_RUNES), nb = to_runes(b, rb, SUGGEST_MAX_RUNES);
    size_t row[SUGGEST_MAX_RUNES + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (ra[i - 1] != rb[j - 1]);
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

static char *upper_dup(const char *s)
{
    char *u = xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)unicode_to_upper_ascii((unsigned char)*p);
    return u;
}

char *suggest_search(const char *val, const char *const *options, size_t n, bool case_sensitive)
{
    if (strlen(val) > SUGGEST_MAX_RUNES)
        return NULL;
    cleanup_free char *v = case_sensitive ? xstrdup(val) : unicode_lower(val);
    char *match = NULL;
    size_t mindist = 3;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *opt = case_sensitive ? xstrdup(options[i]) : unicode_lower(options[i]);
        if (strcmp(v, opt) == 0) {
            free(match);
            return NULL; /* an exact match: the error is about something else */
        }
        size_t d = levenshtein(v, opt);
        if (d < mindist) {
            free(match);
            match = steal_ptr(opt);
            mindist = d;
        }
    }
    if (match && !case_sensitive) {
        cleanup_free char *lower = unicode_lower(val);
        cleanup_free char *upper = upper_dup(val);
        if (strcmp(val, upper) == 0 && strcmp(val, lower) != 0) {
            char *u = upper_dup(match);
            free(match);
            match = u;
        }
    }
    return match;
}

char *suggest_wrap(const char *msg, const char *val, const char *const *options, size_t n,
                   bool case_sensitive)
{
    cleanup_free char *m = suggest_search(val, options, n, case_sensitive);
    if (!m)
        return xstrdup(msg);
    return xasprintf("%s (did you mean %s?)", msg, m);
}
