#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/fib_rules.h>
#include <netinet/in.h>
#include <string.h>

#include "net/netpolicy.h"

static struct sockaddr_storage sa(const char *addr, int port)
{
    struct sockaddr_storage s;
    memset(&s, 0, sizeof(s));
    struct sockaddr_in *in = (struct sockaddr_in *)&s;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s;
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
    } else {
        cr_assert_eq(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1, "%s", addr);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
    }
    return s;
}

static const char *check(const struct netpolicy *p, const char *addr, int port)
{
    struct sockaddr_storage s = sa(addr, port);
    return netpolicy_check(p, (struct sockaddr *)&s);
}

static void allow(struct netpolicy *p, const char *spec)
{
    struct netpolicy_allow a;
    char *host = NULL;
    kiln_error_t *e = NULL;
    cr_assert_eq(netpolicy_parse_allow(spec, &a, &host, &e), 0, "%s", spec);
    cr_assert_eq(netpolicy_add_allow(p, &a, spec, &e), 0, "%s: %s", spec, e ? e->msg : "");
}

Test(netpolicy, blocks_special_ranges_and_allows_the_world)
{
    struct netpolicy p;
    netpolicy_init(&p);
    const char *blocked[] = {
        "127.0.0.1",
        "127.255.0.9",
        "10.0.0.1",
        "172.16.5.5",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.0.192",
        "198.18.0.1",
        "::1",
        "::",
        "fd00::1",
        "fc00::2",
        "fe80::1",
        "ff02::1",
        "fec0::1",
        "100::1",
        "64:ff9b:1::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:a00:1::1",
        "2002:c0a8:101::",
        "::ffff:127.0.0.1",
    };
    for (size_t i = 0; i < sizeof(blocked) / sizeof(*blocked); i++)
        cr_expect_not_null(check(&p, blocked[i], 80), "%s must be blocked", blocked[i]);
    const char *world[] = {"203.0.113.80",    "8.8.8.8",        "172.32.0.1",   "100.128.0.1",
                           "192.169.0.1",     "2001:db8::1",    "2a00:1450::1", "64:ff9b::808:808",
                           "2002:808:808::1", "::ffff:8.8.8.8", "198.20.0.1",   "169.255.0.1"};
    for (size_t i = 0; i < sizeof(world) / sizeof(*world); i++)
        cr_expect_null(check(&p, world[i], 443), "%s must be allowed", world[i]);
    cr_expect_str_eq(check(&p, "169.254.169.254", 80),
                     "a link-local address (where cloud metadata services live)");
    cr_expect_str_eq(check(&p, "10.1.2.3", 80), "a private network");
    cr_expect_str_eq(check(&p, "64:ff9b::a00:1", 80), "a private network");
    netpolicy_release(&p);
}

Test(netpolicy, host_addresses_networks_and_gateways)
{
    struct netpolicy p;
    netpolicy_init(&p);
    struct netpolicy_prefix a, gw;
    cr_assert_eq(netpolicy_prefix_parse("192.0.2.2", &a), 0);
    netpolicy_add_host(&p, &a, 24, "eth0");
    cr_assert_eq(netpolicy_prefix_parse("203.0.113.1", &gw), 0);
    netpolicy_add_gateway(&p, &gw);
    cr_expect_str_eq(check(&p, "192.0.2.2", 80), "an address of the build host (eth0)");
    cr_expect_str_eq(check(&p, "192.0.2.77", 80), "a network of the build host (eth0)");
    cr_expect_str_eq(check(&p, "203.0.113.1", 80), "the build host's gateway");
    cr_expect_null(check(&p, "203.0.113.80", 80));
    cr_expect_null(check(&p, "192.0.3.1", 80));
    cr_expect_not_null(check(&p, "64:ff9b::c000:202", 80), "the host's address through NAT64");
    netpolicy_release(&p);
}

Test(netpolicy, allowances_win_and_respect_ports)
{
    struct netpolicy p;
    netpolicy_init(&p);
    allow(&p, "10.1.0.0/16");
    allow(&p, "169.254.169.254:8080");
    allow(&p, "[fd00::5]:443");
    allow(&p, "127.0.0.1:3128");
    cr_expect_null(check(&p, "10.1.200.3", 22));
    cr_expect_not_null(check(&p, "10.2.0.1", 22));
    cr_expect_null(check(&p, "169.254.169.254", 8080));
    cr_expect_not_null(check(&p, "169.254.169.254", 80));
    cr_expect_null(check(&p, "fd00::5", 443));
    cr_expect_not_null(check(&p, "fd00::5", 80));
    cr_expect_null(check(&p, "127.0.0.1", 3128));
    cr_expect_null(check(&p, "::ffff:127.0.0.1", 3128), "mapped loopback, allowed port");
    cr_expect_not_null(check(&p, "127.0.0.1", 3129));
    cr_assert_eq(p.nloop, 1);
    cr_expect_eq(p.loop_ports[0], 3128);
    netpolicy_release(&p);
}

Test(netpolicy, the_world_allowance_never_opens_loopback)
{
    struct netpolicy p;
    netpolicy_init(&p);
    allow(&p, "0.0.0.0/0");
    cr_expect_null(check(&p, "10.0.0.1", 80));
    cr_expect_not_null(check(&p, "127.0.0.1", 80), "0.0.0.0/0 opened the loopback");
    netpolicy_release(&p);
}

Test(netpolicy, parse_allow)
{
    struct netpolicy_allow a;
    char *host = NULL;
    kiln_error_t *e = NULL;
    cr_assert_eq(netpolicy_parse_allow("10.0.0.0/8:443", &a, &host, &e), 0);
    cr_expect_eq(a.p.family, AF_INET);
    cr_expect_eq(a.p.len, 8);
    cr_expect_eq(a.port, 443);
    cr_assert_eq(netpolicy_parse_allow("10.9.8.7/8", &a, &host, &e), 0);
    cr_expect_eq(a.p.addr[1], 0, "host bits masked");
    cr_assert_eq(netpolicy_parse_allow("fd00::/8", &a, &host, &e), 0);
    cr_expect_eq(a.p.family, AF_INET6);
    cr_expect_eq(a.port, 0);
    cr_assert_eq(netpolicy_parse_allow("mirror.example:3142", &a, &host, &e), 1);
    cr_expect_str_eq(host, "mirror.example");
    cr_expect_eq(a.port, 3142);
    free(host);
    const char *bad[] = {"",           "10.0.0.1:0",     "10.0.0.1:65536", "10.0.0.0/33",
                         "[fd00::1]x", "fd00::/129",     "-x:80",          "a b",
                         "[host]:80",  "10.0.0.1:80:90", "10.0.0.1/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        e = NULL;
        int r = netpolicy_parse_allow(bad[i], &a, &host, &e);
        if (r == 1)
            free(host);
        cr_expect_eq(r, -1, "'%s' accepted", bad[i]);
        if (e) {
            cr_expect(strstr(e->msg, "--allow-net"), "%s", e->msg);
            kiln_error_free(e);
        }
    }
}

Test(netpolicy, loopback_needs_a_port)
{
    struct netpolicy p;
    netpolicy_init(&p);
    struct netpolicy_allow a;
    char *host = NULL;
    kiln_error_t *e = NULL;
    cr_assert_eq(netpolicy_parse_allow("127.0.0.1", &a, &host, &e), 0);
    cr_expect_eq(netpolicy_add_allow(&p, &a, "127.0.0.1", &e), -1);
    cr_assert_not_null(e);
    cr_expect_eq(e->code, KILN_EUSAGE);
    kiln_error_free(e);
    netpolicy_release(&p);
}

Test(netpolicy, rules_order_dns_allow_block_and_embedded_forms)
{
    struct netpolicy p;
    netpolicy_init(&p);
    allow(&p, "10.1.0.0/16:443");
    allow(&p, "127.0.0.1:8080");
    netpolicy_finish(&p);
    cr_assert_gt(p.nrules, 3);
    const struct netpolicy_rule *r = p.rules;
    cr_expect_eq(r[0].action, NETPOLICY_ALLOW);
    cr_expect_eq(r[0].proto, IPPROTO_UDP);
    cr_expect_eq(r[0].port, 53);
    char buf[80];
    cr_expect_str_eq(netpolicy_prefix_str(&r[0].p, buf, sizeof(buf)), "169.254.1.1/32");
    cr_expect_eq(r[1].action, NETPOLICY_ALLOW);
    cr_expect_eq(r[1].proto, IPPROTO_TCP);
    cr_expect_eq(r[2].proto, IPPROTO_UDP);
    cr_expect_str_eq(netpolicy_prefix_str(&r[1].p, buf, sizeof(buf)), "10.1.0.0/16");
    cr_expect_eq(r[3].action, NETPOLICY_BLOCK, "the loopback allowance is not a rule");
    bool nat64 = false, sixto4 = false, meta = false;
    for (size_t i = 3; i < p.nrules; i++) {
        cr_expect_eq(r[i].action, NETPOLICY_BLOCK);
        netpolicy_prefix_str(&r[i].p, buf, sizeof(buf));
        nat64 |= !strcmp(buf, "64:ff9b::a00:0/104");
        sixto4 |= !strcmp(buf, "2002:a00::/24");
        meta |= !strcmp(buf, "169.254.0.0/16");
    }
    cr_expect(nat64 && sixto4 && meta, "nat64 %d 6to4 %d link-local %d", nat64, sixto4, meta);
    netpolicy_release(&p);
}
