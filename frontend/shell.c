/* Minimal word expansion for the first slice: quotes, escapes, $v, ${v}, ${v:-w}, ${v-w},
 * ${v:+w}, ${v+w}. The full BuildKit-parity lexer replaces this file (frontend/shell.h). */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "shell.h"
#include "util.h"

struct lex {
    const char *p;
    char esc;
    shell_lookup_fn lookup;
    void *ctx;
    kiln_error_t **err;
};

static int lex_word(struct lex *l, struct buf *out, const char *stop, bool split);

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int lex_var(struct lex *l, struct buf *out)
{
    l->p++; /* '$' */
    if (*l->p != '{') {
        const char *s = l->p;
        while (is_name_char(*l->p))
            l->p++;
        if (l->p == s)
            return buf_addch(out, '$', l->err);
        cleanup_free char *name = xstrndup(s, (size_t)(l->p - s));
        const char *v = l->lookup(l->ctx, name);
        return v ? buf_addstr(out, v, l->err) : 0;
    }
    l->p++;
    const char *s = l->p;
    while (is_name_char(*l->p))
        l->p++;
    cleanup_free char *name = xstrndup(s, (size_t)(l->p - s));
    const char *v = l->lookup(l->ctx, name);
    if (*l->p == '}') {
        l->p++;
        return v ? buf_addstr(out, v, l->err) : 0;
    }
    bool colon = *l->p == ':';
    if (colon)
        l->p++;
    char op = *l->p;
    if (op != '-' && op != '+')
        return kiln_err(l->err, KILN_EUNSUPPORTED, 0, "unsupported modifier (%c) in substitution",
                        op ? op : ' ');
    l->p++;
    cleanup_buf struct buf word = BUF_INIT(DF_MAX_EXPANSION);
    if (lex_word(l, &word, "}", false) < 0)
        return -1;
    if (*l->p != '}')
        return kiln_err(l->err, KILN_EINPUT, 0, "missing '}' in substitution");
    l->p++;
    bool set = v && (!colon || *v);
    if (op == '-')
        return buf_addstr(out, set ? v : buf_str(&word), l->err);
    return set ? buf_addstr(out, buf_str(&word), l->err) : 0;
}

static int lex_double(struct lex *l, struct buf *out)
{
    l->p++;
    while (*l->p && *l->p != '"') {
        if (*l->p == l->esc && (l->p[1] == '"' || l->p[1] == '$' || l->p[1] == l->esc)) {
            if (buf_addch(out, l->p[1], l->err) < 0)
                return -1;
            l->p += 2;
        } else if (*l->p == '$') {
            if (lex_var(l, out) < 0)
                return -1;
        } else if (buf_addch(out, *l->p++, l->err) < 0) {
            return -1;
        }
    }
    if (*l->p != '"')
        return kiln_err(l->err, KILN_EINPUT, 0, "unexpected end of statement while looking for matching double-quote");
    l->p++;
    return 0;
}

static int lex_word(struct lex *l, struct buf *out, const char *stop, bool split)
{
    while (*l->p && !strchr(stop, *l->p)) {
        if (split && (*l->p == ' ' || *l->p == '\t'))
            break;
        int r;
        if (*l->p == '\'') {
            const char *e = strchr(l->p + 1, '\'');
            if (!e)
                return kiln_err(l->err, KILN_EINPUT, 0, "unexpected end of statement while looking for matching single-quote");
            r = buf_add(out, l->p + 1, (size_t)(e - l->p - 1), l->err);
            l->p = e + 1;
        } else if (*l->p == '"') {
            r = lex_double(l, out);
        } else if (*l->p == '$') {
            r = lex_var(l, out);
        } else if (*l->p == l->esc && l->p[1]) {
            r = buf_addch(out, l->p[1], l->err);
            l->p += 2;
        } else {
            r = buf_addch(out, *l->p++, l->err);
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

int shell_expand_word(const char *word, char escape, shell_lookup_fn lookup, void *ctx,
                      char **out, kiln_error_t **err)
{
    struct lex l = {word, escape, lookup, ctx, err};
    cleanup_buf struct buf b = BUF_INIT(DF_MAX_EXPANSION);
    if (lex_word(&l, &b, "", false) < 0)
        return -1;
    *out = buf_detach(&b);
    return 0;
}

int shell_expand_words(const char *line, char escape, shell_lookup_fn lookup, void *ctx,
                       char ***out, size_t *n, kiln_error_t **err)
{
    struct lex l = {line, escape, lookup, ctx, err};
    cleanup_strv char **v = NULL;
    size_t count = 0;
    for (;;) {
        while (*l.p == ' ' || *l.p == '\t')
            l.p++;
        if (!*l.p)
            break;
        cleanup_buf struct buf b = BUF_INIT(DF_MAX_EXPANSION);
        if (lex_word(&l, &b, "", true) < 0)
            return -1;
        strv_push(&v, &count, buf_detach(&b));
    }
    if (!v)
        v = xcalloc(1, sizeof(char *));
    *out = steal_ptr(v);
    *n = count;
    return 0;
}
