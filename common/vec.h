/* Amortised growth for arrays built from input: strv_push() (util.h) reallocates on every
 * push, which is quadratic for an input with very many items (found by fuzzing the frontend:
 * EXPOSE 1-65535). */
#ifndef KILN_VEC_H
#define KILN_VEC_H

#include <stddef.h>

#include "util.h"

/* Makes room for element n of the array *pp, which must only ever have grown through this
 * function, one element at a time: its capacity is then the smallest power of two above n. */
static inline void vec_reserve(void *pp, size_t n, size_t elem)
{
    if (n != 0 && (n & (n - 1)) != 0)
        return;
    void **p = pp;
    *p = xrealloc(*p, (n ? 2 * n : 1) * elem);
}

/* strv_push() for NULL-terminated vectors that only grow through strv_add() (or start as
 * NULL or a one-slot empty vector). Takes ownership of s. */
static inline void strv_add(char ***v, size_t *n, char *s)
{
    vec_reserve(v, *n + 1, sizeof(char *));
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

#endif
