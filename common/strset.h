/* A set of strings (open addressing), for deduplicating paths. */
#ifndef KILN_STRSET_H
#define KILN_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
    char **slots;
    size_t cap;
    size_t n;
};

#define STRSET_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Adds a copy of s; returns false when it was already there. */
bool strset_add(struct strset *s, const char *str);
bool strset_has(const struct strset *s, const char *str);
void strset_release(struct strset *s);

#endif
