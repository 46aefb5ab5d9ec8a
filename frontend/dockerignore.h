/* .dockerignore: which context paths a build may read, with the semantics of
 * moby/patternmatcher (BuildKit's and docker's matcher) and its ignorefile reader.
 *
 * File: a UTF-8 byte-order mark is dropped; lines starting with '#' are comments; each other
 * line is trimmed, a leading '!' makes an exception (re-include), the pattern is cleaned like
 * Go's filepath.Clean and a leading '/' is dropped ("/a" and "a" are the same).
 * Patterns: '*' any run of non-'/' characters, '?' one non-'/' character, "[...]" a class,
 * '\' escapes, a double star any number of directories (alone, at the end after "a/",
 * at the start before "/b", or in the middle). A path is excluded when the last pattern that
 * matches it (or one of its parent directories) is not an exception: the last match wins.
 *
 * Which file: a Dockerfile-specific "<path-to-Dockerfile>.dockerignore" beats the context's
 * ".dockerignore" (only one is read). The builder reads the file; the Dockerfile and the
 * ignore file themselves stay readable by the build even when a pattern matches them (the
 * docker CLI adds those exceptions; dockerignore_excluded() does not).
 *
 * Pure: no I/O.
 */
#ifndef KILN_FRONTEND_DOCKERIGNORE_H
#define KILN_FRONTEND_DOCKERIGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

#define DOCKERIGNORE_MAX_SIZE     (1u * 1024 * 1024)
#define DOCKERIGNORE_MAX_PATTERNS 10000u
#define DOCKERIGNORE_MAX_LINE     (64u * 1024)                 /* bufio.Scanner's token limit */
#define DOCKERIGNORE_MAX_REGEX    (16 * DOCKERIGNORE_MAX_LINE) /* a pattern as a regex */
#define DOCKERIGNORE_DEFAULT      ".dockerignore"

struct dockerignore;

/* Parses the file contents. name is used in error messages (".dockerignore"): KILN_ELIMIT over
 * a limit, KILN_EINPUT "NAME:LINE: syntax error in pattern" or "illegal exclusion pattern:
 * \"!\"". */
int dockerignore_parse(const char *name, const char *data, size_t len, struct dockerignore **out,
                       kiln_error_t **err);
void dockerignore_free(struct dockerignore *d);
/* True when the context-relative path (no leading '/'; cleaned here) is excluded. NULL d
 * excludes nothing, nor is the context root "." ever excluded. */
bool dockerignore_excluded(const struct dockerignore *d, const char *path);
/* True when some exception ("!" pattern) could re-include a path below the directory path, so
 * a walk must descend into an excluded directory (conservative: may say true needlessly). */
bool dockerignore_may_include_below(const struct dockerignore *d, const char *dir);
/* The 1-based line of the pattern that decided path's exclusion, or 0 (for lint messages). */
int dockerignore_match_line(const struct dockerignore *d, const char *path);
/* The number of patterns (comments and blank lines not counted). */
size_t dockerignore_count(const struct dockerignore *d);
/* Pattern i (0 <= i < dockerignore_count), cleaned and without its '!'; *exception tells an
 * exception apart and *line is its 1-based line. Borrowed from d. For the linter, which needs
 * to know (as BuildKit's CopyIgnoredFile check) whether there are exceptions and which
 * patterns exclude the whole context root. */
const char *dockerignore_pattern(const struct dockerignore *d, size_t i, bool *exception,
                                 int *line);

/* The Dockerfile-specific ignore file for a Dockerfile at dockerfile_path (as given with -f):
 * dockerfile_path + ".dockerignore", newly allocated; NULL when the Dockerfile comes from
 * standard input ("-" or NULL). */
char *dockerignore_specific_path(const char *dockerfile_path);

#endif
