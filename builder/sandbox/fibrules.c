/* Routing-policy rules over rtnetlink (fibrules.h): RTM_NEWRULE, one message per rule, each
 * acknowledged. No allocation: messages are built on the stack. */
#include <errno.h>
#include <stdbool.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/fibrules.h"

struct rule_msg {
    struct nlmsghdr nh;
    struct fib_rule_hdr frh;
    char attrs[128];
};

static void put_attr(struct rule_msg *m, unsigned short type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void build(struct rule_msg *m, const struct netpolicy_rule *r, unsigned seq)
{
    memset(m, 0, sizeof(*m));
    m->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct fib_rule_hdr));
    m->nh.nlmsg_type = RTM_NEWRULE;
    m->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    m->nh.nlmsg_seq = seq;
    m->frh.family = r->p.family;
    m->frh.dst_len = r->p.len;
    bool allow = r->action == NETPOLICY_ALLOW;
    m->frh.action = allow ? FR_ACT_TO_TBL : FR_ACT_PROHIBIT;
    m->frh.table = allow ? RT_TABLE_MAIN : RT_TABLE_UNSPEC;
    uint32_t prio = allow ? FIBRULES_PRIO_ALLOW : FIBRULES_PRIO_BLOCK;
    put_attr(m, FRA_PRIORITY, &prio, sizeof(prio));
    if (r->p.len)
        put_attr(m, FRA_DST, r->p.addr, r->p.family == AF_INET ? 4 : 16);
    if (r->proto)
        put_attr(m, FRA_IP_PROTO, &r->proto, sizeof(r->proto));
    if (r->port) {
        struct fib_rule_port_range pr = {r->port, r->port};
        put_attr(m, FRA_DPORT_RANGE, &pr, sizeof(pr));
    }
}

/* The acknowledgement of message seq: 0, or -1 with errno from the kernel. */
static int read_ack(int fd, unsigned seq)
{
    char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return errno = n == 0 ? EPROTO : errno, -1;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
                continue;
            const struct nlmsgerr *e = NLMSG_DATA(h);
            if (e->error == 0 || e->error == -EEXIST)
                return 0;
            return errno = -e->error, -1;
        }
    }
}

int fibrules_install(const struct netpolicy_rule *rules, size_t n, size_t *bad)
{
    *bad = 0;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    for (size_t i = 0; i < n; i++) {
        struct rule_msg m;
        build(&m, &rules[i], (unsigned)i + 1);
        ssize_t s;
        do {
            s = sendto(fd, &m, m.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
        } while (s < 0 && errno == EINTR);
        if (s < 0 || read_ack(fd, (unsigned)i + 1) < 0) {
            int saved = errno;
            *bad = i;
            close(fd);
            return errno = saved, -1;
        }
    }
    close(fd);
    return 0;
}
