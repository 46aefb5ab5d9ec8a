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

enum cgroup_limit { CGROUP_MEMORY, CGROUP_PIDS, CGROUP_CPU, CGROUP_NLIMITS };

/* Creates the step's cgroups for the limits that are set. Returns the mask (1 << enum
 * cgroup_limit) of the limits that are set but could not be applied, each with why[k] saying why
 * ("no memory cgroup controller", "cgroup v1 '/sys/fs/cgroup/memory/x': Permission denied";
 * allocated, the caller frees); the caller decides whether that is an error. *out is NULL when
 * no limit is set or none could be applied. */
unsigned cgroup_create(const struct sandbox_limits *l, struct cgroup **out,
                       char *why[CGROUP_NLIMITS]);
/* "memory limit of 64 MiB", "pids limit of 32", "cpu limit of 1.5 CPUs" into buf. */
const char *cgroup_describe(const struct sandbox_limits *l, enum cgroup_limit k, char *buf,
                            size_t n);
/* Moves pid into every cgroup of the step. */
int cgroup_add(struct cgroup *cg, pid_t pid, kiln_error_t **err);
/* When the step went over one of its limits, writes "memory limit of 64 MiB exceeded" (or the
 * pids one) to buf and returns buf; otherwise NULL. NULL cg is fine. */
const char *cgroup_exceeded(struct cgroup *cg, char *buf, size_t n);
/* Kills what is left in the cgroups and removes them. NULL is fine. */
void cgroup_destroy(struct cgroup *cg);

#endif
