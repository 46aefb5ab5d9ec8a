/* A small regular-expression engine for the patterns kiln generates from shell patterns
 * (${v#p}, ${v/p/r}) and .dockerignore patterns, with the semantics of Go's regexp package
 * (RE2 syntax, leftmost-first matching, runes not bytes, invalid UTF-8 read as U+FFFD).
 *
 * Supported syntax: literals; "\" + punctuation; \a \f \t \n \r \v; \d \D \s \S \w \W;
 * "." (any rune but '\n'); bracket classes with ranges, negation, escapes and [:name:]
 * classes; groups "(...)" (not capturing) and "|"; the quantifiers * + ? and their lazy
 * forms *? +? ??; "^" and "$" as text anchors. Anything else is a syntax error (Go would
 * accept a few more forms, e.g. \pL or \Q..\E, that the generators never produce).
 *
 * Matching is a Pike VM: time O(program x text), memory O(program). Every search takes a
 * step budget so that hostile input cannot make it run for long.
 */
#ifndef KILN_FRONTEND_REGEX_H
#define KILN_FRONTEND_REGEX_H

#include <stddef.h>
#include <stdint.h>

#define REGEX_MAX_PATTERN (256u * 1024) /* bytes of one pattern */
#define REGEX_STEP_BUDGET (64ull * 1024 * 1024)

struct regex;

/* Compiles pattern. On a syntax error returns -1 and sets *why to a static description. */
int regex_compile(const char *pattern, size_t len, struct regex **out, const char **why);
void regex_free(struct regex *re);

/* Finds the leftmost-first match that starts at or after byte offset from (as Go's
 * FindStringIndex on text, searching from from; "^" still means offset 0). Returns 1 with
 * [*ms, *me) set, 0 when there is none, -1 when *budget (decremented per step) ran out. */
int regex_find(const struct regex *re, const char *text, size_t n, size_t from, size_t *ms,
               size_t *me, uint64_t *budget);

#endif
