/* --ulimit for a step (sandbox_int.h). A limit is set by the step's process itself before it
 * execs; inside its user namespace it cannot raise a hard limit above the one it inherited, so a
 * higher one is raised here, on the waiting child, with kiln's own CAP_SYS_RESOURCE. */
#include <errno.h>
#include <sys/resource.h>

#include "sandbox_int.h"

int sbx_rlimits_prepare(const struct sandbox_spec *spec, struct sbx_child *c, kiln_error_t **err)
{
    if (spec->nrlimits > SANDBOX_MAX_RLIMITS)
        return kiln_err(err, KILN_ELIMIT, 0, "sandbox: more than %d ulimits", SANDBOX_MAX_RLIMITS);
    for (size_t i = 0; i < spec->nrlimits; i++) {
        const struct sandbox_rlimit *r = &spec->rlimits[i];
        if (r->resource == RLIMIT_CORE || r->soft > r->hard || r->resource < 0 ||
            r->resource >= RLIM_NLIMITS)
            return kiln_err(err, KILN_EINPUT, 0, "sandbox: ulimit %d refused", r->resource);
        struct rlimit lim = {(rlim_t)r->soft, (rlim_t)r->hard};
        if (r->resource == RLIMIT_NOFILE || r->resource == RLIMIT_NPROC) {
            *(r->resource == RLIMIT_NOFILE ? &c->nofile : &c->nproc) = lim;
            continue;
        }
        c->rlimits[c->nrlimits].resource = r->resource;
        c->rlimits[c->nrlimits++].lim = lim;
    }
    return 0;
}

int sbx_rlimits_raise(const struct sandbox_spec *spec, pid_t pid, kiln_error_t **err)
{
    for (size_t i = 0; i < spec->nrlimits; i++) {
        const struct sandbox_rlimit *l = &spec->rlimits[i];
        __rlimit_resource_t res = (__rlimit_resource_t)l->resource;
        struct rlimit cur, want = {(rlim_t)l->soft, (rlim_t)l->hard};
        if (getrlimit(res, &cur) < 0 || want.rlim_max <= cur.rlim_max)
            continue;
        if (prlimit(pid, res, &want, NULL) < 0)
            return kiln_err_errno(err, KILN_ESANDBOX,
                                  "ulimit: the hard limit %llu is above kiln's own (%llu), and "
                                  "raising it needs CAP_SYS_RESOURCE",
                                  (unsigned long long)want.rlim_max,
                                  (unsigned long long)cur.rlim_max);
    }
    return 0;
}
