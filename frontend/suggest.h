/* "(did you mean X?)" suggestions, as BuildKit's util/suggest: the closest option by
 * Levenshtein distance over runes, if closer than 3 edits and not an exact match. Internal. */
#ifndef KILN_FRONTEND_SUGGEST_H
#define KILN_FRONTEND_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

/* The suggestion for val among options (searched in order; ties keep the first), or NULL.
 * Without case_sensitive the comparison is on lowercased strings and the answer follows the
 * case of val (all lower, all upper, or as the option). Newly allocated. */
char *suggest_search(const char *val, const char *const *options, size_t n, bool case_sensitive);

/* Appends " (did you mean X?)" to msg when there is a suggestion. Newly allocated. */
char *suggest_wrap(const char *msg, const char *val, const char *const *options, size_t n,
                   bool case_sensitive);

#endif
