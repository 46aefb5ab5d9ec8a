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

Test(sandbox, extra_mounts_bind_and_tmpfs)
{
    char src[400], file[400];
    snprintf(src, sizeof(src), "%s/shared-dir", env.tmp);
    snprintf(file, sizeof(file), "%s/secret.txt", env.tmp);
    cr_assert_eq(sh("mkdir -p %s && echo data > %s/in.txt && chmod -R a+rwX %s && "
                    "echo s3cret > %s && chmod 0644 %s && chmod 0755 %s",
                    src, src, src, file, file, env.tmp),
                 0);
    struct sandbox_mount mounts[] = {
        {.type = SANDBOX_MOUNT_BIND, .source = src, .target = "/mnt/ro", .flags = SANDBOX_MNT_RO},
        {.type = SANDBOX_MOUNT_BIND,
         .source = file,
         .target = "/run/secrets/tok",
         .flags = SANDBOX_MNT_RO | SANDBOX_MNT_NOEXEC},
        {.type = SANDBOX_MOUNT_TMPFS,
         .target = "/cache",
         .size = 1 << 20,
         .mode = 0700,
         .uid = 1000,
         .gid = 1000,
         .flags = SANDBOX_MNT_NOEXEC},
    };
    /* the mount points the sandbox made are reported as stubs */
    char *argv[] = {"/bin/true", NULL};
    char *envp[] = {NULL};
    sh("rm -rf %s; mkdir -p %s", env.run, env.run);
    struct sandbox_spec s2 = {.rootfs.dir = env.rootfs,
                              .run_dir = env.run,
                              .argv = argv,
                              .envp = envp,
                              .idmap = &env.map,
                              .mounts = mounts,
                              .nmounts = 3};
    struct sandbox_result res;
    kiln_error_t *err = NULL;
    cr_assert_eq(sandbox_run(&s2, &res, &err), 0);
    bool cache = false, secrets = false;
    for (char **p = res.stubs; p && *p; p++) {
        cache = cache || !strcmp(*p, "cache");
        secrets = secrets || !strcmp(*p, "run/secrets/tok");
    }
    cr_assert(cache && secrets, "stubs not reported");
    sandbox_result_release(&res);
    struct sandbox_spec spec = {.mounts = mounts, .nmounts = 3};
    struct sbx_out o = {BUF_INIT(1 << 20)};
    int st =
        sbx_sh(&env, &spec,
               "cat /mnt/ro/in.txt; touch /mnt/ro/x 2>/dev/null && echo RO-WRITABLE; "
               "cat /run/secrets/tok; stat -c '%a %u' /cache; "
               "dd if=/dev/zero of=/cache/big bs=1k count=2048 2>/dev/null || echo TMPFS-FULL; "
               "grep -E ' /(cache|mnt/ro|run/secrets/tok) ' /proc/self/mountinfo | "
               "grep -c 'nosuid,nodev'",
               &o, &err);
    cr_assert_eq(st, 0, "%s %s", err ? err->msg : "", buf_str(&o.b));
    cr_assert_str_eq(buf_str(&o.b), "data\ns3cret\n700 1000\nTMPFS-FULL\n3\n");
    buf_release(&o.b);
}

Test(sandbox, cpu_limit_caps_cpu_time)
{
    struct sandbox_spec spec = {.limits = {.cpus_milli = 200, .timeout_sec = 30}};
    struct sbx_out o = {BUF_INIT(1 << 20)};
    kiln_error_t *err = NULL;
    int st =
        sbx_sh(&env, &spec, "time -p timeout 2 sh -c 'while :; do :; done' 2>&1; true", &o, &err);
    cr_assert_eq(st, 0, "%s", err ? err->msg : "");
    const char *u = strstr(buf_str(&o.b), "user ");
    cr_assert(u, "%s", buf_str(&o.b));
    double user = strtod(u + 5, NULL);
    cr_assert_lt(user, 0.8, "0.2 CPUs for 2 s used %.2f s of CPU", user);
    buf_release(&o.b);
}
