/* UTF-8 and Unicode helpers with the exact semantics of Go's unicode/utf8, unicode and strconv
 * packages, so that text BuildKit rewrites (invalid bytes, lowercasing, quoting) comes out the
 * same byte for byte. Pure functions, no locale.
 *
 * Tables come from frontend/unicode_tables.inc (generated, see gen-unicode-tables.py).
 */
#ifndef KILN_FRONTEND_UNICODE_H
#define KILN_FRONTEND_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kiln/error.h"

#define UNICODE_ERROR 0xFFFDu /* utf8.RuneError */

/* Decodes the rune at s (n > 0 bytes available). An invalid, overlong, surrogate or truncated
 * sequence decodes as UNICODE_ERROR with *width 1 (utf8.DecodeRune). */
uint32_t unicode_decode(const char *s, size_t n, size_t *width);
/* Encodes r (an invalid rune becomes U+FFFD) into out, returns the byte count (1..4). */
size_t unicode_encode(uint32_t r, char out[4]);
/* Appends the UTF-8 encoding of r (strings.Builder.WriteRune). */
int unicode_buf_add(struct buf *b, uint32_t r, kiln_error_t **err);

bool unicode_is_space(uint32_t r);  /* unicode.IsSpace */
bool unicode_is_letter(uint32_t r); /* unicode.IsLetter */
bool unicode_is_digit(uint32_t r);  /* unicode.IsDigit */
bool unicode_is_print(uint32_t r);  /* unicode.IsPrint / strconv.IsPrint */
uint32_t unicode_to_lower(uint32_t r);
uint32_t unicode_to_upper_ascii(uint32_t r);

/* Length of the Unicode whitespace rune at s, or 0 (for bytes.TrimLeftFunc(unicode.IsSpace)). */
size_t unicode_space_len(const char *s, size_t n);
/* strings.TrimSpace: *start and *len are narrowed to the trimmed span of s[0..n). */
void unicode_trim_space(const char *s, size_t n, size_t *start, size_t *len);

/* strings.ToLower: a newly allocated string; invalid bytes become U+FFFD as in Go. */
char *unicode_lower(const char *s);
/* strconv.Quote of s[0..n): appends a double-quoted Go string literal to b. */
BUF_MUST_USE int unicode_quote(struct buf *b, const char *s, size_t n, kiln_error_t **err);
/* The same as a new string, for a message: sized for the worst case (4 bytes per byte). */
char *unicode_quoted(const char *s, size_t n);

#endif
