/* .dockerignore (dockerignore.h): moby/patternmatcher's Pattern.compile and
 * MatchesOrParentMatches, ignorefile.ReadAll. */
#include <string.h>

#include "buf.h"
#include "dockerignore.h"
#include "regex.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

enum match_type { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_REGEX };

struct pattern {
    char *cleaned; /* without the '!' */
    bool exclusion;
    int line;
    enum match_type type;
    struct regex *re;
};

struct dockerignore {
    struct pattern *p;
    size_t n;
};

void dockerignore_free(struct dockerignore *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->p[i].cleaned);
        regex_free(d->p[i].re);
    }
    free(d->p);
    free(d);
}

size_t dockerignore_count(const struct dockerignore *d)
{
    return d ? d->n : 0;
}

const char *dockerignore_pattern(const struct dockerignore *d, size_t i, bool *exception, int *line)
{
    *exception = d->p[i].exclusion;
    *line = d->p[i].line;
    return d->p[i].cleaned;
}

/* getEsc of Go's filepath.Match: one class character; *i moves past it. */
static int class_char(const char *p, size_t n, size_t *i)
{
    if (*i >= n || p[*i] == '-' || p[*i] == ']')
        return -1;
    if (p[*i] == '\\' && ++*i >= n)
        return -1;
    size_t w;
    uint32_t r = unicode_decode(p + *i, n - *i, &w);
    if (r == UNICODE_ERROR && w == 1)
        return -1;
    *i += w;
    return *i >= n ? -1 : 0;
}

/* A "[...]" class starting at p[*i] == '['; *i moves past its ']'. */
static int class_syntax(const char *p, size_t n, size_t *i)
{
    *i += 1 + (*i + 1 < n && p[*i + 1] == '^');
    for (int nrange = 0;; nrange++) {
        if (*i < n && p[*i] == ']' && nrange > 0) {
            (*i)++;
            return 0;
        }
        if (class_char(p, n, i) < 0)
            return -1;
        if (p[*i] == '-' && (++*i, class_char(p, n, i) < 0))
            return -1;
    }
}

/* The syntax filepath.Match checks: classes well formed, no trailing '\'. */
static int match_syntax(const char *p)
{
    size_t n = strlen(p);
    for (size_t i = 0; i < n;) {
        if (p[i] == '\\') {
            if (i + 1 >= n)
                return -1;
            i += 2;
        } else if (p[i] == '[') {
            if (class_syntax(p, n, &i) < 0)
                return -1;
        } else {
            i++;
        }
    }
    return 0;
}

/* A "**" at rune index i of the pattern; the regex and type it implies. */
static int double_star(struct buf *re, enum match_type *t, const char *p, size_t *pos, size_t i)
{
    int rc = 0;
    *pos += 2;
    if (p[*pos] == '/')
        (*pos)++;
    if (!p[*pos]) {
        if (*t == MATCH_EXACT)
            *t = MATCH_PREFIX;
        else
            rc = buf_addstr(re, ".*", NULL), *t = MATCH_REGEX;
    } else {
        rc = buf_addstr(re, "(.*/)?", NULL);
        *t = MATCH_REGEX;
    }
    if (i == 0)
        *t = MATCH_SUFFIX;
    return rc;
}

/* One rune c of the pattern (after pos, the rest of it). */
static int compile_rune(const char *p, size_t n, size_t *pos, uint32_t c, struct buf *re,
                        enum match_type *t)
{
    size_t w;
    if (c == '*' || c == '?') {
        *t = MATCH_REGEX;
        return buf_addstr(re, c == '*' ? "[^/]*" : "[^/]", NULL);
    }
    if (c < 0x80 && strchr(".+()|{}$", (int)c) && c)
        return buf_addch(re, '\\', NULL) < 0 ? -1 : buf_addch(re, (char)c, NULL);
    if (c == '\\') {
        if (buf_addch(re, '\\', NULL) < 0)
            return -1;
        if (*pos >= n)
            return 0;
        uint32_t e = unicode_decode(p + *pos, n - *pos, &w);
        *pos += w;
        *t = MATCH_REGEX;
        return unicode_buf_add(re, e, NULL);
    }
    if (c == '[' || c == ']')
        *t = MATCH_REGEX;
    return unicode_buf_add(re, c, NULL);
}

/* patternmatcher's Pattern.compile: the regular expression and the kind of match. -1 when the
 * expression is longer than re's limit. */
static int compile(const char *p, struct buf *re, enum match_type *t)
{
    size_t n = strlen(p), pos = 0, w;
    *t = MATCH_EXACT;
    if (buf_addch(re, '^', NULL) < 0)
        return -1;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* text/scanner drops a leading byte-order mark */
    for (size_t i = 0; pos < n; i++) {
        uint32_t c = unicode_decode(p + pos, n - pos, &w);
        if (c == '*' && p[pos + 1] == '*') {
            if (double_star(re, t, p, &pos, i) < 0)
                return -1;
            continue;
        }
        pos += w;
        if (compile_rune(p, n, &pos, c, re, t) < 0)
            return -1;
    }
    return *t == MATCH_REGEX ? buf_addch(re, '$', NULL) : 0;
}

static bool pattern_match(const struct pattern *pt, const char *path)
{
    size_t pl = strlen(path), cl = strlen(pt->cleaned);
    switch (pt->type) {
    case MATCH_EXACT:
        return strcmp(path, pt->cleaned) == 0;
    case MATCH_PREFIX:
        return strncmp(path, pt->cleaned, cl - 2) == 0;
    case MATCH_SUFFIX: {
        const char *suffix = pt->cleaned + 2;
        size_t sl = cl - 2;
        if (pl >= sl && memcmp(path + pl - sl, suffix, sl) == 0)
            return true;
        return sl > 0 && suffix[0] == '/' && strcmp(path, suffix + 1) == 0;
    }
    default: {
        uint64_t budget = REGEX_STEP_BUDGET;
        size_t ms, me;
        return regex_find(pt->re, path, pl, 0, &ms, &me, &budget) == 1;
    }
    }
}

static int add_pattern(struct dockerignore *d, const char *raw, int line, const char *name,
                       kiln_error_t **err)
{
    cleanup_free char *p = path_clean(raw); /* patternmatcher.New cleans again */
    bool ex = p[0] == '!';
    if (ex && !p[1])
        return kiln_err(err, KILN_EINPUT, 0, "%s:%d: illegal exclusion pattern: \"!\"", name, line);
    const char *pat = p + ex;
    if (match_syntax(pat) < 0)
        return kiln_err(err, KILN_EINPUT, 0, "%s:%d: syntax error in pattern", name, line);
    struct pattern pt = {xstrdup(pat), ex, line, MATCH_EXACT, NULL};
    cleanup_buf struct buf re = BUF_INIT(DOCKERIGNORE_MAX_REGEX);
    const char *why;
    if (compile(pat, &re, &pt.type) < 0 ||
        (pt.type == MATCH_REGEX && regex_compile(buf_str(&re), re.len, &pt.re, &why) < 0)) {
        free(pt.cleaned);
        return kiln_err(err, KILN_EINPUT, 0, "%s:%d: syntax error in pattern", name, line);
    }
    vec_reserve(&d->p, d->n, sizeof(*d->p));
    d->p[d->n++] = pt;
    return 0;
}

/* ignorefile.ReadAll for one line: the pattern to add, or NULL for none. */
static char *read_line(const char *s, size_t n)
{
    if (n > 0 && s[0] == '#')
        return NULL;
    size_t a, len;
    unicode_trim_space(s, n, &a, &len);
    if (len == 0)
        return NULL;
    s += a;
    bool invert = s[0] == '!';
    if (invert)
        unicode_trim_space(s + 1, len - 1, &a, &len), s += 1 + a;
    cleanup_free char *raw = xstrndup(s, len);
    cleanup_free char *clean = len ? path_clean(raw) : xstrdup("");
    const char *c = clean;
    if (strlen(c) > 1 && c[0] == '/')
        c++;
    return xasprintf("%s%s", invert ? "!" : "", c);
}

static int parse_lines(struct dockerignore *d, const char *name, const char *data, size_t len,
                       kiln_error_t **err)
{
    size_t pos = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (int line = 1; pos < len; line++) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n >= DOCKERIGNORE_MAX_LINE)
            return kiln_err(err, KILN_ELIMIT, 0, "%s:%d: line longer than %u bytes", name, line,
                            DOCKERIGNORE_MAX_LINE);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        cleanup_free char *pat = read_line(s, n);
        if (!pat)
            continue;
        if (d->n >= DOCKERIGNORE_MAX_PATTERNS)
            return kiln_err(err, KILN_ELIMIT, 0, "%s: more than %u patterns", name,
                            DOCKERIGNORE_MAX_PATTERNS);
        if (add_pattern(d, pat, line, name, err) < 0)
            return -1;
    }
    return 0;
}

int dockerignore_parse(const char *name, const char *data, size_t len, struct dockerignore **out,
                       kiln_error_t **err)
{
    if (len > DOCKERIGNORE_MAX_SIZE)
        return kiln_err(err, KILN_ELIMIT, 0, "%s: larger than %u bytes", name,
                        DOCKERIGNORE_MAX_SIZE);
    if (memchr(data, '\0', len))
        return kiln_err(err, KILN_EINPUT, 0, "%s: NUL byte in the file", name);
    struct dockerignore *d = xcalloc(1, sizeof(*d));
    if (parse_lines(d, name, data, len, err) < 0) {
        dockerignore_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

/* Does pattern match path or one of its parent directories? */
static bool match_or_parent(const struct pattern *pt, const char *path)
{
    if (pattern_match(pt, path))
        return true;
    cleanup_free char *prefix = xstrdup(path);
    for (char *slash = strchr(prefix, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        bool m = pattern_match(pt, prefix);
        *slash = '/';
        if (m)
            return true;
    }
    return false;
}

/* MatchesOrParentMatches: the last pattern that matches decides. */
static bool decide(const struct dockerignore *d, const char *path, int *line)
{
    *line = 0;
    if (!d)
        return false;
    while (*path == '/')
        path++;
    cleanup_free char *clean = path_clean(path);
    if (strcmp(clean, ".") == 0)
        return false;
    bool matched = false;
    for (size_t i = 0; i < d->n; i++) {
        const struct pattern *pt = &d->p[i];
        if (pt->exclusion != matched)
            continue; /* cannot change the outcome */
        if (match_or_parent(pt, clean)) {
            matched = !pt->exclusion;
            *line = matched ? pt->line : 0;
        }
    }
    return matched;
}

bool dockerignore_excluded(const struct dockerignore *d, const char *path)
{
    int line;
    return decide(d, path, &line);
}

int dockerignore_match_line(const struct dockerignore *d, const char *path)
{
    int line;
    decide(d, path, &line);
    return line;
}

bool dockerignore_may_include_below(const struct dockerignore *d, const char *dir)
{
    if (!d)
        return false;
    while (*dir == '/')
        dir++;
    cleanup_free char *clean = path_clean(dir);
    cleanup_free char *slashed = xasprintf("%s/", clean);
    size_t sl = strlen(slashed);
    for (size_t i = 0; i < d->n; i++) {
        const char *p = d->p[i].cleaned;
        if (!d->p[i].exclusion)
            continue;
        size_t lit = strcspn(p, "*?[\\"); /* the part before the first special character */
        size_t cmp = lit < sl ? lit : sl;
        if (strncmp(p, slashed, cmp) == 0)
            return true; /* one is a prefix of the other: something below may be re-included */
    }
    return false;
}

char *dockerignore_specific_path(const char *dockerfile_path)
{
    if (!dockerfile_path || strcmp(dockerfile_path, "-") == 0)
        return NULL;
    return xasprintf("%s.dockerignore", dockerfile_path);
}
