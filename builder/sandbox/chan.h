/* A tiny message channel between kiln and a forked child (a SOCK_SEQPACKET socketpair): the
 * child reports errors, results and its step's exit status; the parent sends go-aheads.
 * Messages are one packet each, at most CHAN_MAX bytes. */
#ifndef KILN_SANDBOX_CHAN_H
#define KILN_SANDBOX_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"

#define CHAN_MAX     8192
#define CHAN_MAX_FDS 4 /* descriptors one message may carry */

enum chan_kind {
    CHAN_GO = 'G',     /* parent → child: the id map is written, go on */
    CHAN_READY = 'R',  /* child → parent: unshared, waiting for the map */
    CHAN_ERROR = 'E',  /* child → parent: code, errno, message */
    CHAN_RESULT = 'D', /* child → parent: opaque result bytes */
    CHAN_EXIT = 'X',   /* init → parent: how and status of the main process */
    CHAN_STUB = 'S',   /* child → parent: a mount point created in the rootfs */
};

struct chan_msg {
    char kind;
    int32_t a, b; /* ERROR: code, errno. EXIT: how, status */
    size_t len;   /* bytes in data */
    char data[CHAN_MAX];
    int fds[CHAN_MAX_FDS]; /* descriptors that came with it (close-on-exec, owned by the
                              receiver, who must close them) */
    size_t nfds;
};

/* Makes a close-on-exec SOCK_SEQPACKET pair. */
int chan_pair(int fds[2], kiln_error_t **err);
/* Async-signal-safe sends, usable in a forked child. Return 0 or -1. */
int chan_send(int fd, char kind, int32_t a, int32_t b, const void *data, size_t len);
int chan_send_error(int fd, const kiln_error_t *e);
/* A message without data carrying n (at most CHAN_MAX_FDS) descriptors (SCM_RIGHTS). */
int chan_send_fds(int fd, char kind, const int *fds, size_t n);
/* Formats an error in a child without allocating (snprintf into a stack buffer) and sends it.
 * errnum is appended as ": strerror". */
void chan_fail(int fd, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Receives one message; returns 1, 0 on end of stream, -1 on error (errno set). Descriptors
 * it carries land in m->fds. */
int chan_recv(int fd, struct chan_msg *m);
/* Turns an ERROR message into *err. Returns -1. */
int chan_to_error(const struct chan_msg *m, kiln_error_t **err);

#endif
