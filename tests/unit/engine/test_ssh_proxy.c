/* The step's agent proxy (builder/engine/ssh_proxy.c): only list and sign requests reach the
 * agent; every other request is answered with SSH_AGENT_FAILURE without reaching it; an
 * oversized frame closes the connection. A fake agent records the request types it sees. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/ssh.h"
#include "fsutil.h"
#include "util.h"

static char dir[64];
static int dirfd_;
static int agent_fd;
static unsigned char seen[64];
static size_t nseen;

/* The fake agent: answers each request with one byte, its type + 100. */
static void *fake_agent(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(agent_fd, NULL, NULL);
        if (c < 0)
            return NULL;
        unsigned char hdr[4], body[512];
        while (read(c, hdr, 4) == 4) {
            uint32_t n = (uint32_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
            if (n == 0 || n > sizeof(body) || read(c, body, n) != (ssize_t)n)
                break;
            if (nseen < sizeof(seen))
                seen[nseen++] = body[0];
            unsigned char ans[5] = {0, 0, 0, 1, (unsigned char)(body[0] + 100)};
            if (write(c, ans, 5) != 5)
                break;
        }
        close(c);
    }
}

static pthread_t agent_thread;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kiln-sshproxy-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/agent", dir);
    agent_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_eq(bind(agent_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(agent_fd, 4), 0);
    nseen = 0;
    pthread_create(&agent_thread, NULL, fake_agent, NULL);
}

static void teardown(void)
{
    shutdown(agent_fd, SHUT_RDWR);
    close(agent_fd);
    pthread_join(agent_thread, NULL);
    close(dirfd_);
    rm_rf_at(AT_FDCWD, dir, NULL);
}

TestSuite(ssh_proxy, .init = setup, .fini = teardown);

/* Sends one request of type t with a body of n bytes; returns the answer's type, or -1. */
static int ask(int fd, unsigned char t, size_t n)
{
    unsigned char req[600] = {0};
    req[0] = (unsigned char)((n + 1) >> 24), req[1] = (unsigned char)((n + 1) >> 16);
    req[2] = (unsigned char)((n + 1) >> 8), req[3] = (unsigned char)(n + 1);
    req[4] = t;
    if (write(fd, req, 5 + (n < 500 ? n : 0)) < 0)
        return -1;
    unsigned char ans[5];
    return read(fd, ans, 5) == 5 ? ans[4] : -1;
}

Test(ssh_proxy, only_list_and_sign_reach_the_agent)
{
    char up[128];
    snprintf(up, sizeof(up), "%s/agent", dir);
    struct ssh_proxy *p = NULL;
    cr_assert_eq(ssh_proxy_start(dirfd_, "step", up, &p, NULL), 0);
    char path[128];
    snprintf(path, sizeof(path), "%s/step", dir);
    int fd = ssh_unix_connect(path);
    cr_assert_geq(fd, 0);
    cr_expect_eq(ask(fd, SSH2_AGENTC_REQUEST_IDENTITIES, 0), 111);
    cr_expect_eq(ask(fd, SSH2_AGENTC_SIGN_REQUEST, 40), 113);
    static const unsigned char refused[] = {1, 17, 18, 19, 20, 21, 22, 23, 25, 26, 27, 200};
    for (size_t i = 0; i < sizeof(refused); i++)
        cr_expect_eq(ask(fd, refused[i], 3), SSH_AGENT_FAILURE, "type %d", refused[i]);
    cr_expect_eq(nseen, 2, "the agent saw %zu requests", nseen);
    cr_expect(seen[0] == 11 && seen[1] == 13);
    /* an oversized frame: the connection is closed, the agent sees nothing */
    unsigned char big[5] = {0x7f, 0, 0, 0, 11};
    cr_assert_eq(write(fd, big, 5), 5);
    unsigned char b;
    cr_expect_leq(read(fd, &b, 1), 0);
    close(fd);
    ssh_proxy_stop(p);
    cr_expect_neq(access(path, F_OK), 0, "the step's socket was left behind");
    cr_expect_eq(nseen, 2);
}

Test(ssh_proxy, request_types)
{
    cr_expect(ssh_request_allowed(SSH2_AGENTC_REQUEST_IDENTITIES));
    cr_expect(ssh_request_allowed(SSH2_AGENTC_SIGN_REQUEST));
    for (int t = 0; t < 256; t++)
        if (t != 11 && t != 13)
            cr_expect(!ssh_request_allowed((unsigned char)t), "type %d", t);
}
