/* What the machine kiln runs on, or the container kiln runs in, gives the sandbox: facts read
 * from /proc and /dev, never changed. The sandbox uses them to pick what works (the ids a store
 * may map, whether pasta needs a tun node of its own) and sandbox/preflight.c to say exactly what
 * is missing when something the steps need is refused.
 *
 * "Nested" means kiln runs in a user namespace other than the initial one: in a container with a
 * user namespace (podman --userns, Kubernetes hostUsers: false), where kiln's root is root of
 * that namespace only and its ids are the ones the namespace maps. */
#ifndef KILN_SANDBOX_HOSTENV_H
#define KILN_SANDBOX_HOSTENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOSTENV_MAX_SPANS 340 /* the kernel's limit of lines in an id map */

/* The ids that exist in kiln's user namespace: the inside column of /proc/self/uid_map or
 * gid_map, as spans [start, end), sorted. */
struct hostenv_ids {
    struct {
        uint64_t start, end;
    } v[HOSTENV_MAX_SPANS];
    size_t n;
    uint64_t total; /* ids in all spans */
};

/* Reads /proc/self/uid_map (uid) or gid_map. -1 when it cannot be read. */
int hostenv_ids(bool uid, struct hostenv_ids *out);

/* kiln runs in a user namespace other than the initial one (the uid map is not the identity of
 * every id). */
bool hostenv_nested(void);

/* /dev/net/tun is the tun device (10:200) and every user may open it (mode o+rw): a step's
 * pasta, running as the step's root, can open it as it is. */
bool hostenv_tun_open_to_all(void);
/* /dev/net/tun exists (any mode). */
bool hostenv_tun_present(void);

/* The mount points below /proc in kiln's mount namespace (a runtime's masked and read-only
 * paths: "/proc/kcore /proc/sys ..."), space-separated into buf (at most n bytes, cut with
 * "..."); the number of them. The kernel mounts a new proc in a user namespace only where a proc
 * is fully visible (nothing mounted over a file or a non-empty directory of it). */
size_t hostenv_proc_covers(char *buf, size_t n);

/* A numeric field of /proc/self/status ("Seccomp", "NoNewPrivs"), or -1. */
long hostenv_status(const char *field);
/* A hexadecimal field of it ("CapBnd"); -1 when there is none. */
int hostenv_status_hex(const char *field, uint64_t *out);

/* A sysctl under /proc/sys as a number ("kernel/unprivileged_userns_clone"), or -1 when it
 * does not exist or cannot be read. */
long hostenv_sysctl(const char *name);

#endif
