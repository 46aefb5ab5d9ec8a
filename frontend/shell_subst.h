/* Pattern substitutions of BuildKit's shell lexer: ${v#p} ${v##p} ${v%p} ${v%%p} ${v/p/r}
 * ${v//p/r}. Patterns use * and ? (no brackets); the matching follows Go's regexp on the
 * regular expression BuildKit builds from the pattern. Internal to frontend/shell.c. */
#ifndef KILN_FRONTEND_SHELL_SUBST_H
#define KILN_FRONTEND_SHELL_SUBST_H

#include <stdbool.h>

#include "kiln/error.h"

/* Removes the shortest (or longest when greedy) prefix (or suffix) of value matching
 * pattern. *out is newly allocated. Errors: KILN_EINPUT "invalid pattern (...) in
 * substitution: ...", KILN_ELIMIT when matching is too expensive. */
int shell_subst_trim(const char *pattern, const char *value, bool suffix, bool greedy, char **out,
                     kiln_error_t **err);
/* Replaces the first (or every) match of pattern in value with repl (for every match, "$0"
 * and "${0}" in repl stand for the match and "$$" for "$", as Go's Regexp.ReplaceAllString). */
int shell_subst_replace(const char *pattern, const char *repl, const char *value, bool all,
                        char **out, kiln_error_t **err);

#endif
