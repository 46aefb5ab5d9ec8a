/* A RUN command line split the way a POSIX shell reads it, enough for the linter: simple
 * commands (quotes removed, redirections dropped) grouped in pipelines. Command
 * substitutions ($(...), `...`) and process substitutions (<(...)) stay as text inside the
 * word that holds them; they are not split further. Never fails: odd input (an unterminated
 * quote) ends the last word at the end of the text. */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "frontend/lint/lint_internal.h"
#include "util.h"

struct splitter {
    const char *s;
    size_t i, n;
    struct lint_cmds *out;
    struct lint_cmd cur;
    struct buf word;
    bool in_word; /* a word has started (it may be empty: "") */
    size_t pipeline;
};

static void end_word(struct splitter *sp)
{
    if (!sp->in_word)
        return;
    strv_push(&sp->cur.words, &sp->cur.nwords, buf_detach(&sp->word));
    sp->in_word = false;
}

/* Ends the simple command; a new pipeline starts unless the command was piped on. */
static void end_command(struct splitter *sp, bool piped)
{
    end_word(sp);
    if (sp->cur.nwords > 0) {
        sp->cur.pipeline = sp->pipeline;
        sp->out->v = xrealloc(sp->out->v, (sp->out->n + 1) * sizeof(*sp->out->v));
        sp->out->v[sp->out->n++] = sp->cur;
    }
    memset(&sp->cur, 0, sizeof(sp->cur));
    if (!piped)
        sp->pipeline++;
}

static void add(struct splitter *sp, char ch)
{
    if (buf_addch(&sp->word, ch, NULL) < 0)
        sp->i = sp->n; /* cannot happen (a word is part of the script): stop splitting */
    sp->in_word = true;
}

/* Copies a balanced "(...)" (after "$" or "<") verbatim; quotes inside are skipped over. */
static void copy_parens(struct splitter *sp)
{
    int depth = 0;
    for (; sp->i < sp->n; sp->i++) {
        char ch = sp->s[sp->i];
        add(sp, ch);
        if (ch == '(')
            depth++;
        else if (ch == ')' && --depth == 0) {
            sp->i++;
            return;
        }
    }
}

static void copy_until(struct splitter *sp, char close, bool escapes)
{
    for (sp->i++; sp->i < sp->n && sp->s[sp->i] != close; sp->i++) {
        if (escapes && sp->s[sp->i] == '\\' && sp->i + 1 < sp->n &&
            strchr("\"\\$`\n", sp->s[sp->i + 1]))
            sp->i++;
        if (escapes && sp->s[sp->i] == '$' && sp->i + 1 < sp->n && sp->s[sp->i + 1] == '(') {
            copy_parens(sp);
            sp->i--;
            continue;
        }
        add(sp, sp->s[sp->i]);
    }
    sp->in_word = true;
    sp->i++;
}

/* A redirection: the operator, an fd number written just before it, and its target word. */
static void skip_redirection(struct splitter *sp)
{
    bool fd =
        sp->in_word && sp->word.len > 0 && strspn(buf_str(&sp->word), "0123456789") == sp->word.len;
    if (fd) {
        buf_reset(&sp->word);
        sp->in_word = false;
    }
    end_word(sp);
    while (sp->i < sp->n && strchr("<>&|", sp->s[sp->i]))
        sp->i++;
    while (sp->i < sp->n && (sp->s[sp->i] == ' ' || sp->s[sp->i] == '\t'))
        sp->i++;
    while (sp->i < sp->n && !strchr(" \t\n;&|()", sp->s[sp->i]))
        sp->i++;
}

/* Operators: ; & && || | |& ( ) and newlines. */
static bool operator(struct splitter *sp, char ch)
{
    char next = sp->i + 1 < sp->n ? sp->s[sp->i + 1] : '\0';
    if (ch == '|' && next != '|') {
        sp->i += 1 + (next == '&');
        end_command(sp, true);
        return true;
    }
    if (ch == ';' || ch == '&' || ch == '|' || ch == '\n' || ch == '(' || ch == ')') {
        sp->i += 1 + ((ch == '&' || ch == '|') && next == ch);
        end_command(sp, ch == ')');
        return true;
    }
    return false;
}

static void step(struct splitter *sp)
{
    char ch = sp->s[sp->i];
    char next = sp->i + 1 < sp->n ? sp->s[sp->i + 1] : '\0';
    if (ch == '\\') {
        if (next != '\n' && next)
            add(sp, next);
        sp->i += 2;
    } else if (ch == ' ' || ch == '\t' || ch == '\r') {
        end_word(sp);
        sp->i++;
    } else if (ch == '#' && !sp->in_word) {
        while (sp->i < sp->n && sp->s[sp->i] != '\n')
            sp->i++;
    } else if (ch == '\'') {
        copy_until(sp, '\'', false);
    } else if (ch == '"') {
        copy_until(sp, '"', true);
    } else if (ch == '`') {
        add(sp, '`');
        copy_until(sp, '`', false);
        add(sp, '`');
    } else if ((ch == '$' || ch == '<' || ch == '>') && next == '(') {
        copy_parens(sp);
    } else if (ch == '<' || ch == '>') {
        skip_redirection(sp);
    } else if (!operator(sp, ch)) {
        add(sp, ch);
        sp->i++;
    }
}

void lint_shell_split(const char *script, struct lint_cmds *out)
{
    memset(out, 0, sizeof(*out));
    size_t n = strlen(script);
    struct splitter sp = {.s = script, .n = n, .out = out, .word = BUF_INIT(n)};
    while (sp.i < sp.n)
        step(&sp);
    end_command(&sp, false);
    buf_release(&sp.word);
}

void lint_shell_release(struct lint_cmds *c)
{
    for (size_t i = 0; i < c->n; i++)
        strv_free(c->v[i].words);
    free(c->v);
    memset(c, 0, sizeof(*c));
}

static bool assignment(const char *w)
{
    size_t n = strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    return n > 0 && w[n] == '=' && !isdigit((unsigned char)w[0]);
}

/* Words that come before the real command: shell keywords and wrappers (with the options of
 * sudo and env that take a value). */
static bool wrapper(const char *w, const char **takes_value)
{
    static const char *const words[] = {"if",    "then", "else", "elif", "do",      "while",
                                        "until", "!",    "{",    "exec", "command", "nohup",
                                        "time",  "nice", "env",  "sudo", "doas"};
    *takes_value = strcmp(w, "sudo") == 0   ? "ugCDprtUhT"
                   : strcmp(w, "env") == 0  ? "uCS"
                   : strcmp(w, "nice") == 0 ? "n"
                                            : "";
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strcmp(w, words[i]) == 0)
            return true;
    return false;
}

const char *lint_shell_command(const struct lint_cmd *cmd, bool *sudo, size_t *first)
{
    const char *opts = "";
    bool in_wrapper = false;
    *sudo = false;
    for (size_t i = 0; i < cmd->nwords; i++) {
        const char *w = cmd->words[i];
        if (assignment(w))
            continue;
        if (in_wrapper && w[0] == '-') {
            if (w[1] && !w[2] && strchr(opts, w[1]))
                i++; /* the option's value */
            continue;
        }
        const char *takes;
        if (wrapper(w, &takes)) {
            *sudo |= strcmp(w, "sudo") == 0 || strcmp(w, "doas") == 0;
            opts = takes;
            in_wrapper = true;
            continue;
        }
        *first = i + 1;
        const char *slash = strrchr(w, '/');
        return slash ? slash + 1 : w;
    }
    return NULL;
}
