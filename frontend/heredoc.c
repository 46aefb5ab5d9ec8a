#include <string.h>

#include "heredoc.h"
#include "shell.h"
#include "util.h"
#include "vec.h"

static bool is_re_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static size_t count_quotes(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\'' || *s == '"';
    return n;
}

static unsigned parse_fd(const char *s, size_t n)
{
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > 0xFFFFFFFFull)
            return 0xFFFFFFFFu; /* strconv.ParseUint saturates on overflow */
    }
    return (unsigned)v;
}

/* Lexes the delimiter twice, without and with quotes: a quote in one but not the other
 * means part of it was quoted, and then the body is not expanded. */
static int delimiter(const char *rest, struct df_heredoc *out, kiln_error_t **err)
{
    struct shell_opts o = {.escape = '\\', .skip_unset = true};
    cleanup_strv char **words = NULL;
    cleanup_strv char **raw = NULL;
    size_t n, nraw;
    if (shell_process_words(&o, rest, NULL, NULL, &words, &n, err) < 0)
        return -1;
    if (n != 1)
        return 0;
    o.raw_quotes = true;
    if (shell_process_words(&o, rest, NULL, NULL, &raw, &nraw, err) < 0)
        return -1;
    if (nraw != n)
        return kiln_err(err, KILN_EINPUT, 0,
                        "internal lexing of heredoc produced inconsistent results: %s", rest);
    out->name = xstrdup(words[0]);
    out->expand = count_quotes(words[0]) == count_quotes(raw[0]);
    return 1;
}

int heredoc_parse_word(const char *word, struct df_heredoc *out, kiln_error_t **err)
{
    size_t p = 0;
    while (word[p] >= '0' && word[p] <= '9')
        p++;
    size_t ndigits = p;
    if (word[p] != '<' || word[p + 1] != '<')
        return 0;
    p += 2;
    bool chomp = word[p] == '-';
    p += chomp;
    while (is_re_space(word[p]))
        p++;
    const char *rest = word + p;
    if (!*rest || strchr(rest, '<'))
        return 0;
    memset(out, 0, sizeof(*out));
    int r = delimiter(rest, out, err);
    if (r == 1) {
        out->chomp = chomp;
        out->fd = parse_fd(word, ndigits);
    }
    return r;
}

int heredoc_from_line(const char *line, struct df_heredoc **out, size_t *n, kiln_error_t **err)
{
    struct shell_opts o = {
        .escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true};
    cleanup_strv char **words = NULL;
    size_t nw = 0;
    *out = NULL;
    *n = 0;
    if (shell_process_words(&o, line, NULL, NULL, &words, &nw, NULL) < 0)
        return 0; /* as BuildKit: a line that does not lex names no heredoc */
    for (size_t i = 0; i < nw; i++) {
        struct df_heredoc h;
        int r = heredoc_parse_word(words[i], &h, err);
        if (r < 0) {
            for (size_t k = 0; k < *n; k++)
                heredoc_release(&(*out)[k]);
            free(*out);
            *out = NULL, *n = 0;
            return -1;
        }
        if (r == 1) {
            vec_reserve(out, *n, sizeof(**out));
            (*out)[(*n)++] = h;
        }
    }
    return 0;
}

char *heredoc_chomp(const char *content)
{
    size_t n = strlen(content), o = 0;
    char *out = xmalloc(n + 1);
    bool bol = true;
    for (size_t i = 0; i < n; i++) {
        if (bol && content[i] == '\t')
            continue;
        bol = content[i] == '\n';
        out[o++] = content[i];
    }
    out[o] = '\0';
    return out;
}

void heredoc_release(struct df_heredoc *h)
{
    free(h->name);
    free(h->content);
    h->name = h->content = NULL;
}
