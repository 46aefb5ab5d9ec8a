/* The step's limits: cgroups, RLIMIT_NPROC in their stead for pids, and the decision when a
 * limit cannot be applied (see limit.h). */
#include <string.h>

#include "limit.h"
#include "util.h"

/* Whether RLIMIT_NPROC bounds all the step's processes: they all have one user id. */
static bool nproc_covers_all(const struct sandbox_spec *s)
{
    return s->uid != 0 || s->idmap->count == 1;
}

/* RLIMIT_NPROC of pids processes, never above the step's own soft or hard limit. */
static void nproc_limit(uint64_t pids, struct rlimit *nproc)
{
    rlim_t want = (rlim_t)pids;
    if (nproc->rlim_max != RLIM_INFINITY && want > nproc->rlim_max)
        want = nproc->rlim_max;
    if (nproc->rlim_cur == RLIM_INFINITY || nproc->rlim_cur > want)
        nproc->rlim_cur = want;
    nproc->rlim_max = want;
}

int sbx_limit_setup(const struct sandbox_spec *s, struct cgroup **cg, struct rlimit *nproc,
                    struct sandbox_result *res, size_t *nwarnings, kiln_error_t **err)
{
    const struct sandbox_limits *l = &s->limits;
    char *why[CGROUP_NLIMITS];
    unsigned failed = cgroup_create(l, cg, why);
    if (failed & (1u << CGROUP_PIDS)) {
        nproc_limit(l->pids, nproc);
        if (nproc_covers_all(s))
            failed &= ~(1u << CGROUP_PIDS);
    }
    int rc = 0;
    for (int k = 0; k < CGROUP_NLIMITS; k++) {
        char what[64];
        if (!(failed & (1u << k)) || rc < 0) {
            free(why[k]);
            continue;
        }
        cgroup_describe(l, (enum cgroup_limit)k, what, sizeof(what));
        const char *extra =
            k == CGROUP_PIDS ? ", and RLIMIT_NPROC counts each user id of a root step apart" : "";
        res->limits_unenforced = true;
        if (l->allow_unenforced)
            strv_push(&res->warnings, nwarnings,
                      xasprintf("%s not enforced: %s%s", what, why[k], extra));
        else
            rc =
                kiln_err(err, KILN_ESANDBOX, 0, "%s cannot be enforced: %s%s", what, why[k], extra);
        free(why[k]);
    }
    if (rc < 0) {
        cgroup_destroy(*cg);
        *cg = NULL;
    }
    return rc;
}
