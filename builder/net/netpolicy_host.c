/* The build host's side of the destination policy: its addresses, networks and gateways, and
 * allowances given by name. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "net/netpolicy_host.h"
#include "util.h"

#define ROUTE_FILE_MAX (1u << 20)

static unsigned mask_bits(const struct sockaddr *m)
{
    const uint8_t *b;
    size_t n;
    if (m->sa_family == AF_INET) {
        b = (const uint8_t *)&((const struct sockaddr_in *)m)->sin_addr;
        n = 4;
    } else {
        b = ((const struct sockaddr_in6 *)m)->sin6_addr.s6_addr;
        n = 16;
    }
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++)
        bits += (unsigned)__builtin_popcount(b[i]);
    return bits;
}

static void add_ifaddr(struct netpolicy *p, const struct ifaddrs *i)
{
    struct netpolicy_prefix a = {(uint8_t)i->ifa_addr->sa_family, 0, {0}};
    if (a.family == AF_INET) {
        memcpy(a.addr, &((const struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
        a.len = 32;
    } else {
        memcpy(a.addr, ((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr, 16);
        a.len = 128;
    }
    unsigned sub =
        i->ifa_netmask && i->ifa_netmask->sa_family == a.family ? mask_bits(i->ifa_netmask) : a.len;
    netpolicy_add_host(p, &a, sub, i->ifa_name);
}

/* /proc/net/route: "Iface Destination Gateway Flags ..." in little-endian hex. */
static void add_gateways4(struct netpolicy *p)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, "/proc/net/route", ROUTE_FILE_MAX, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char ifn[IF_NAMESIZE + 1];
        unsigned dst, gw, flags;
        if (sscanf(l, "%16s %x %x %x", ifn, &dst, &gw, &flags) != 4 || !gw)
            continue;
        struct netpolicy_prefix g = {AF_INET, 32, {0}};
        memcpy(g.addr, &gw, 4); /* the file holds the address in network byte order */
        netpolicy_add_gateway(p, &g);
    }
}

/* /proc/net/ipv6_route: "dst dstlen src srclen nexthop metric ref use flags iface". */
static void add_gateways6(struct netpolicy *p)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, "/proc/net/ipv6_route", ROUTE_FILE_MAX, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char dst[33], src[33], hop[33];
        unsigned dlen, slen;
        if (sscanf(l, "%32s %x %32s %x %32s", dst, &dlen, src, &slen, hop) != 5)
            continue;
        struct netpolicy_prefix g = {AF_INET6, 128, {0}};
        bool any = false;
        for (int k = 0; k < 16; k++) {
            unsigned v;
            if (sscanf(hop + 2 * k, "%2x", &v) != 1)
                break;
            g.addr[k] = (uint8_t)v;
            any |= v != 0;
        }
        if (any)
            netpolicy_add_gateway(p, &g);
    }
}

int netpolicy_add_host_addresses(struct netpolicy *p, kiln_error_t **err)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) < 0)
        return kiln_err_errno(err, KILN_ENETWORK, "getifaddrs");
    for (const struct ifaddrs *i = list; i; i = i->ifa_next)
        if (i->ifa_addr &&
            (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6))
            add_ifaddr(p, i);
    freeifaddrs(list);
    add_gateways4(p);
    add_gateways6(p);
    return 0;
}

static int add_resolved(struct netpolicy *p, const char *spec, const char *host, uint16_t port,
                        kiln_error_t **err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0)
        return kiln_err(err, KILN_EUSAGE, 0, "--allow-net %s: cannot resolve '%s': %s", spec, host,
                        gai_strerror(rc));
    int out = 0;
    for (struct addrinfo *r = res; r && out == 0; r = r->ai_next) {
        struct netpolicy_allow a = {.port = port};
        a.p.family = (uint8_t)r->ai_family;
        if (r->ai_family == AF_INET) {
            memcpy(a.p.addr, &((struct sockaddr_in *)r->ai_addr)->sin_addr, 4);
            a.p.len = 32;
        } else if (r->ai_family == AF_INET6) {
            memcpy(a.p.addr, ((struct sockaddr_in6 *)r->ai_addr)->sin6_addr.s6_addr, 16);
            a.p.len = 128;
        } else {
            continue;
        }
        out = netpolicy_add_allow(p, &a, spec, err);
    }
    freeaddrinfo(res);
    return out;
}

int netpolicy_allow_spec(struct netpolicy *p, const char *spec, kiln_error_t **err)
{
    struct netpolicy_allow a;
    cleanup_free char *host = NULL;
    int r = netpolicy_parse_allow(spec, &a, &host, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return netpolicy_add_allow(p, &a, spec, err);
    return add_resolved(p, spec, host, a.port, err);
}
