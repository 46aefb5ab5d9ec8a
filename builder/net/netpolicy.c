/* The destination policy (netpolicy.h): fixed blocked ranges, the host's, allowances, the
 * address check ADD uses and the routing rules RUN steps get. Pure: no I/O. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "net/netpolicy.h"
#include "util.h"

#define WHY_PRIVATE   "a private network"
#define WHY_LOOPBACK  "the build host's loopback"
#define WHY_LINKLOCAL "a link-local address (where cloud metadata services live)"
#define WHY_MULTICAST "a multicast address"

static const struct {
    const char *prefix;
    const char *why;
} fixed_ranges[] = {
    {"0.0.0.0/8", "\"this network\" (0.0.0.0/8)"},
    {"10.0.0.0/8", WHY_PRIVATE},
    {"100.64.0.0/10", "shared address space (carrier-grade NAT)"},
    {"127.0.0.0/8", WHY_LOOPBACK},
    {"169.254.0.0/16", WHY_LINKLOCAL},
    {"172.16.0.0/12", WHY_PRIVATE},
    {"192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"},
    {"192.168.0.0/16", WHY_PRIVATE},
    {"198.18.0.0/15", "a benchmarking network (198.18.0.0/15)"},
    {"224.0.0.0/4", WHY_MULTICAST},
    {"240.0.0.0/4", "a reserved range (240.0.0.0/4)"},
    {"::/128", "the unspecified address"},
    {"::1/128", WHY_LOOPBACK},
    {"::ffff:0:0/96", "an IPv4-mapped address"},
    {"64:ff9b:1::/48", "a local-use NAT64 range"},
    {"100::/64", "a discard-only range"},
    {"fc00::/7", WHY_PRIVATE},
    {"fe80::/10", WHY_LINKLOCAL},
    {"fec0::/10", "a site-local address"},
    {"ff00::/8", WHY_MULTICAST},
};

static size_t addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

static void mask_prefix(struct netpolicy_prefix *p)
{
    size_t n = addr_len(p->family);
    for (size_t i = 0; i < n; i++) {
        unsigned bits = p->len > i * 8 ? p->len - (unsigned)i * 8 : 0;
        if (bits < 8)
            p->addr[i] &= (uint8_t)(0xff00u >> bits);
    }
}

int netpolicy_prefix_parse(const char *s, struct netpolicy_prefix *out)
{
    char buf[INET6_ADDRSTRLEN + 8];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, buf, out->addr) == 1)
        out->family = AF_INET6;
    else
        return -1;
    uint64_t len = addr_len(out->family) * 8;
    if (slash && parse_u64(slash + 1, len, &len) < 0)
        return -1;
    out->len = (uint8_t)len;
    mask_prefix(out);
    return 0;
}

const char *netpolicy_prefix_str(const struct netpolicy_prefix *p, char *buf, size_t n)
{
    char a[INET6_ADDRSTRLEN];
    if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
        snprintf(a, sizeof(a), "?");
    snprintf(buf, n, "%s/%u", a, p->len);
    return buf;
}

bool netpolicy_prefix_has(const struct netpolicy_prefix *p, int family, const uint8_t *addr)
{
    if (p->family != family)
        return false;
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->addr, addr, full) != 0)
        return false;
    return rest == 0 || ((p->addr[full] ^ addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool same_prefix(const struct netpolicy_prefix *a, const struct netpolicy_prefix *b)
{
    return a->family == b->family && a->len == b->len && !memcmp(a->addr, b->addr, 16);
}

static void add_blocked(struct netpolicy *p, const struct netpolicy_prefix *pre, const char *why)
{
    for (size_t i = 0; i < p->nblocked; i++)
        if (same_prefix(&p->blocked[i].p, pre))
            return;
    if (p->nblocked >= NETPOLICY_MAX_BLOCKED)
        return;
    p->blocked = xrealloc(p->blocked, (p->nblocked + 1) * sizeof(*p->blocked));
    struct netpolicy_blocked *b = &p->blocked[p->nblocked++];
    b->p = *pre;
    snprintf(b->why, sizeof(b->why), "%s", why);
}

void netpolicy_init(struct netpolicy *p)
{
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < ARRAY_SIZE(fixed_ranges); i++) {
        struct netpolicy_prefix pre;
        if (netpolicy_prefix_parse(fixed_ranges[i].prefix, &pre) == 0)
            add_blocked(p, &pre, fixed_ranges[i].why);
    }
}

void netpolicy_release(struct netpolicy *p)
{
    free(p->blocked);
    free(p->allow);
    free(p->rules);
    memset(p, 0, sizeof(*p));
}

static bool is_loopback(const struct netpolicy_prefix *a)
{
    static const uint8_t v6lo[16] = {[15] = 1};
    if (a->family == AF_INET)
        return a->addr[0] == 127 && a->len >= 8;
    return a->len == 128 && !memcmp(a->addr, v6lo, 16);
}

void netpolicy_add_host(struct netpolicy *p, const struct netpolicy_prefix *addr,
                        unsigned subnet_len, const char *what)
{
    char why[64];
    struct netpolicy_prefix a = *addr;
    a.len = (uint8_t)(addr_len(a.family) * 8);
    if (is_loopback(&a))
        return; /* the fixed loopback ranges cover it */
    snprintf(why, sizeof(why), "an address of the build host (%.30s)", what);
    add_blocked(p, &a, why);
    if (subnet_len >= a.len)
        return;
    a.len = (uint8_t)subnet_len;
    mask_prefix(&a);
    snprintf(why, sizeof(why), "a network of the build host (%.30s)", what);
    add_blocked(p, &a, why);
}

void netpolicy_add_gateway(struct netpolicy *p, const struct netpolicy_prefix *gw)
{
    struct netpolicy_prefix a = *gw;
    a.len = (uint8_t)(addr_len(a.family) * 8);
    add_blocked(p, &a, "the build host's gateway");
}

int netpolicy_add_allow(struct netpolicy *p, const struct netpolicy_allow *a, const char *spec,
                        kiln_error_t **err)
{
    bool loop = is_loopback(&a->p);
    if (loop && !a->port)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "--allow-net %s: the build host's loopback is allowed one port at a "
                        "time (e.g. 127.0.0.1:8080)",
                        spec);
    if (p->nallow >= NETPOLICY_MAX_ALLOW)
        return kiln_err(err, KILN_EUSAGE, 0, "more than %d --allow-net addresses",
                        NETPOLICY_MAX_ALLOW);
    p->allow = xrealloc(p->allow, (p->nallow + 1) * sizeof(*p->allow));
    p->allow[p->nallow++] = *a;
    if (!loop)
        return 0;
    for (size_t i = 0; i < p->nloop; i++)
        if (p->loop_ports[i] == a->port)
            return 0;
    if (p->nloop >= NETPOLICY_MAX_PORTS)
        return kiln_err(err, KILN_EUSAGE, 0, "more than %d loopback ports allowed",
                        NETPOLICY_MAX_PORTS);
    p->loop_ports[p->nloop++] = a->port;
    return 0;
}

/* ---- parsing an allowance ---- */

static int parse_port(const char *s, uint16_t *port)
{
    uint64_t v;
    if (parse_u64(s, 65535, &v) < 0 || v == 0)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static bool host_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 253 && s[0] != '-' && s[0] != '.' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

/* Splits spec into its address part (in buf) and its port. */
static int split_spec(const char *spec, char *buf, size_t n, uint16_t *port)
{
    const char *end = NULL, *colon = NULL;
    *port = 0;
    if (spec[0] == '[') {
        end = strchr(spec, ']');
        if (!end || (end[1] && end[1] != ':'))
            return -1;
        colon = end[1] ? end + 1 : NULL;
        spec++;
    } else {
        colon = strchr(spec, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* IPv6 without a port */
        end = colon;
    }
    size_t len = end ? (size_t)(end - spec) : strlen(spec);
    if (len == 0 || len >= n || (colon && parse_port(colon + 1, port) < 0))
        return -1;
    memcpy(buf, spec, len);
    buf[len] = '\0';
    return 0;
}

int netpolicy_parse_allow(const char *spec, struct netpolicy_allow *a, char **host,
                          kiln_error_t **err)
{
    char addr[NETPOLICY_MAX_SPEC];
    memset(a, 0, sizeof(*a));
    *host = NULL;
    if (strlen(spec) >= NETPOLICY_MAX_SPEC || split_spec(spec, addr, sizeof(addr), &a->port) < 0)
        goto bad;
    if (netpolicy_prefix_parse(addr, &a->p) == 0)
        return 0;
    if (spec[0] != '[' && host_name(addr)) {
        *host = xstrdup(addr);
        return 1;
    }
bad:
    return kiln_err(err, KILN_EUSAGE, 0,
                    "invalid value '%.200s' for --allow-net: expected ADDR[/PREFIX][:PORT] or "
                    "HOST[:PORT] ([IPv6]:PORT with a port)",
                    spec);
}

/* ---- rules for RUN steps ---- */

static void push_rule(struct netpolicy *p, size_t *cap, const struct netpolicy_prefix *pre,
                      uint8_t proto, uint16_t port, enum netpolicy_action action)
{
    xgrow(&p->rules, cap, p->nrules + 1, sizeof(*p->rules));
    p->rules[p->nrules++] = (struct netpolicy_rule){*pre, proto, port, action};
}

/* The IPv6 forms of a blocked IPv4 range: NAT64's well-known prefix and 6to4. */
static void embedded_forms(struct netpolicy *p, size_t *cap, const struct netpolicy_prefix *v4)
{
    struct netpolicy_prefix n64 = {AF_INET6, (uint8_t)(96 + v4->len), {0, 0x64, 0xff, 0x9b}};
    memcpy(n64.addr + 12, v4->addr, 4);
    push_rule(p, cap, &n64, 0, 0, NETPOLICY_BLOCK);
    struct netpolicy_prefix s6 = {AF_INET6, (uint8_t)(16 + v4->len), {0x20, 0x02}};
    memcpy(s6.addr + 2, v4->addr, 4);
    push_rule(p, cap, &s6, 0, 0, NETPOLICY_BLOCK);
}

void netpolicy_finish(struct netpolicy *p)
{
    size_t cap = 0;
    free(p->rules);
    p->rules = NULL;
    p->nrules = 0;
    struct netpolicy_prefix dns;
    netpolicy_prefix_parse(NETPOLICY_DNS_FORWARD, &dns);
    push_rule(p, &cap, &dns, IPPROTO_UDP, 53, NETPOLICY_ALLOW);
    for (size_t i = 0; i < p->nallow; i++) {
        const struct netpolicy_allow *a = &p->allow[i];
        if (is_loopback(&a->p))
            continue; /* reached through pasta's loopback forwarder, not routed */
        if (!a->port) {
            push_rule(p, &cap, &a->p, 0, 0, NETPOLICY_ALLOW);
            continue;
        }
        push_rule(p, &cap, &a->p, IPPROTO_TCP, a->port, NETPOLICY_ALLOW);
        push_rule(p, &cap, &a->p, IPPROTO_UDP, a->port, NETPOLICY_ALLOW);
    }
    for (size_t i = 0; i < p->nblocked; i++) {
        push_rule(p, &cap, &p->blocked[i].p, 0, 0, NETPOLICY_BLOCK);
        if (p->blocked[i].p.family == AF_INET)
            embedded_forms(p, &cap, &p->blocked[i].p);
    }
}

/* ---- the check ---- */

/* Only an allowance inside the loopback range opens it: 0.0.0.0/0 means "the outside world". */
static bool allowed(const struct netpolicy *p, int family, const uint8_t *addr, uint16_t port)
{
    struct netpolicy_prefix self = {(uint8_t)family, (uint8_t)(addr_len(family) * 8), {0}};
    memcpy(self.addr, addr, addr_len(family));
    bool loop = is_loopback(&self);
    for (size_t i = 0; i < p->nallow; i++)
        if (netpolicy_prefix_has(&p->allow[i].p, family, addr) &&
            (!loop || is_loopback(&p->allow[i].p)) &&
            (!p->allow[i].port || p->allow[i].port == port))
            return true;
    return false;
}

static const char *blocked(const struct netpolicy *p, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < p->nblocked; i++)
        if (netpolicy_prefix_has(&p->blocked[i].p, family, addr))
            return p->blocked[i].why;
    return NULL;
}

/* The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4), or NULL. */
static const uint8_t *embedded_v4(const uint8_t *a)
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
        return a + 12;
    if (a[0] == 0x20 && a[1] == 0x02)
        return a + 2;
    return NULL;
}

static const char *check_one(const struct netpolicy *p, int family, const uint8_t *addr,
                             uint16_t port)
{
    if (allowed(p, family, addr, port))
        return NULL;
    const char *why = blocked(p, family, addr);
    if (why || family != AF_INET6)
        return why;
    const uint8_t *v4 = embedded_v4(addr);
    return v4 ? check_one(p, AF_INET, v4, port) : NULL;
}

const char *netpolicy_check(const struct netpolicy *p, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return check_one(p, AF_INET, (const uint8_t *)&in->sin_addr, ntohs(in->sin_port));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *a = in6->sin6_addr.s6_addr;
        uint16_t port = ntohs(in6->sin6_port);
        const uint8_t *v4 = embedded_v4(a);
        /* a mapped address is an IPv4 connection: it is the IPv4 address, nothing else */
        if (v4 && a[0] == 0)
            return check_one(p, AF_INET, v4, port);
        return check_one(p, AF_INET6, a, port);
    }
    return "not an IP address";
}
