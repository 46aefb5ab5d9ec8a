/* Variable expansion with the rules of BuildKit's shell lexer (frontend/dockerfile/shell).
 *
 * The lookup callback returns the value of a variable or NULL when it is unset. Results are
 * newly allocated; an expansion longer than DF_MAX_EXPANSION is a KILN_ELIMIT error.
 */
#ifndef KILN_FRONTEND_SHELL_H
#define KILN_FRONTEND_SHELL_H

#include <stddef.h>

#include "kiln/error.h"

typedef const char *(*shell_lookup_fn)(void *ctx, const char *name);

/* Expands one word (quotes removed, escapes processed, variables substituted), as BuildKit's
 * ProcessWord: the result is a single string. */
int shell_expand_word(const char *word, char escape, shell_lookup_fn lookup, void *ctx,
                      char **out, kiln_error_t **err);

/* Expands and splits into words, as BuildKit's ProcessWords (used by EXPOSE, and by the shell
 * form split of COPY/ADD sources). *out is a NULL-terminated vector. */
int shell_expand_words(const char *line, char escape, shell_lookup_fn lookup, void *ctx,
                       char ***out, size_t *n, kiln_error_t **err);

#endif
