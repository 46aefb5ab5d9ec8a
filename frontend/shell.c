/* BuildKit's shell lexer (frontend/dockerfile/shell/lex.go), rune by rune. The structure
 * follows lex.go so that the quirks come out the same: see the comments marked "as BuildKit". */
#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "shell.h"
#include "shell_subst.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

#define SH_EOF   (-1)
#define SH_START (-2)

struct shell_lex {
    const struct shell_opts *o;
    const char *s;
    size_t n, pos; /* pos: just after the lookahead rune */
    int32_t ch;    /* the lookahead rune (text/scanner's Peek) */
    bool raw_escapes;
    shell_lookup_fn lookup;
    void *ctx;
    struct buf words_buf; /* shared by every nesting level, as BuildKit's wordsBuffer */
    int depth;
    kiln_error_t **err;
};

struct shell_words {
    struct buf *buf;
    char **v;
    size_t n;
    bool in_word;
};

static int32_t lex_read(struct shell_lex *l)
{
    if (l->pos >= l->n)
        return SH_EOF;
    size_t w;
    uint32_t r = unicode_decode(l->s + l->pos, l->n - l->pos, &w);
    l->pos += w;
    return (int32_t)r;
}

static int32_t lex_peek(struct shell_lex *l)
{
    if (l->ch == SH_START) {
        l->ch = lex_read(l);
        if (l->ch == 0xFEFF) /* text/scanner skips a leading byte-order mark */
            l->ch = lex_read(l);
    }
    return l->ch;
}

static int32_t lex_next(struct shell_lex *l)
{
    int32_t ch = lex_peek(l);
    if (ch != SH_EOF)
        l->ch = lex_read(l);
    return ch;
}

/* Go's string(rune): EOF and other invalid runes become U+FFFD. */
static int add_rune(struct buf *b, int32_t r, kiln_error_t **err)
{
    return unicode_buf_add(b, r < 0 ? UNICODE_ERROR : (uint32_t)r, err);
}

static int words_flush(struct shell_words *w)
{
    strv_add(&w->v, &w->n, xstrndup(buf_str(w->buf), w->buf->len));
    buf_reset(w->buf);
    w->in_word = false;
    return 0;
}

static int words_add_raw_char(struct shell_words *w, int32_t ch, kiln_error_t **err)
{
    w->in_word = true;
    return add_rune(w->buf, ch, err);
}

static int words_add_char(struct shell_words *w, int32_t ch, kiln_error_t **err)
{
    bool space = ch >= 0 && unicode_is_space((uint32_t)ch);
    if (space && w->in_word) {
        if (w->buf->len != 0)
            return words_flush(w);
        return 0;
    }
    return space ? 0 : words_add_raw_char(w, ch, err);
}

static int words_add_string(struct shell_words *w, const char *s, kiln_error_t **err)
{
    size_t n = strlen(s);
    for (size_t i = 0, wd; i < n; i += wd)
        if (words_add_char(w, (int32_t)unicode_decode(s + i, n - i, &wd), err) < 0)
            return -1;
    return 0;
}

static int words_add_raw_string(struct shell_words *w, const char *s, kiln_error_t **err)
{
    w->in_word = true;
    return buf_addstr(w->buf, s, err);
}

static void words_finish(struct shell_words *w)
{
    if (w->buf->len > 0)
        words_flush(w);
}

static int process_stop_on(struct shell_lex *l, int32_t stop, bool raw_escapes, struct buf *res,
                           struct shell_words *words);

static int process_single_quote(struct shell_lex *l, struct buf *out)
{
    int32_t ch = lex_next(l);
    if (l->o->raw_quotes && add_rune(out, ch, l->err) < 0)
        return -1;
    for (;;) {
        ch = lex_next(l);
        if (ch == SH_EOF)
            return kiln_err(l->err, KILN_EINPUT, 0,
                            "unexpected end of statement while looking for matching single-quote");
        if (ch == '\'')
            return l->o->raw_quotes ? add_rune(out, ch, l->err) : 0;
        if (add_rune(out, ch, l->err) < 0)
            return -1;
    }
}

static int process_dollar(struct shell_lex *l, struct buf *out);

static int double_quote_char(struct shell_lex *l, struct buf *out)
{
    int32_t ch = lex_next(l);
    if (ch == (unsigned char)l->o->escape) {
        if (l->raw_escapes && add_rune(out, ch, l->err) < 0)
            return -1;
        int32_t p = lex_peek(l);
        if (p == SH_EOF)
            return 0; /* an escape at the end of the word is dropped */
        if (p == '"' || p == '$' || p == (unsigned char)l->o->escape)
            ch = lex_next(l);
    }
    return add_rune(out, ch, l->err);
}

static int process_double_quote(struct shell_lex *l, struct buf *out)
{
    int32_t ch = lex_next(l);
    if (l->o->raw_quotes && add_rune(out, ch, l->err) < 0)
        return -1;
    for (;;) {
        int32_t p = lex_peek(l);
        int rc;
        if (p == SH_EOF)
            return kiln_err(l->err, KILN_EINPUT, 0,
                            "unexpected end of statement while looking for matching double-quote");
        if (p == '"') {
            ch = lex_next(l);
            return l->o->raw_quotes ? add_rune(out, ch, l->err) : 0;
        }
        rc = p == '$' ? process_dollar(l, out) : double_quote_char(l, out);
        if (rc < 0)
            return -1;
    }
}

static bool is_special_param(int32_t c)
{
    return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
           c == '0';
}

static bool is_name_rune(int32_t c)
{
    return c >= 0 && (unicode_is_letter((uint32_t)c) || unicode_is_digit((uint32_t)c) || c == '_');
}

static bool is_digit_rune(int32_t c)
{
    return c >= 0 && unicode_is_digit((uint32_t)c);
}

static int process_digits(struct shell_lex *l, struct buf *name)
{
    int rc = 0;
    while (rc == 0 && is_digit_rune(lex_peek(l)))
        rc = add_rune(name, lex_next(l), l->err);
    return rc;
}

/* A variable name: letters, digits, '_'; or all the digits of a positional parameter; or
 * one special parameter character. */
static int process_name(struct shell_lex *l, struct buf *name)
{
    while (lex_peek(l) != SH_EOF) {
        int32_t ch = lex_peek(l);
        if (name->len == 0 && is_digit_rune(ch))
            return process_digits(l, name);
        if (name->len == 0 && is_special_param(ch))
            return add_rune(name, lex_next(l), l->err);
        if (!is_name_rune(ch))
            break;
        if (add_rune(name, lex_next(l), l->err) < 0)
            return -1;
    }
    return 0;
}

static int process_possible_heredoc(struct shell_lex *l, struct buf *out)
{
    lex_next(l);
    if (lex_peek(l) != '<')
        return buf_addch(out, '<', l->err);
    lex_next(l);
    if (buf_addstr(out, "<<", l->err) < 0)
        return -1;
    for (int32_t c = lex_peek(l); c == '\t' || c == '\r' || c == ' '; c = lex_peek(l))
        if (add_rune(out, lex_next(l), l->err) < 0)
            return -1;
    return 0;
}

/* Runs process_stop_on for the word of a ${...} modifier; the missing-'}' wording when the
 * input ran out. */
static int modifier_word(struct shell_lex *l, int32_t stop, bool raw, const char *missing,
                         struct buf *word)
{
    cleanup_error kiln_error_t *inner = NULL;
    struct shell_words w = {0};
    kiln_error_t **saved = l->err;
    l->err = &inner;
    int rc = process_stop_on(l, stop, raw, word, &w);
    l->err = saved;
    strv_free(w.v);
    if (rc == 0)
        return 0;
    if (inner->code == KILN_EINPUT && lex_peek(l) == SH_EOF)
        return kiln_err(l->err, KILN_EINPUT, 0, "%s", missing);
    return kiln_err(l->err, inner->code, 0, "%s", inner->msg);
}

static const char *lex_getenv(struct shell_lex *l, const char *name)
{
    return l->lookup ? l->lookup(l->ctx, name) : NULL;
}

static int dollar_simple(struct shell_lex *l, struct buf *out)
{
    cleanup_buf struct buf name = BUF_INIT(DF_MAX_EXPANSION);
    if (process_name(l, &name) < 0)
        return -1;
    if (name.len == 0)
        return buf_addch(out, '$', l->err);
    const char *v = lex_getenv(l, buf_str(&name));
    if (!v && l->o->skip_unset)
        return buf_addf(out, l->err, "$%s", buf_str(&name));
    return v ? buf_addstr(out, v, l->err) : 0;
}

static bool is_modifier_op(int32_t c)
{
    return c == '+' || c == '-' || c == '?' || c == '#' || c == '%';
}

static int modifier_value(struct shell_lex *l, const char *name, int32_t op, bool null_unset,
                          const char *word, struct buf *out)
{
    const char *v = lex_getenv(l, name);
    bool unset = !v || (null_unset && !*v);
    cleanup_free char *r = NULL;
    switch (op) {
    case '-':
        return buf_addstr(out, unset ? word : v, l->err);
    case '+':
        return unset ? 0 : buf_addstr(out, word, l->err);
    case '?':
        if (unset)
            return kiln_err(l->err, KILN_EINPUT, 0, "%s: %s", name,
                            *word ? word
                            : !v  ? "is not allowed to be unset"
                                  : "is not allowed to be empty");
        return buf_addstr(out, v, l->err);
    default: { /* '#' or '%': the shortest match, the longest with a doubled operator */
        bool greedy = word[0] == (char)op;
        if (shell_subst_trim(word + greedy, v ? v : "", op == '%', greedy, &r, l->err) < 0)
            return -1;
        return buf_addstr(out, r, l->err);
    }
    }
}

/* ${name<op>word} for op in + - ? # % and their ':' forms. chs is the operator as written. */
static int dollar_modifier(struct shell_lex *l, const char *name, int32_t op, bool null_unset,
                           const char *chs, struct buf *out)
{
    bool raw = op == '#' || op == '%';
    if (null_unset && raw)
        return kiln_err(l->err, KILN_EINPUT, 0, "unsupported modifier (%s) in substitution", chs);
    cleanup_buf struct buf word = BUF_INIT(DF_MAX_EXPANSION);
    if (modifier_word(l, '}', raw, "syntax error: missing '}'", &word) < 0)
        return -1;
    if (l->o->skip_unset && !lex_getenv(l, name))
        return buf_addf(out, l->err, "${%s%s%s}", name, chs, buf_str(&word));
    if (!is_modifier_op(op))
        return kiln_err(l->err, KILN_EINPUT, 0, "unsupported modifier (%s) in substitution", chs);
    return modifier_value(l, name, op, null_unset, buf_str(&word), out);
}

static int dollar_replace(struct shell_lex *l, const char *name, struct buf *out)
{
    bool all = lex_peek(l) == '/';
    if (all)
        lex_next(l);
    cleanup_buf struct buf pat = BUF_INIT(DF_MAX_EXPANSION);
    cleanup_buf struct buf repl = BUF_INIT(DF_MAX_EXPANSION);
    if (modifier_word(l, '/', true, "syntax error: missing '/' in ${}", &pat) < 0 ||
        modifier_word(l, '}', true, "syntax error: missing '}'", &repl) < 0)
        return -1;
    const char *v = lex_getenv(l, name);
    if (l->o->skip_unset && !v)
        return buf_addf(out, l->err, "${%s/%s/%s}", name, buf_str(&pat), buf_str(&repl));
    cleanup_free char *r = NULL;
    if (shell_subst_replace(buf_str(&pat), buf_str(&repl), v ? v : "", all, &r, l->err) < 0)
        return -1;
    return buf_addstr(out, r, l->err);
}

static int dollar_braced(struct shell_lex *l, struct buf *out)
{
    int32_t p = lex_peek(l);
    if (p == SH_EOF)
        return kiln_err(l->err, KILN_EINPUT, 0, "syntax error: missing '}'");
    if (p == '{' || p == '}' || p == ':')
        return kiln_err(l->err, KILN_EINPUT, 0, "syntax error: bad substitution");
    cleanup_buf struct buf name = BUF_INIT(DF_MAX_EXPANSION);
    cleanup_buf struct buf chs = BUF_INIT(16);
    if (process_name(l, &name) < 0)
        return -1;
    int32_t ch = lex_next(l);
    if (add_rune(&chs, ch, l->err) < 0)
        return -1;
    if (ch == '}') {
        const char *v = lex_getenv(l, buf_str(&name));
        if (!v && l->o->skip_unset)
            return buf_addf(out, l->err, "${%s}", buf_str(&name));
        return v ? buf_addstr(out, v, l->err) : 0;
    }
    if (ch == '/')
        return dollar_replace(l, buf_str(&name), out);
    bool null_unset = ch == ':';
    if (null_unset) {
        ch = lex_next(l);
        if (add_rune(&chs, ch, l->err) < 0)
            return -1;
    } else if (!is_modifier_op(ch)) {
        return kiln_err(l->err, KILN_EINPUT, 0, "unsupported modifier (%s) in substitution",
                        buf_str(&chs));
    }
    return dollar_modifier(l, buf_str(&name), ch, null_unset, buf_str(&chs), out);
}

static int process_dollar(struct shell_lex *l, struct buf *out)
{
    lex_next(l);
    if (lex_peek(l) != '{')
        return dollar_simple(l, out);
    lex_next(l);
    return dollar_braced(l, out);
}

/* One special character ($, <, quotes): its expansion goes to res and to the words. */
static int process_special(struct shell_lex *l, int32_t ch, struct buf *res,
                           struct shell_words *words)
{
    cleanup_buf struct buf tmp = BUF_INIT(DF_MAX_EXPANSION);
    int rc;
    if (ch == '$')
        rc = process_dollar(l, &tmp);
    else if (ch == '<')
        rc = process_possible_heredoc(l, &tmp);
    else if (ch == '\'')
        rc = process_single_quote(l, &tmp);
    else
        rc = process_double_quote(l, &tmp);
    if (rc < 0 || buf_add(res, buf_str(&tmp), tmp.len, l->err) < 0)
        return -1;
    if (ch == '$')
        return words_add_string(words, buf_str(&tmp), l->err);
    return words_add_raw_string(words, buf_str(&tmp), l->err);
}

/* An ordinary character, or the escape character and what it escapes. 1: end of input. */
static int process_plain(struct shell_lex *l, struct buf *res, struct shell_words *words)
{
    int32_t ch = lex_next(l);
    if (ch == (unsigned char)l->o->escape) {
        if (l->raw_escapes &&
            (words_add_raw_char(words, ch, l->err) < 0 || add_rune(res, ch, l->err) < 0))
            return -1;
        ch = lex_next(l);
        if (ch == SH_EOF)
            return 1;
        if (words_add_raw_char(words, ch, l->err) < 0)
            return -1;
    } else if (words_add_char(words, ch, l->err) < 0) {
        return -1;
    }
    return add_rune(res, ch, l->err);
}

static bool is_special(const struct shell_lex *l, int32_t ch)
{
    return ch == '$' || ch == '<' || (!l->o->skip_quotes && (ch == '\'' || ch == '"'));
}

static int stop_on_loop(struct shell_lex *l, int32_t stop, struct buf *res,
                        struct shell_words *words)
{
    while (lex_peek(l) != SH_EOF) {
        int32_t ch = lex_peek(l);
        if (stop != SH_EOF && ch == stop) {
            lex_next(l);
            return 0;
        }
        int rc =
            is_special(l, ch) ? process_special(l, ch, res, words) : process_plain(l, res, words);
        if (rc < 0)
            return -1;
        if (rc == 1)
            break;
    }
    if (stop == SH_EOF)
        return 0;
    char s[4];
    size_t n = unicode_encode((uint32_t)stop, s);
    return kiln_err(l->err, KILN_EINPUT, 0,
                    "unexpected end of statement while looking for matching %.*s", (int)n, s);
}

static int process_stop_on(struct shell_lex *l, int32_t stop, bool raw_escapes, struct buf *res,
                           struct shell_words *words)
{
    if (l->depth >= SHELL_MAX_DEPTH)
        return kiln_err(l->err, KILN_ELIMIT, 0, "more than %d nested substitutions",
                        SHELL_MAX_DEPTH);
    /* As BuildKit: every level shares one word buffer and clears it on entry, so a nested
     * ${v:-...} drops the part of the current word before it (ProcessWords only). */
    buf_reset(&l->words_buf);
    words->buf = &l->words_buf;
    bool saved = l->raw_escapes;
    l->raw_escapes = raw_escapes;
    l->depth++;
    int rc = stop_on_loop(l, stop, res, words);
    l->depth--;
    l->raw_escapes = saved;
    if (rc == 0)
        words_finish(words);
    return rc;
}

static int lex_run(const struct shell_opts *o, const char *word, shell_lookup_fn lookup, void *ctx,
                   char **out, struct shell_words *words, kiln_error_t **err)
{
    struct shell_lex l = {
        o, word, strlen(word), 0, SH_START, o->raw_escapes, lookup, ctx, BUF_INIT(DF_MAX_EXPANSION),
        0, err};
    cleanup_buf struct buf res = BUF_INIT(DF_MAX_EXPANSION);
    int rc = process_stop_on(&l, SH_EOF, o->raw_escapes, &res, words);
    buf_release(&l.words_buf);
    if (rc < 0) {
        cleanup_buf struct buf q = BUF_INIT(2 * DF_MAX_EXPANSION);
        if (unicode_quote(&q, word, strlen(word), NULL) == 0)
            kiln_err_wrap(err, "failed to process %s", buf_str(&q));
        return -1;
    }
    if (out)
        *out = buf_detach(&res);
    return 0;
}

int shell_process_word(const struct shell_opts *o, const char *word, shell_lookup_fn lookup,
                       void *ctx, char **out, kiln_error_t **err)
{
    struct shell_words w = {0};
    int rc = lex_run(o, word, lookup, ctx, out, &w, err);
    strv_free(w.v);
    return rc;
}

int shell_process_words(const struct shell_opts *o, const char *word, shell_lookup_fn lookup,
                        void *ctx, char ***out, size_t *n, kiln_error_t **err)
{
    struct shell_words w = {0};
    if (lex_run(o, word, lookup, ctx, NULL, &w, err) < 0) {
        strv_free(w.v);
        return -1;
    }
    *out = w.v ? w.v : xcalloc(1, sizeof(char *));
    *n = w.n;
    return 0;
}

int shell_expand_word(const char *word, char escape, shell_lookup_fn lookup, void *ctx, char **out,
                      kiln_error_t **err)
{
    struct shell_opts o = {.escape = escape};
    return shell_process_word(&o, word, lookup, ctx, out, err);
}

int shell_expand_words(const char *line, char escape, shell_lookup_fn lookup, void *ctx,
                       char ***out, size_t *n, kiln_error_t **err)
{
    struct shell_opts o = {.escape = escape};
    return shell_process_words(&o, line, lookup, ctx, out, n, err);
}

int shell_expand_heredoc(const char *body, shell_lookup_fn lookup, void *ctx, char **out,
                         kiln_error_t **err)
{
    struct shell_opts o = {.escape = '\\', .skip_quotes = true};
    return shell_process_word(&o, body, lookup, ctx, out, err);
}
