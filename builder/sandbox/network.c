/* The network of a step, both sides: what the parent prepares (capabilities, pasta, the
 * default network's resolv.conf) and what the child does as root of its namespaces (loopback,
 * the policy's rules, the ping range). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "chan.h"
#include "fsutil.h"
#include "sandbox/fibrules.h"
#include "sandbox/pasta.h"
#include "sandbox_int.h"
#include "util.h"

#define FAIL(c, ...)                                                                               \
    do {                                                                                           \
        chan_fail((c)->sock, KILN_ESANDBOX, errno, __VA_ARGS__);                                   \
        _exit(1);                                                                                  \
    } while (0)

#define RESOLV_MAX (64 * 1024)

int sbx_net_prepare(const struct sandbox_spec *spec, struct sbx_child *c, char **pasta_bin,
                    kiln_error_t **err)
{
    c->caps = SANDBOX_CAPS;
    *pasta_bin = NULL;
    if (spec->network != SANDBOX_NET_DEFAULT)
        return 0;
    if (!spec->policy)
        return kiln_err(err, KILN_EINTERNAL, 0, "sandbox: the default network needs a policy");
    /* raw packets (AF_PACKET, IP_HDRINCL) skip the routing rules and pasta relays whatever
     * reaches it: a step on this network cannot write them */
    c->caps &= ~(1ull << SANDBOX_CAP_NET_RAW);
    return pasta_find(pasta_bin, err);
}

/* "nameserver FORWARD" and the host's search and options lines (BuildKit keeps them too). */
char *sbx_net_resolv(void)
{
    struct buf b = BUF_INIT(RESOLV_MAX);
    if (buf_addstr(&b, "nameserver " NETPOLICY_DNS_FORWARD "\n", NULL) < 0)
        return buf_detach(&b);
    cleanup_free char *host = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, "/etc/resolv.conf", RESOLV_MAX / 2, &host, NULL, &e) < 0) {
        kiln_error_free(e);
        return buf_detach(&b);
    }
    char *save = NULL;
    for (char *l = strtok_r(host, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (str_has_prefix(l, "search ") || str_has_prefix(l, "search\t") ||
            str_has_prefix(l, "options ") || str_has_prefix(l, "options\t"))
            if (buf_addf(&b, NULL, "%s\n", l) < 0) /* cannot happen: the file is read to */
                break;                             /* half of RESOLV_MAX */
    return buf_detach(&b);
}

int sbx_net_ready(struct sbx_child *c)
{
    if (c->spec->network != SANDBOX_NET_DEFAULT)
        return chan_send(c->sock, CHAN_READY, 0, 0, NULL, 0);
    int fds[2] = {open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC),
                  open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)};
    if (fds[0] < 0 || fds[1] < 0)
        FAIL(c, "default network: open the step's namespaces");
    int r = chan_send_fds(c->sock, CHAN_READY, fds, 2);
    close(fds[0]);
    close(fds[1]);
    return r;
}

static void loopback_up(struct sbx_child *c)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        FAIL(c, "loopback");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        FAIL(c, "bring up loopback");
    close(fd);
}

/* Unprivileged ICMP echo sockets for every group of the step (ping without CAP_NET_RAW), as
 * Docker and podman set it. Through /proc/sys of this network namespace. */
static void ping_range(struct sbx_child *c)
{
    char v[48];
    int n = snprintf(v, sizeof(v), "0 %u\n", c->spec->idmap->count - 1);
    int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, v, (size_t)n) != n)
        FAIL(c, "default network: net.ipv4.ping_group_range");
    close(fd);
}

void sbx_net_setup(struct sbx_child *c)
{
    if (c->spec->network == SANDBOX_NET_HOST)
        return;
    loopback_up(c);
    if (c->spec->network != SANDBOX_NET_DEFAULT)
        return;
    const struct netpolicy *p = c->spec->policy;
    size_t bad = 0;
    if (fibrules_install(p->rules, p->nrules, &bad) < 0) {
        char pre[80];
        FAIL(c, "default network: policy rule %s",
             netpolicy_prefix_str(&p->rules[bad].p, pre, sizeof(pre)));
    }
    ping_range(c);
}
