/* Small helpers shared by every module: allocation that never returns NULL, strict number
 * parsing, string vectors. Pure: no I/O. */
#ifndef KILN_UTIL_H
#define KILN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

/* Allocation failure is not an input error (every input is bounded), so these abort with a
 * message instead of returning NULL, like git's xmalloc. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows *p (an array of elem-size items with capacity *cap) to hold at least need items. */
void xgrow(void *pp, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict decimal parsing: the whole string, no sign, no spaces, no overflow, value <= max. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Same for a signed value in [min, max]. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Octal file mode (e.g. "0755" or "755"), at most 07777. */
int parse_mode(const char *s, unsigned *out);
/* Sizes with an optional unit suffix: b, k/kb/kib, m/mb/mib, g/gb/gib (powers of 1024). */
int parse_size(const char *s, uint64_t *out);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
void str_lower(char *s);

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
void strv_push(char ***v, size_t *n, char *s); /* takes ownership of s */
void strv_free(char **v);
/* The n strings of v joined with sep between them, allocated to its exact length (so nothing is
 * bounded or cut: the parts are bounded where they come from). */
char *strv_join(char *const *v, size_t n, const char *sep);

/* Lexical path cleaning as Go's path.Clean on a '/'-separated path (no I/O). */
char *path_clean(const char *p);
/* Joins a and b with one '/', then cleans. */
char *path_join(const char *a, const char *b);

#include "banned.h"

#endif
