#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

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

int chan_send_fds(int fd, char kind, const int *fds, size_t n)
{
    struct chan_hdr h;
    memset(&h, 0, sizeof(h));
    h.kind = kind;
    if (n > CHAN_MAX_FDS)
        return errno = EINVAL, -1;
    union {
        char buf[CMSG_SPACE(sizeof(int) * CHAN_MAX_FDS)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct iovec iov = {&h, sizeof(h)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = u.buf,
                        .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
    ssize_t r;
    do {
        r = sendmsg(fd, &mh, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -1 : 0;
}

static void take_fds(struct msghdr *mh, struct chan_msg *m)
{
    m->nfds = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (m->nfds < CHAN_MAX_FDS)
                m->fds[m->nfds++] = fd;
            else
                close(fd);
        }
    }
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
    union {
        char buf[CMSG_SPACE(sizeof(int) * CHAN_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n;
    m->nfds = 0;
    do {
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    take_fds(&mh, m);
    if (n == 0)
        return 0;
    if ((size_t)n < sizeof(h)) {
        for (size_t i = 0; i < m->nfds; i++)
            close(m->fds[i]);
        m->nfds = 0;
        return errno = EPROTO, -1;
    }
    m->kind = h.kind, m->a = h.a, m->b = h.b;
    m->len = (size_t)n - sizeof(h);
    return 1;
}

int chan_to_error(const struct chan_msg *m, kiln_error_t **err)
{
    int code = m->a > 0 && m->a <= KILN_CODE_LAST ? m->a : KILN_ESANDBOX;
    return kiln_err(err, (enum kiln_code)code, m->b, "%.*s", (int)m->len, m->data);
}
