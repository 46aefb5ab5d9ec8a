#include <string.h>

#include "dockerfile.h"
#include "lexer.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

void lexer_init(struct lexer *lx, const char *data, size_t len)
{
    memset(lx, 0, sizeof(*lx));
    lx->data = data;
    lx->len = len;
    lx->escape = '\\';
    lx->dir.prefix = "#";
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        lx->pos = 3;
}

void lexer_release(struct lexer *lx)
{
    strv_free(lx->comments);
    lx->comments = NULL;
    lx->ncomments = 0;
    free(lx->syntax);
    free(lx->check);
    lx->syntax = lx->check = NULL;
}

void lexer_line_release(struct lexer_line *ll)
{
    buf_release(&ll->text);
    strv_free(ll->comments);
    ll->comments = NULL;
    ll->ncomments = 0;
}

int lexer_raw_line(struct lexer *lx, const char **s, size_t *n, kiln_error_t **err)
{
    if (lx->pos >= lx->len)
        return 0;
    const char *start = lx->data + lx->pos;
    const char *nl = memchr(start, '\n', lx->len - lx->pos);
    size_t len = nl ? (size_t)(nl - start) + 1 : lx->len - lx->pos;
    if (len > (nl ? DF_MAX_LINE : DF_MAX_LINE - 1)) {
        lx->err_line = lx->line + 1;
        return kiln_err(err, KILN_ELIMIT, 0, "dockerfile line greater than max allowed size of %u",
                        DF_MAX_LINE - 1);
    }
    lx->pos += len;
    *s = start;
    *n = len;
    return 1;
}

static size_t skip_spaces(const char *s, size_t n)
{
    size_t p = 0, w;
    while ((w = unicode_space_len(s + p, n - p)) > 0)
        p += w;
    return p;
}

static bool is_comment(const char *s, size_t n)
{
    size_t p = skip_spaces(s, n);
    return p < n && s[p] == '#';
}

static size_t trim_newline(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return n;
}

bool lexer_trim_continuation(const char *s, size_t *n, char escape)
{
    size_t e = *n;
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    if (e == 0 || s[e - 1] != escape)
        return false;
    if (e >= 2 && s[e - 2] == escape)
        return false; /* an escaped escape character is not a continuation */
    *n = e - 1;
    return true;
}

/* Collects the comment text for the next instruction ("#" and surrounding spaces removed;
 * an empty comment line starts over). */
static void note_comment(struct lexer *lx, const char *raw, size_t n)
{
    size_t a, len;
    unicode_trim_space(raw + 1, n - 1, &a, &len);
    if (len == 0) {
        strv_free(lx->comments);
        lx->comments = NULL;
        lx->ncomments = 0;
        return;
    }
    strv_add(&lx->comments, &lx->ncomments, xstrndup(raw + 1 + a, len));
}

static int apply_directive(struct lexer *lx, struct directive *dv, kiln_error_t **err)
{
    char **slot = strcmp(dv->name, "syntax") == 0  ? &lx->syntax
                  : strcmp(dv->name, "check") == 0 ? &lx->check
                                                   : NULL;
    if (slot) {
        *slot = steal_ptr(dv->value);
        return 0;
    }
    if (strcmp(dv->value, "`") != 0 && strcmp(dv->value, "\\") != 0)
        return kiln_err(err, KILN_EINPUT, 0, "invalid escape token '%s' does not match ` or \\",
                        dv->value);
    lx->escape = dv->value[0];
    return 0;
}

/* The first line of a possible instruction: comments noted, directives applied, leading
 * spaces and a comment removed. */
static int first_line(struct lexer *lx, const char *raw, size_t n, const char **t, size_t *tn,
                      kiln_error_t **err)
{
    if (is_comment(raw, n))
        note_comment(lx, raw, n);
    size_t len = trim_newline(raw, n);
    size_t lead = skip_spaces(raw, len);
    *t = raw + lead;
    *tn = len - lead;
    struct directive dv = {0};
    int d = directives_parse_line(&lx->dir, *t, *tn, &dv, err);
    if (d == 1) {
        if (lx->ncomments > 0)
            free(lx->comments[--lx->ncomments]), lx->comments[lx->ncomments] = NULL;
        d = apply_directive(lx, &dv, err);
        directive_release(&dv);
    }
    if (d < 0) {
        lx->err_line = lx->line + 1;
        return -1;
    }
    if (*tn > 0 && **t == '#')
        *tn = 0;
    return 0;
}

static int add_text(struct lexer *lx, struct buf *b, const char *s, size_t n, kiln_error_t **err)
{
    if (buf_add(b, s, n, err) == 0)
        return 0;
    lx->err_line = lx->line;
    kiln_error_free(*err);
    *err = NULL;
    return kiln_err(err, KILN_ELIMIT, 0, "instruction longer than %u bytes", DF_MAX_LOGICAL_LINE);
}

/* Continuation lines until one does not end in the escape character. */
static int continuation(struct lexer *lx, struct lexer_line *out, kiln_error_t **err)
{
    const char *raw = NULL;
    size_t n = 0;
    int r;
    while ((r = lexer_raw_line(lx, &raw, &n, err)) > 0) {
        lx->line++;
        size_t len = trim_newline(raw, n);
        if (is_comment(raw, n))
            continue;
        if (skip_spaces(raw, len) == len) {
            out->empty_continuation = true;
            continue;
        }
        bool more = lexer_trim_continuation(raw, &len, lx->escape);
        if (add_text(lx, &out->text, raw, len, err) < 0)
            return -1;
        if (!more)
            return 0;
    }
    return r;
}

int lexer_next(struct lexer *lx, struct lexer_line *out, kiln_error_t **err)
{
    const char *raw = NULL, *t = NULL;
    size_t n = 0, tn = 0;
    int r;
    memset(out, 0, sizeof(*out));
    out->text = (struct buf)BUF_INIT(DF_MAX_LOGICAL_LINE);
    while ((r = lexer_raw_line(lx, &raw, &n, err)) > 0) {
        if (first_line(lx, raw, n, &t, &tn, err) < 0)
            return -1;
        lx->line++;
        out->start_line = lx->line;
        bool more = lexer_trim_continuation(t, &tn, lx->escape);
        if (!more && tn == 0)
            continue;
        if (add_text(lx, &out->text, t, tn, err) < 0 || (more && continuation(lx, out, err) < 0))
            return -1;
        out->end_line = lx->line;
        out->comments = steal_ptr(lx->comments);
        out->ncomments = lx->ncomments;
        lx->ncomments = 0;
        return 1;
    }
    return r;
}
