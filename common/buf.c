#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static int buf_reserve(struct buf *b, size_t extra, kiln_error_t **err)
{
    if (extra > b->limit || b->len > b->limit - extra)
        return kiln_err(err, KILN_ELIMIT, 0, "exceeds the limit of %zu bytes", b->limit);
    xgrow(&b->data, &b->cap, b->len + extra + 1, 1);
    return 0;
}

int buf_add(struct buf *b, const void *p, size_t n, kiln_error_t **err)
{
    if (buf_reserve(b, n, err) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_addstr(struct buf *b, const char *s, kiln_error_t **err)
{
    return buf_add(b, s, strlen(s), err);
}

int buf_addch(struct buf *b, char c, kiln_error_t **err)
{
    return buf_add(b, &c, 1, err);
}

int buf_addf(struct buf *b, kiln_error_t **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return kiln_err(err, KILN_EINTERNAL, 0, "bad format string");
    if (buf_reserve(b, (size_t)n, err) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *buf_detach(struct buf *b)
{
    char *s = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}
