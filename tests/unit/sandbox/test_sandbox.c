#include "sbx_helpers.h"

static struct sbx_env env;

static void setup(void)
{
    sbx_env_init(&env);
}

static void teardown(void)
{
    sbx_env_fini(&env);
}

TestSuite(sandbox, .init = setup, .fini = teardown, .timeout = 120);

Test(sandbox, runs_a_step_and_streams_output)
{
    struct sbx_out o = {BUF_INIT(1 << 20)};
    kiln_error_t *err = NULL;
    int st = sbx_sh(&env, NULL, "echo hello; echo oops >&2; exit 3", &o, &err);
    cr_assert_eq(st, 3, "status %d: %s", st, err ? err->msg : "");
    cr_assert_str_eq(buf_str(&o.b), "hello\noops\n");
    buf_release(&o.b);
}
