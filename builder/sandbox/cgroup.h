/* A cgroup for one step, holding its memory, pids and cpu limits: cgroup v2 where the controller
 * is enabled in kiln's own v2 cgroup, else the v1 hierarchy of that controller. The step's
 * cgroup is created below kiln's own cgroup of each hierarchy (so outer limits still hold) and
 * removed after the step. */
#ifndef KILN_SANDBOX_CGROUP_H
#define KILN_SANDBOX_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "kiln/error.h"
#include "sandbox/sandbox.h"

struct cgroup;

/* Creates the step's cgroups for the limits that are set. A limit that cannot be applied adds a
 * warning ("memory limit not applied: ...") to *warnings (a strv of *nwarnings) instead of
 * failing; *out is NULL when no limit is set or none could be applied. */
void cgroup_create(const struct sandbox_limits *l, struct cgroup **out, char ***warnings,
                   size_t *nwarnings);
/* Moves pid into every cgroup of the step. */
int cgroup_add(struct cgroup *cg, pid_t pid, kiln_error_t **err);
/* When the step went over one of its limits, writes "memory limit of 64 MiB exceeded" (or the
 * pids one) to buf and returns buf; otherwise NULL. NULL cg is fine. */
const char *cgroup_exceeded(struct cgroup *cg, char *buf, size_t n);
/* Kills what is left in the cgroups and removes them. NULL is fine. */
void cgroup_destroy(struct cgroup *cg);

#endif
