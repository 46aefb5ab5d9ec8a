#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "regex.h"
#include "shell_subst.h"
#include "unicode.h"
#include "util.h"

/* A string as runes, for the rune-wise reversals BuildKit does for suffix trimming. */
struct runes {
    uint32_t *r;
    size_t n;
};

static struct runes runes_of(const char *s)
{
    size_t n = strlen(s);
    struct runes out = {xcalloc(n + 1, sizeof(uint32_t)), 0};
    for (size_t i = 0, w; i < n; i += w)
        out.r[out.n++] = unicode_decode(s + i, n - i, &w);
    return out;
}

static char *runes_str(const struct runes *rs)
{
    char *s = xmalloc(rs->n * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < rs->n; i++)
        o += unicode_encode(rs->r[i], s + o);
    s[o] = '\0';
    return s;
}

static char *reverse_string(const char *s)
{
    struct runes rs = runes_of(s);
    for (size_t i = 0; i < rs.n / 2; i++) {
        uint32_t t = rs.r[i];
        rs.r[i] = rs.r[rs.n - 1 - i];
        rs.r[rs.n - 1 - i] = t;
    }
    char *out = runes_str(&rs);
    free(rs.r);
    return out;
}

/* Reverses a pattern but keeps each "\x" pair in order (BuildKit's reversePattern). */
static char *reverse_pattern(const char *s)
{
    struct runes in = runes_of(s);
    struct runes out = {xcalloc(in.n + 1, sizeof(uint32_t)), in.n};
    size_t last = in.n ? in.n - 1 : 0;
    for (size_t i = 0; i < in.n;) {
        size_t o = last - i;
        if (in.r[i] == '\\' && i != last) {
            out.r[o - 1] = in.r[i];
            out.r[o] = in.r[i + 1];
            i += 2;
        } else {
            out.r[o] = in.r[i++];
        }
    }
    char *res = runes_str(&out);
    free(in.r);
    free(out.r);
    return res;
}

/* The pattern's runes as text/scanner delivers them: invalid bytes as U+FFFD, a leading
 * byte-order mark skipped. */
static struct runes pattern_runes(const char *pattern)
{
    struct runes rs = runes_of(pattern);
    if (rs.n > 0 && rs.r[0] == 0xFEFF) {
        memmove(rs.r, rs.r + 1, (rs.n - 1) * sizeof(uint32_t));
        rs.n--;
    }
    return rs;
}

static int to_regex_escape(const struct runes *p, size_t *i, struct buf *re, kiln_error_t **err)
{
    uint32_t peek = *i + 1 < p->n ? p->r[*i + 1] : UINT32_MAX;
    if (peek == '}' || peek == '/')
        return 0; /* the escape of } and / in ${} is not part of the pattern */
    if (peek != '*' && peek != '?' && peek != '\\') {
        char tmp[4];
        size_t n = unicode_encode(peek == UINT32_MAX ? UNICODE_ERROR : peek, tmp);
        return kiln_err(err, KILN_EINPUT, 0, "invalid escape '\\%.*s'", (int)n, tmp);
    }
    (*i)++;
    return buf_addch(re, '\\', err) < 0 ? -1 : unicode_buf_add(re, peek, err);
}

/* BuildKit's convertShellPatternToRegex. */
static int to_regex(const char *pattern, bool greedy, bool anchored, struct buf *re,
                    kiln_error_t **err)
{
    struct runes p = pattern_runes(pattern);
    int rc = anchored ? buf_addch(re, '^', err) : 0;
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        uint32_t c = p.r[i];
        if (c == '*') {
            rc = buf_addstr(re, greedy ? ".*" : ".*?", err);
        } else if (c == '?') {
            rc = buf_addch(re, '.', err);
        } else if (c == '\\') {
            rc = to_regex_escape(&p, &i, re, err);
        } else {
            if (c < 0x80 && strchr("[]{}.+()|^$", (int)c))
                rc = buf_addch(re, '\\', err);
            if (rc == 0)
                rc = unicode_buf_add(re, c, err);
        }
    }
    free(p.r);
    return rc;
}

static int compile_pattern(const char *pattern, bool greedy, bool anchored, struct regex **re,
                           kiln_error_t **err)
{
    cleanup_buf struct buf src = BUF_INIT(REGEX_MAX_PATTERN);
    kiln_error_t *inner = NULL;
    const char *why = NULL;
    if (to_regex(pattern, greedy, anchored, &src, &inner) < 0 ||
        regex_compile(buf_str(&src), src.len, re, &why) < 0) {
        kiln_err(err, inner ? inner->code : KILN_EINPUT, 0,
                 "invalid pattern (%s) in substitution: %s", pattern, inner ? inner->msg : why);
        kiln_error_free(inner);
        return -1;
    }
    return 0;
}

static int find(const struct regex *re, const char *s, size_t n, size_t from, size_t *ms,
                size_t *me, uint64_t *budget, kiln_error_t **err)
{
    int r = regex_find(re, s, n, from, ms, me, budget);
    if (r < 0)
        return kiln_err(err, KILN_ELIMIT, 0, "pattern matching in substitution is too expensive");
    return r;
}

static int trim_prefix(const char *pattern, const char *value, bool greedy, char **out,
                       kiln_error_t **err)
{
    struct regex *re = NULL;
    if (compile_pattern(pattern, greedy, true, &re, err) < 0)
        return -1;
    uint64_t budget = REGEX_STEP_BUDGET;
    size_t ms, me, n = strlen(value);
    int r = find(re, value, n, 0, &ms, &me, &budget, err);
    regex_free(re);
    if (r < 0)
        return -1;
    *out = xstrdup(r ? value + me : value);
    return 0;
}

int shell_subst_trim(const char *pattern, const char *value, bool suffix, bool greedy, char **out,
                     kiln_error_t **err)
{
    if (!suffix)
        return trim_prefix(pattern, value, greedy, out, err);
    cleanup_free char *rp = reverse_pattern(pattern);
    cleanup_free char *rv = reverse_string(value);
    cleanup_free char *trimmed = NULL;
    if (trim_prefix(rp, rv, greedy, &trimmed, err) < 0)
        return -1;
    *out = reverse_string(trimmed);
    return 0;
}

/* Go's Regexp.expand for a pattern without groups: $0/${0} is the match, $$ is $. */
static size_t template_name(const char *t, bool *brace, size_t *skip)
{
    *brace = *t == '{';
    const char *p = t + *brace;
    size_t i = 0, w;
    while (p[i]) {
        uint32_t r = unicode_decode(p + i, strlen(p + i), &w);
        if (!unicode_is_letter(r) && !unicode_is_digit(r) && r != '_')
            break;
        i += w;
    }
    if (i == 0 || (*brace && p[i] != '}'))
        return 0;
    *skip = i + (*brace ? 2 : 0);
    return i;
}

static int expand_template(struct buf *out, const char *repl, const char *match, size_t mlen,
                           kiln_error_t **err)
{
    for (const char *t = repl; *t;) {
        const char *dollar = strchr(t, '$');
        if (!dollar)
            return buf_addstr(out, t, err);
        if (buf_add(out, t, (size_t)(dollar - t), err) < 0)
            return -1;
        t = dollar + 1;
        bool brace;
        size_t skip = 0, len;
        if (*t == '$') {
            t++;
            if (buf_addch(out, '$', err) < 0)
                return -1;
        } else if ((len = template_name(t, &brace, &skip)) == 0) {
            if (buf_addch(out, '$', err) < 0)
                return -1;
        } else {
            if (len == 1 && t[brace] == '0' && buf_add(out, match, mlen, err) < 0)
                return -1;
            t += skip;
        }
    }
    return 0;
}

struct replace_state {
    const struct regex *re;
    const char *value, *repl;
    size_t n;
    uint64_t budget;
};

static int replace_all(struct replace_state *st, struct buf *out, kiln_error_t **err)
{
    size_t search = 0, last_end = 0, ms, me, w;
    while (search <= st->n) {
        int r = find(st->re, st->value, st->n, search, &ms, &me, &st->budget, err);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        if (buf_add(out, st->value + last_end, ms - last_end, err) < 0)
            return -1;
        if ((me > last_end || ms == 0) &&
            expand_template(out, st->repl, st->value + ms, me - ms, err) < 0)
            return -1;
        last_end = me;
        w = 0;
        if (search < st->n)
            unicode_decode(st->value + search, st->n - search, &w);
        if (search + w > me)
            search += w;
        else if (search + 1 > me)
            search++;
        else
            search = me;
    }
    return buf_add(out, st->value + last_end, st->n - last_end, err);
}

int shell_subst_replace(const char *pattern, const char *repl, const char *value, bool all,
                        char **out, kiln_error_t **err)
{
    struct regex *re = NULL;
    if (compile_pattern(pattern, true, false, &re, err) < 0)
        return -1;
    struct replace_state st = {re, value, repl, strlen(value), REGEX_STEP_BUDGET};
    cleanup_buf struct buf b = BUF_INIT(DF_MAX_EXPANSION);
    size_t ms, me;
    int rc;
    if (all) {
        rc = replace_all(&st, &b, err);
    } else {
        rc = find(re, value, st.n, 0, &ms, &me, &st.budget, err);
        if (rc == 1)
            rc = (buf_add(&b, value, ms, err) < 0 || buf_addstr(&b, repl, err) < 0 ||
                  buf_addstr(&b, value + me, err) < 0)
                     ? -1
                     : 0;
        else if (rc == 0)
            rc = buf_addstr(&b, value, err);
    }
    regex_free(re);
    if (rc < 0)
        return -1;
    *out = buf_detach(&b);
    return 0;
}
