/* kiln — small types that several parts of the public API share. */
#ifndef KILN_KILN_TYPES_H
#define KILN_KILN_TYPES_H

#define KILN_DIGEST_MAX 72 /* "sha256:" + 64 hex digits + NUL, rounded up */

struct kiln_kv {
    char *key;
    char *value; /* NULL: "K" alone (e.g. a build arg taken from the environment when set) */
};

#endif
