/* Text from untrusted sources (a step's output, a Dockerfile, names from a base image) made safe
 * to print on a terminal: no byte of it can start an escape sequence. Pure: no I/O.
 *
 * Kept as they are: printable ASCII, tab, newline, and well-formed UTF-8 of printable
 * characters. Shown escaped: carriage return as "\r", every other C0 control and DEL as "\xNN"
 * (ESC is "\x1b": an OSC 52 clipboard write prints as "\x1b]52;c;..."), C1 controls
 * (U+0080..U+009F, which some terminals read as CSI/OSC) and the bidirectional overrides
 * (U+202A..U+202E, U+2066..U+2069, "Trojan Source") as "\uNNNN", and every byte that is not
 * part of well-formed UTF-8 (overlong forms, surrogates, a cut sequence) as "\xNN".
 * A backslash is kept as it is (readability first: the escapes are for a human reader). */
#ifndef KILN_TERMSAFE_H
#define KILN_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>

/* The escaped copy of in[0, n) (NUL bytes included), newly allocated; at most 6 * n + 1
 * bytes. */
char *termsafe_escape(const char *in, size_t n);

/* The length of s[0, n) without the UTF-8 sequence its end cuts short, if any: where to cut a
 * line (or a prefix of max bytes: termsafe_complete(s, max)) without splitting a character. */
size_t termsafe_complete(const char *s, size_t n);

/* Whether s[0, n) would print unchanged (nothing to escape). */
bool termsafe_is_clean(const char *s, size_t n);

#endif
