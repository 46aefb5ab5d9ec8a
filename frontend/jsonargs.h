/* The exec (JSON) form of an instruction: a JSON array of strings. */
#ifndef KILN_FRONTEND_JSONARGS_H
#define KILN_FRONTEND_JSONARGS_H

#include <stddef.h>

/* Parses s as a JSON array of strings. Returns 0 and a NULL-terminated vector of n strings, or
 * -1 when s is not such an array (the caller falls back to the shell form, as BuildKit does). */
int jsonargs_parse(const char *s, char ***out, size_t *n);

#endif
