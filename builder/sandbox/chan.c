#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "chan.h"
#include "util.h"

struct chan_hdr {
    char kind;
    int32_t a, b;
};

int chan_pair(int fds[2], kiln_error_t **err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "socketpair");
    return 0;
}

int chan_send(int fd, char kind, int32_t a, int32_t b, const void *data, size_t len)
{
    struct chan_hdr h;
    memset(&h, 0, sizeof(h));
    h.kind = kind, h.a = a, h.b = b;
    if (len > CHAN_MAX)
        len = CHAN_MAX;
    struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    ssize_t n;
    do {
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int chan_send_error(int fd, const kiln_error_t *e)
{
    const char *msg = e && e->msg ? e->msg : "unknown error";
    return chan_send(fd, CHAN_ERROR, e ? (int32_t)e->code : KILN_EINTERNAL, 0, msg, strlen(msg));
}

void chan_fail(int fd, int code, int errnum, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    /* errno travels separately: the parent appends strerror, like kiln_err */
    chan_send(fd, CHAN_ERROR, code, errnum, buf, (size_t)n);
}

int chan_recv(int fd, struct chan_msg *m)
{
    struct chan_hdr h;
    struct iovec iov[2] = {{&h, sizeof(h)}, {m->data, CHAN_MAX}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t n;
    do {
        n = recvmsg(fd, &mh, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if (n == 0)
        return 0;
    if ((size_t)n < sizeof(h))
        return errno = EPROTO, -1;
    m->kind = h.kind, m->a = h.a, m->b = h.b;
    m->len = (size_t)n - sizeof(h);
    return 1;
}

int chan_to_error(const struct chan_msg *m, kiln_error_t **err)
{
    int code = m->a > 0 && m->a <= KILN_ELEAK ? m->a : KILN_ESANDBOX;
    return kiln_err(err, (enum kiln_code)code, m->b, "%.*s", (int)m->len, m->data);
}
