/* The parts of the destination policy that look at this machine: the build host's addresses,
 * networks and gateways, and allowances given by name. */
#ifndef KILN_NET_NETPOLICY_HOST_H
#define KILN_NET_NETPOLICY_HOST_H

#include "kiln/error.h"
#include "net/netpolicy.h"

/* Blocks every address of every interface of the host (getifaddrs), the network each is on,
 * and the default gateways (/proc/net/route, /proc/net/ipv6_route). */
int netpolicy_add_host_addresses(struct netpolicy *p, kiln_error_t **err);

/* Adds one --allow-net value; a host name is resolved now (every address it has), so a name
 * that does not resolve is an error (KILN_EUSAGE). */
int netpolicy_allow_spec(struct netpolicy *p, const char *spec, kiln_error_t **err);

#endif
