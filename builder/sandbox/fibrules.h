/* The destination policy inside a RUN step's network namespace: routing-policy rules (FIB
 * rules, what `ip rule` shows) installed over rtnetlink by the sandbox child while it still has
 * CAP_NET_ADMIN over the namespace, before the step runs without it.
 *
 * Rules sit between the kernel's "local" rule (priority 0: the namespace's own addresses and
 * its loopback, which never leave it) and "main" (32766), so they decide every destination
 * that would be routed out to pasta:
 *   FIBRULES_PRIO_ALLOW  allowed destinations (DNS forward, --allow-net): look up "main"
 *   FIBRULES_PRIO_BLOCK  blocked ranges: "prohibit" (connect and sendto fail with EACCES)
 * A rule matches the destination prefix and, when given, the protocol and destination port.
 * Nothing else is needed: without CAP_NET_RAW (dropped on this network) a step cannot write
 * packets that skip routing, and without CAP_NET_ADMIN it cannot change the rules.
 *
 * Runs in the sandbox child (a raw clone of a threaded process): no allocation. */
#ifndef KILN_SANDBOX_FIBRULES_H
#define KILN_SANDBOX_FIBRULES_H

#include <stddef.h>

#include "net/netpolicy.h"

#define FIBRULES_PRIO_ALLOW 1000
#define FIBRULES_PRIO_BLOCK 1001

/* Installs the rules in the caller's network namespace. -1 with errno on failure, *bad the
 * index of the rule that failed. */
int fibrules_install(const struct netpolicy_rule *rules, size_t n, size_t *bad);

#endif
