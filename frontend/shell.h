/* Variable expansion with the rules of BuildKit's shell lexer (frontend/dockerfile/shell):
 * quotes ('...' literal, "..." with $ and escapes), the escape character of the Dockerfile,
 * $v, ${v}, ${v:-w} ${v-w} ${v:+w} ${v+w} ${v:?msg} ${v?msg}, ${v#p} ${v##p} ${v%p} ${v%%p},
 * ${v/p/r} ${v//p/r}; positional ($1) and special ($@ $* $# $? $- $$ $! $0) parameters are
 * names that are never set. Invalid UTF-8 comes out as U+FFFD, as in Go.
 *
 * The lookup callback returns the value of a variable or NULL when it is unset; the returned
 * string must stay valid until the next lookup. Results are newly allocated (free(), or
 * strv_free() for vectors). An expanded word longer than DF_MAX_EXPANSION is a KILN_ELIMIT
 * error, as is nesting substitutions deeper than SHELL_MAX_DEPTH. Syntax errors are
 * KILN_EINPUT with BuildKit's words: failed to process "<word>": <what>.
 */
#ifndef KILN_FRONTEND_SHELL_H
#define KILN_FRONTEND_SHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

#define SHELL_MAX_DEPTH 256

typedef const char *(*shell_lookup_fn)(void *ctx, const char *name);

/* The knobs of BuildKit's shell.Lex. The zero value (with escape set) is the default. */
struct shell_opts {
    char escape;      /* '\\' or '`' */
    bool raw_quotes;  /* keep quote characters in the result (RawQuotes) */
    bool raw_escapes; /* keep escape characters in the result (RawEscapes) */
    bool skip_unset;  /* leave references to unset variables as written (SkipUnsetEnv) */
    bool skip_quotes; /* quotes are ordinary characters (SkipProcessQuotes) */
};

/* ProcessWord: the whole input as one string. */
int shell_process_word(const struct shell_opts *o, const char *word, shell_lookup_fn lookup,
                       void *ctx, char **out, kiln_error_t **err);
/* ProcessWords: expanded, then split at unquoted whitespace. *out is NULL-terminated. */
int shell_process_words(const struct shell_opts *o, const char *word, shell_lookup_fn lookup,
                        void *ctx, char ***out, size_t *n, kiln_error_t **err);

/* Expands one word (quotes removed, escapes processed, variables substituted), as BuildKit's
 * ProcessWord with the default options. */
int shell_expand_word(const char *word, char escape, shell_lookup_fn lookup, void *ctx, char **out,
                      kiln_error_t **err);

/* Expands and splits into words, as BuildKit's ProcessWords (used by EXPOSE). *out is a
 * NULL-terminated vector. */
int shell_expand_words(const char *line, char escape, shell_lookup_fn lookup, void *ctx,
                       char ***out, size_t *n, kiln_error_t **err);

/* Expands the body of a heredoc whose delimiter was not quoted, as BuildKit does for
 * COPY/ADD <<EOF sources: quotes are ordinary characters and the escape character is always
 * '\' whatever the Dockerfile's escape directive says. */
int shell_expand_heredoc(const char *body, shell_lookup_fn lookup, void *ctx, char **out,
                         kiln_error_t **err);

#endif
