/* .dockerignore: which context paths a build may read (moby/patternmatcher semantics).
 *
 * Patterns are cleaned paths relative to the context root; "!" re-includes, "**" matches any
 * number of directories, the last matching pattern wins. Pure: no I/O.
 */
#ifndef KILN_FRONTEND_DOCKERIGNORE_H
#define KILN_FRONTEND_DOCKERIGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

#define DOCKERIGNORE_MAX_SIZE     (1u * 1024 * 1024)
#define DOCKERIGNORE_MAX_PATTERNS 10000u

struct dockerignore;

/* Parses the file contents. name is used in error messages (".dockerignore"). */
int dockerignore_parse(const char *name, const char *data, size_t len, struct dockerignore **out,
                       kiln_error_t **err);
void dockerignore_free(struct dockerignore *d);
/* True when the context-relative path (no leading '/') is excluded. NULL d excludes nothing. */
bool dockerignore_excluded(const struct dockerignore *d, const char *path);
/* True when some exception ("!" pattern) could re-include a path below the directory path, so
 * a walk must descend into an excluded directory. */
bool dockerignore_may_include_below(const struct dockerignore *d, const char *dir);
/* The 1-based line of the pattern that decided path's exclusion, or 0 (for lint messages). */
int dockerignore_match_line(const struct dockerignore *d, const char *path);

#endif
