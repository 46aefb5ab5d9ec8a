/* The embedded seccomp profile: the same as the shared one, compiles for the step's
 * capabilities, and its rules follow "includes"/"excludes". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sandbox/sandbox_int.h"
#include "sandbox/seccomp.h"

Test(seccomp, vendored_profile_is_the_shared_one)
{
    char shared[512], cmd[1200];
    snprintf(shared, sizeof(shared), "%s/security/seccomp-default.json", KILN_SHARED_DIR);
    if (access(shared, R_OK) < 0)
        cr_skip_test("no shared/ beside the source tree");
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s/builder/sandbox/seccomp-default.json", shared,
             KILN_SOURCE_DIR);
    cr_assert_eq(system(cmd), 0, "builder/sandbox/seccomp-default.json differs from %s", shared);
}

Test(seccomp, compiles_for_the_default_capabilities)
{
    struct sock_fprog p = {0};
    kiln_error_t *err = NULL;
    cr_assert_eq(sbx_seccomp_build(SANDBOX_CAPS, &p, &err), 0, "%s", err ? err->msg : "");
    cr_assert_gt(p.len, 100);
    struct sock_fprog q = {0};
    /* with CAP_SYS_ADMIN the profile allows more (mount, unshare, ...): a different program */
    cr_assert_eq(sbx_seccomp_build(SANDBOX_CAPS | (1ull << 21), &q, &err), 0);
    cr_assert(p.len != q.len || memcmp(p.filter, q.filter, p.len * sizeof(*p.filter)) != 0);
    free(p.filter);
    free(q.filter);
}
