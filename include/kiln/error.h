/* kiln — the one error type that crosses every module.
 *
 * A function that can fail takes `kiln_error_t **err` as its last argument, returns 0 (or a
 * pointer) on success and -1 (or NULL) on failure, and on failure stores a newly allocated error
 * in *err. It leaves *err alone on success. Callers add context on the way up with
 * kiln_err_wrap(); only the CLI prints an error and exits.
 *
 * Codes are stable: never renumber, only append.
 */
#ifndef KILN_ERROR_H
#define KILN_ERROR_H

#include <stdarg.h>

enum kiln_code {
    KILN_OK = 0,
    KILN_EINTERNAL = 1,    /* a bug: an invariant did not hold */
    KILN_EUSAGE = 2,       /* bad command line */
    KILN_EINPUT = 3,       /* bad input: Dockerfile, context file, layout, flag value */
    KILN_EIO = 4,          /* an operating-system call failed on kiln's own state or output */
    KILN_ELIMIT = 5,       /* an input is over one of kiln's size limits */
    KILN_EBUILD = 6,       /* a build step failed (RUN exit code, missing stage at run time) */
    KILN_EPOLICY = 7,      /* a policy check failed (root final user, lint error in --strict) */
    KILN_EUNSUPPORTED = 8, /* a valid feature kiln does not implement yet */
    KILN_ECORRUPT = 9,     /* stored or imported content does not match its digest or format */
    KILN_ESANDBOX = 10,    /* the sandbox could not be set up */
    KILN_ENETWORK = 11,    /* a registry or network operation failed */
    KILN_ELEAK = 12,       /* a secret was found in the output */
    KILN_ECANCELLED = 13,  /* stopped because another part of the build failed */
    KILN_ESNAPSHOT = 14,   /* the overlay snapshotter cannot mount a step's rootfs here */
};
#define KILN_CODE_LAST KILN_ESNAPSHOT /* the highest code: moves with every code appended */

struct kiln_error {
    enum kiln_code code;
    int errnum; /* errno captured when the error was raised, or 0 */
    char *msg;  /* full message, context first: "Dockerfile:3: COPY: open 'a': No such file" */
};
typedef struct kiln_error kiln_error_t;

/* Raise: formats the message, appends ": strerror(errnum)" when errnum != 0, stores it in *err
 * (err may be NULL: the error is dropped). Always returns -1. */
int kiln_err(kiln_error_t **err, enum kiln_code code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int kiln_verr(kiln_error_t **err, enum kiln_code code, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Raise from errno: kiln_err(err, code, errno, ...) with errno read before anything else. */
#define kiln_err_errno(err, code, ...) kiln_err((err), (code), errno, __VA_ARGS__)

/* Wrap: prefixes "<context>: " to the message of *err (which must be set). Returns -1. */
int kiln_err_wrap(kiln_error_t **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void kiln_error_free(kiln_error_t *e);

/* The process exit status for an error: 2 for bad usage or bad input, 1 otherwise. */
int kiln_error_exit_status(const kiln_error_t *e);

#endif
