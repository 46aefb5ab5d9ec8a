/* The exec (JSON) form of an instruction: a JSON array of strings, decoded as Go's
 * encoding/json decodes into []any (BuildKit's parseJSON): invalid UTF-8 and lone surrogates
 * become U+FFFD, "\u0000" gives a NUL byte (hence struct df_bytes), nesting deeper than
 * JSONARGS_MAX_DEPTH is a syntax error. */
#ifndef KILN_FRONTEND_JSONARGS_H
#define KILN_FRONTEND_JSONARGS_H

#include <stddef.h>

#include "ast.h"

#define JSONARGS_MAX_DEPTH 10000

enum jsonargs_result {
    JSONARGS_OK = 0,
    JSONARGS_NOT_JSON = -1,    /* not valid JSON: the caller falls back to the shell form */
    JSONARGS_NOT_STRINGS = -2, /* valid JSON, but an element is not a string: an error */
};

/* Parses s[0..n), which starts with '['. On JSONARGS_OK, *out is an array of *count strings
 * (free each .s, then the array; *out may be NULL when the array is empty). */
enum jsonargs_result jsonargs_parse(const char *s, size_t n, struct df_bytes **out, size_t *count);

#endif
