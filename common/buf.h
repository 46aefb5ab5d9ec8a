/* A growable, NUL-terminated byte buffer with a hard size limit (after git's strbuf).
 *
 * Invariants: data is NULL until the first append, then always NUL-terminated; len never
 * exceeds limit. An append that would exceed limit fails with KILN_ELIMIT and leaves the
 * buffer unchanged. Release with buf_release(); buf_detach() hands the string to the caller.
 */
#ifndef KILN_BUF_H
#define KILN_BUF_H

#include <stddef.h>

#include "kiln/error.h"

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
};

#define BUF_INIT(lim)                                                                              \
    {                                                                                              \
        NULL, 0, 0, (lim)                                                                          \
    }

/* Appends fail past the limit (KILN_ELIMIT): the compiler makes every caller look. */
#define BUF_MUST_USE __attribute__((warn_unused_result))
BUF_MUST_USE int buf_add(struct buf *b, const void *p, size_t n, kiln_error_t **err);
BUF_MUST_USE int buf_addstr(struct buf *b, const char *s, kiln_error_t **err);
BUF_MUST_USE int buf_addch(struct buf *b, char c, kiln_error_t **err);
BUF_MUST_USE int buf_addf(struct buf *b, kiln_error_t **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
/* Returns the owned string ("" when empty) and resets the buffer. */
char *buf_detach(struct buf *b);
/* The contents as a C string, "" when empty. */
const char *buf_str(const struct buf *b);

static inline void cleanup_bufp(struct buf *b)
{
    buf_release(b);
}
#define cleanup_buf __attribute__((cleanup(cleanup_bufp)))

#endif
