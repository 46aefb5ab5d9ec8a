/* Internal to builder/sandbox: the step's memory, pids and cpu limits, and what happens when
 * one of them cannot be applied (issue 13 item 9).
 *
 * Each limit that is set goes to a cgroup (sandbox/cgroup.h). When the pids cgroup cannot be
 * had, RLIMIT_NPROC stands in for it: Linux (5.14+) counts it per user id of the step's fresh
 * user namespace, so it bounds every process of the step when they all share one user id: a
 * step that is not root (no CAP_SETUID, and no_new_privs makes setuid files inert) or a
 * single-id map. A root step with a wider map could spread its processes over many ids:
 * RLIMIT_NPROC still applies per id, but the limit is not enforced as asked.
 *
 * A limit that is not enforced fails the step (KILN_ESANDBOX "memory limit of 64 MiB cannot be
 * enforced: <why>", res->limits_unenforced set) unless spec->limits.allow_unenforced, in which
 * case it is a warning in res->warnings. */
#ifndef KILN_SANDBOX_LIMIT_H
#define KILN_SANDBOX_LIMIT_H

#include <stddef.h>
#include <sys/resource.h>

#include "cgroup.h"
#include "sandbox.h"

/* Creates the step's cgroups (*cg, NULL when none). *nproc holds the RLIMIT_NPROC the step's
 * process would have (kiln's own, or --ulimit nproc); it is lowered to the pids limit when
 * RLIMIT_NPROC stands in for the pids cgroup. Warnings go to
 * res->warnings (*nwarnings of them). */
int sbx_limit_setup(const struct sandbox_spec *s, struct cgroup **cg, struct rlimit *nproc,
                    struct sandbox_result *res, size_t *nwarnings, kiln_error_t **err);

#endif
