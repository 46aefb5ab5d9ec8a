/* The destination policy of a build: what RUN steps on the default network and ADD <url> may
 * reach. One policy per build, shared by both (DESIGN.md: "the outside world yes, the host,
 * link-local and private ranges no, unless the operator allows them").
 *
 * Blocked, unless an allowance names the destination:
 *   - the build host: its loopback (127.0.0.0/8, ::1), every address of its interfaces, the
 *     networks those interfaces are on, and its default gateways (netpolicy_add_host);
 *   - special ranges: "this network" 0.0.0.0/8, private networks (10/8, 172.16/12, 192.168/16,
 *     fc00::/7), shared address space 100.64/10, link-local 169.254/16 and fe80::/10 (the cloud
 *     metadata service lives there), 192.0.0.0/24, benchmarking 198.18/15, multicast, reserved
 *     and broadcast, the unspecified, site-local, discard and IPv4-mapped IPv6 ranges;
 *   - each blocked IPv4 range reached through IPv6: NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and
 *     6to4 (2002::/16) addresses embed an IPv4 address, which is checked too.
 * Everything else is the outside world, and allowed.
 *
 * An allowance (--allow-net, or a proxy the operator passed as a build arg) is an address or
 * a CIDR range, with an optional port; it wins over every block. A loopback allowance must name
 * a port: RUN steps reach it at 127.0.0.1:PORT through pasta's forwarder.
 *
 * This file is pure (no I/O): unit-tested in tests/unit/net/. netpolicy_host.c gathers the
 * host's addresses and resolves names; sandbox/fibrules.c turns the rules into the step's
 * routing policy; net/fetch.c checks every address ADD connects to.
 */
#ifndef KILN_NET_NETPOLICY_H
#define KILN_NET_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kiln/error.h"

#define NETPOLICY_MAX_ALLOW   256  /* allowances (after name resolution) */
#define NETPOLICY_MAX_BLOCKED 1024 /* blocked ranges: the fixed ones and the host's */
#define NETPOLICY_MAX_PORTS   64   /* loopback ports forwarded into RUN steps */
#define NETPOLICY_MAX_SPEC    512  /* bytes of one --allow-net value */
/* The address RUN steps send DNS queries to (their resolv.conf): pasta forwards UDP port 53
 * there to the host's resolver, wherever that is (loopback, private). It is link-local, so
 * every other use of it is blocked by the policy itself. Podman uses the same address. */
#define NETPOLICY_DNS_FORWARD "169.254.1.1"

struct netpolicy_prefix {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t len;    /* prefix length in bits */
    uint8_t addr[16];
};

struct netpolicy_allow {
    struct netpolicy_prefix p;
    uint16_t port; /* 0: every port */
};

struct netpolicy_blocked {
    struct netpolicy_prefix p;
    char why[64]; /* "a private network", "the build host's address", ... */
};

enum netpolicy_action { NETPOLICY_ALLOW, NETPOLICY_BLOCK };

/* One routing-policy rule for a RUN step's network namespace, in order: the first match wins. */
struct netpolicy_rule {
    struct netpolicy_prefix p;
    uint8_t proto; /* 0: any, else IPPROTO_TCP or IPPROTO_UDP */
    uint16_t port; /* destination port, 0: any */
    enum netpolicy_action action;
};

struct netpolicy {
    struct netpolicy_blocked *blocked;
    size_t nblocked;
    struct netpolicy_allow *allow;
    size_t nallow;
    uint16_t loop_ports[NETPOLICY_MAX_PORTS]; /* allowed ports on the host's loopback */
    size_t nloop;
    struct netpolicy_rule *rules; /* netpolicy_finish */
    size_t nrules;
};

/* An empty policy with the fixed blocked ranges. Release with netpolicy_release. */
void netpolicy_init(struct netpolicy *p);
void netpolicy_release(struct netpolicy *p);

/* Parses an allowance: ADDR, ADDR/PREFIX, ADDR:PORT, ADDR/PREFIX:PORT, with IPv6 in brackets
 * when a port follows ([fd00::1]:8080, [fd00::/8]:443). Returns 0 with *a filled, or 1 when
 * the address part is a host name: *host (newly allocated) and *a->port are set for the caller
 * to resolve. KILN_EUSAGE for anything else ("expected ADDR[/PREFIX][:PORT]"). */
int netpolicy_parse_allow(const char *spec, struct netpolicy_allow *a, char **host,
                          kiln_error_t **err);
/* Adds an allowance. A loopback address must come with a port (KILN_EUSAGE otherwise). */
int netpolicy_add_allow(struct netpolicy *p, const struct netpolicy_allow *a, const char *spec,
                        kiln_error_t **err);
/* Blocks an address of the build host (prefix 32 or 128) and, when subnet_len is shorter, the
 * network it is on; what names it in messages ("eth0"). Over the limit, further addresses are
 * ignored (the fixed private ranges still hold). */
void netpolicy_add_host(struct netpolicy *p, const struct netpolicy_prefix *addr,
                        unsigned subnet_len, const char *what);
/* Blocks a default gateway of the build host. */
void netpolicy_add_gateway(struct netpolicy *p, const struct netpolicy_prefix *gw);

/* Builds p->rules for RUN steps: DNS to NETPOLICY_DNS_FORWARD (UDP 53) allowed, then each
 * allowance, then each blocked range and its NAT64 and 6to4 forms. */
void netpolicy_finish(struct netpolicy *p);

/* Whether a connection to sa (IPv4 or IPv6, with its port) is allowed: NULL, else why not
 * (static or p's memory: "a private network"). IPv4-mapped, NAT64 and 6to4 addresses are
 * also checked as the IPv4 address they carry. */
const char *netpolicy_check(const struct netpolicy *p, const struct sockaddr *sa);

/* Prefix helpers. */
bool netpolicy_prefix_has(const struct netpolicy_prefix *p, int family, const uint8_t *addr);
/* "10.0.0.0/8", "fd00::/8" into buf (at least 64 bytes). */
const char *netpolicy_prefix_str(const struct netpolicy_prefix *p, char *buf, size_t n);
/* Parses "ADDR" or "ADDR/LEN" (numeric). 0 or -1. */
int netpolicy_prefix_parse(const char *s, struct netpolicy_prefix *out);

#endif
