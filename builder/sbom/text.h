/* Text from the image is untrusted: it may be huge, invalid UTF-8 or full of control
 * characters, and it ends up in JSON documents (jansson refuses invalid UTF-8). */
#ifndef KILN_SBOM_TEXT_H
#define KILN_SBOM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define TEXT_MAX_FIELD 4096 /* longest single value kept from a package database */

/* A cleaned copy of s[0..n): surrounding white space trimmed, invalid UTF-8 bytes and control
 * characters replaced (by '?' and ' '), cut at TEXT_MAX_FIELD bytes on a character boundary.
 * NULL when s is NULL or nothing is left. Newly allocated. */
char *text_clean(const char *s, size_t n);
/* Same for a NUL-terminated string. */
char *text_clean_str(const char *s);
/* True when s[0..n) is valid UTF-8 without control characters. */
bool text_is_clean(const char *s, size_t n);
/* Case-insensitive ASCII comparison of s[0..n) with the NUL-terminated word. */
bool text_eq_ci(const char *s, size_t n, const char *word);

#endif
