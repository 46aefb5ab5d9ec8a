/* The filtering agent proxy behind a step's ssh socket (ssh.h): one thread per socket, a poll
 * loop over the listening socket and its clients; each complete request is checked, passed to
 * the agent and its answer relayed, or answered with SSH_AGENT_FAILURE. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ssh.h"
#include "util.h"

#define UPSTREAM_TIMEOUT_MS 30000

struct client {
    int fd, up; /* the step's connection, and ours to the agent (-1 until needed) */
    unsigned char *buf;
    size_t len;
};

struct ssh_proxy {
    int dirfd;
    char *name, *upstream;
    int listen_fd;
    int stop[2];
    pthread_t thread;
    struct client clients[SSH_MAX_CLIENTS];
    size_t nclients;
};

bool ssh_request_allowed(unsigned char type)
{
    return type == SSH2_AGENTC_REQUEST_IDENTITIES || type == SSH2_AGENTC_SIGN_REQUEST;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int unix_addr(const char *path, int *dirfd, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    *dirfd = -1;
    if (strlen(path) < sizeof(sa->sun_path)) {
        memcpy(sa->sun_path, path, strlen(path) + 1);
        return 0;
    }
    const char *slash = strrchr(path, '/');
    cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    *dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0)
        return -1;
    int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd,
                     slash ? slash + 1 : path);
    if (n < 0 || (size_t)n >= sizeof(sa->sun_path)) {
        close(*dirfd);
        return errno = ENAMETOOLONG, -1;
    }
    return 0;
}

int ssh_unix_connect(const char *path)
{
    struct sockaddr_un sa;
    int dirfd;
    if (unix_addr(path, &dirfd, &sa) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    int saved = errno;
    if (dirfd >= 0)
        close(dirfd);
    if (rc < 0 && fd >= 0)
        close(fd), fd = -1;
    errno = saved;
    return fd;
}

static int write_full(int fd, const void *p, size_t n)
{
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w, n -= (size_t)w;
    }
    return 0;
}

/* Reads exactly n bytes, giving up after the timeout. */
static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        struct pollfd pf = {fd, POLLIN, 0};
        int pr = poll(&pf, 1, UPSTREAM_TIMEOUT_MS);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r, n -= (size_t)r;
    }
    return 0;
}

static void client_close(struct ssh_proxy *p, size_t i)
{
    struct client *c = &p->clients[i];
    close(c->fd);
    if (c->up >= 0)
        close(c->up);
    free(c->buf);
    p->clients[i] = p->clients[--p->nclients];
}

/* The agent's answer to one allowed request; -1 when the agent is gone. */
static int relay(struct ssh_proxy *p, struct client *c, size_t frame)
{
    if (c->up < 0 && (c->up = ssh_unix_connect(p->upstream)) < 0)
        return -1;
    unsigned char hdr[4];
    if (write_full(c->up, c->buf, frame) < 0 || read_full(c->up, hdr, 4) < 0)
        return -1;
    uint32_t n = be32(hdr);
    if (n == 0 || n > SSH_AGENT_MAX_MSG)
        return -1;
    cleanup_free unsigned char *ans = xmalloc(4 + (size_t)n);
    memcpy(ans, hdr, 4);
    if (read_full(c->up, ans + 4, n) < 0)
        return -1;
    return write_full(c->fd, ans, 4 + (size_t)n);
}

/* Every complete request in the client's buffer; -1 closes the client. */
static int serve(struct ssh_proxy *p, struct client *c)
{
    static const unsigned char failure[5] = {0, 0, 0, 1, SSH_AGENT_FAILURE};
    while (c->len >= 4) {
        uint32_t n = be32(c->buf);
        if (n == 0 || n > SSH_AGENT_MAX_MSG)
            return -1;
        size_t frame = 4 + (size_t)n;
        if (c->len < frame)
            return 0;
        if (ssh_request_allowed(c->buf[4]) ? relay(p, c, frame) < 0
                                           : write_full(c->fd, failure, sizeof(failure)) < 0)
            return -1;
        memmove(c->buf, c->buf + frame, c->len - frame);
        c->len -= frame;
    }
    return 0;
}

static int client_read(struct ssh_proxy *p, struct client *c)
{
    size_t room = 4 + SSH_AGENT_MAX_MSG - c->len;
    ssize_t r = read(c->fd, c->buf + c->len, room);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return -1;
    c->len += (size_t)r;
    return serve(p, c);
}

static void accept_client(struct ssh_proxy *p)
{
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (p->nclients >= SSH_MAX_CLIENTS) {
        close(fd);
        return;
    }
    p->clients[p->nclients++] = (struct client){fd, -1, xmalloc(4 + SSH_AGENT_MAX_MSG), 0};
}

static void *proxy_main(void *arg)
{
    struct ssh_proxy *p = arg;
    for (;;) {
        struct pollfd pf[SSH_MAX_CLIENTS + 2] = {{p->stop[0], POLLIN, 0},
                                                 {p->listen_fd, POLLIN, 0}};
        for (size_t i = 0; i < p->nclients; i++)
            pf[i + 2] = (struct pollfd){p->clients[i].fd, POLLIN, 0};
        if (poll(pf, p->nclients + 2, -1) < 0 && errno != EINTR)
            break;
        if (pf[0].revents)
            break;
        for (size_t i = p->nclients; i-- > 0;)
            if (pf[i + 2].revents && client_read(p, &p->clients[i]) < 0)
                client_close(p, i);
        if (pf[1].revents)
            accept_client(p);
    }
    while (p->nclients)
        client_close(p, 0);
    return NULL;
}

static int listen_at(int dirfd, const char *name, kiln_error_t **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd, name);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        errno = saved;
        return kiln_err_errno(err, KILN_EIO, "ssh: listen on the step's agent socket");
    }
    return fd;
}

int ssh_proxy_start(int dirfd, const char *name, const char *upstream, struct ssh_proxy **out,
                    kiln_error_t **err)
{
    struct ssh_proxy *p = xcalloc(1, sizeof(*p));
    p->dirfd = dirfd;
    p->name = xstrdup(name);
    p->upstream = xstrdup(upstream);
    p->stop[0] = p->stop[1] = -1;
    p->listen_fd = listen_at(dirfd, name, err);
    int rc = p->listen_fd < 0 ? -1 : 0;
    if (rc == 0 && pipe2(p->stop, O_CLOEXEC) < 0)
        rc = kiln_err_errno(err, KILN_EIO, "pipe");
    if (rc == 0 && (errno = pthread_create(&p->thread, NULL, proxy_main, p)) != 0)
        rc = kiln_err_errno(err, KILN_EIO, "ssh: start the agent proxy");
    if (rc < 0) {
        if (p->listen_fd >= 0)
            close(p->listen_fd), unlinkat(dirfd, name, 0);
        if (p->stop[0] >= 0)
            close(p->stop[0]), close(p->stop[1]);
        free(p->name), free(p->upstream), free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void ssh_proxy_stop(struct ssh_proxy *p)
{
    if (!p)
        return;
    char c = 1;
    while (write(p->stop[1], &c, 1) < 0 && errno == EINTR)
        ;
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
    close(p->stop[0]), close(p->stop[1]);
    unlinkat(p->dirfd, p->name, 0);
    free(p->name), free(p->upstream), free(p);
}
