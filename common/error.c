#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "util.h"

int kiln_verr(kiln_error_t **err, enum kiln_code code, int errnum, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    if (msg && errnum) {
        char *full = NULL;
        if (asprintf(&full, "%s: %s", msg, strerror(errnum)) >= 0) {
            free(msg);
            msg = full;
        }
    }
    kiln_error_t *e = xcalloc(1, sizeof(*e));
    e->code = code;
    e->errnum = errnum;
    e->msg = msg ? msg : xstrdup("out of memory while formatting an error");
    kiln_error_free(*err); /* a previous, unreported error is replaced */
    *err = e;
    return -1;
}

int kiln_err(kiln_error_t **err, enum kiln_code code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_verr(err, code, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int kiln_err_wrap(kiln_error_t **err, const char *fmt, ...)
{
    if (!err || !*err)
        return -1;
    char *ctx = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&ctx, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -1;
    char *full = NULL;
    if (asprintf(&full, "%s: %s", ctx, (*err)->msg) >= 0) {
        free((*err)->msg);
        (*err)->msg = full;
    }
    free(ctx);
    return -1;
}

void kiln_error_free(kiln_error_t *e)
{
    if (!e)
        return;
    free(e->msg);
    free(e);
}

int kiln_error_exit_status(const kiln_error_t *e)
{
    if (!e)
        return 0;
    switch (e->code) {
    case KILN_EUSAGE:
    case KILN_EINPUT:
    case KILN_ELIMIT:
    case KILN_ECORRUPT:
        return 2;
    default:
        return 1;
    }
}
