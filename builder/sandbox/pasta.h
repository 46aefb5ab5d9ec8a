/* pasta (Debian's passt package): user-mode networking for a RUN step's network namespace, the
 * default network of RUN (SANDBOX_NET_DEFAULT).
 *
 * One pasta per step, started by the parent once the step's id map is written and stopped when
 * the step ends. pasta runs in the host's network namespace (its sockets reach the outside) and
 * the host's pid namespace (the step cannot see, signal or trace it), but inside the step's
 * user namespace as its root: on the host it is the unprivileged id container root maps to, and
 * its capabilities hold only over the step's namespaces. It joins the step's network namespace
 * through a descriptor, configures the interface as a copy of the host's (address, routes), and
 * relays TCP, UDP and ICMP to real sockets:
 *   -t/-u none   nothing of the host is forwarded into the step;
 *   -T/-U none   nothing of the step's loopback reaches the host's loopback, except the ports
 *                the policy allows (policy->loop_ports);
 *   --no-map-gw  the gateway address is not the host's loopback;
 *   --dns-forward NETPOLICY_DNS_FORWARD: UDP port 53 there goes to the host's resolver.
 * Which destinations a step reaches is the policy's (sandbox/fibrules.c): pasta relays what the
 * step's routing lets out.
 *
 * pasta opens /dev/net/tun by path from inside the step's user namespace. When kiln runs as
 * root and the host's node is not open to every user (0600, no udev), pasta gets a mount
 * namespace of its own where /dev/net/tun is a 0666 node on a private tmpfs; otherwise (rootless,
 * or root in a container's user namespace, which cannot make device nodes) the node must be
 * usable by unprivileged users (Debian's udev rules make it 0666; sandbox/preflight.c says so
 * before the first step). */
#ifndef KILN_SANDBOX_PASTA_H
#define KILN_SANDBOX_PASTA_H

#include <sys/types.h>

#include "kiln/error.h"
#include "net/netpolicy.h"

#define PASTA_START_TIMEOUT_MS 10000

struct pasta {
    pid_t pid; /* 0: not running */
};

/* The pasta binary: $KILN_PASTA when set (an absolute path), else "pasta" in $PATH. Newly
 * allocated. Fails with KILN_ESANDBOX saying how to get it when there is none. */
int pasta_find(char **path, kiln_error_t **err);

struct pasta_opts {
    const char *bin;
    const struct netpolicy *policy;
    int userns, netns;          /* the step's namespaces (descriptors, left open) */
    int64_t root_uid, root_gid; /* the host ids of the step's root (pasta's, on the host) */
    const char *run_dir;        /* the step's private directory: pasta.log (its stderr, read back
                                   when it fails) and, as root, tun/ */
};

/* Starts pasta for the step and waits until it has configured the step's network (at most
 * PASTA_START_TIMEOUT_MS). The caller must have written the step's id map. KILN_ESANDBOX
 * "default network: pasta ..." with pasta's own message when it fails. */
int pasta_start(const struct pasta_opts *o, struct pasta *p, kiln_error_t **err);
/* Kills pasta and reaps it. Safe on a pasta that never started. */
void pasta_stop(struct pasta *p);

#endif
