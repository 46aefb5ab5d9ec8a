/* Extra mounts of a step: DATA (secrets), TMPFS and BIND. */
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

TestSuite(sandbox_mounts, .init = setup, .fini = teardown, .timeout = 120);

static char *run_ok(struct sandbox_spec *spec, const char *script)
{
    struct sbx_out o = {BUF_INIT(1 << 20)};
    kiln_error_t *err = NULL;
    int st = sbx_sh(&env, spec, script, &o, &err);
    cr_assert_eq(st, 0, "status %d: %s: %s", st, err ? err->msg : "", buf_str(&o.b));
    kiln_error_free(err);
    return buf_detach(&o.b);
}

Test(sandbox_mounts, data_is_a_read_only_file_with_its_owner_and_mode)
{
    static const char value[] = "v3ry-s3cret\n";
    struct sandbox_mount m = {.type = SANDBOX_MOUNT_DATA,
                              .target = "/run/secrets/tok",
                              .data = value,
                              .len = sizeof(value) - 1,
                              .mode = 0440,
                              .uid = 1000,
                              .gid = 7};
    struct sandbox_spec spec = {.mounts = &m, .nmounts = 1};
    cleanup_free char *out =
        run_ok(&spec, "stat -c '%a %u %g' /run/secrets/tok; cat /run/secrets/tok; "
                      "if echo x > /run/secrets/tok; then echo WRITABLE; fi 2>/dev/null; "
                      "grep ' /run/secrets/tok ' /proc/mounts | grep -o 'ro,nosuid,nodev,noexec'");
    cr_expect_str_eq(out, "440 1000 7\nv3ry-s3cret\nro,nosuid,nodev,noexec\n", "%s", out);
}

Test(sandbox_mounts, data_never_touches_the_host_and_leaves_only_stubs)
{
    static const char value[] = "on-a-private-tmpfs";
    struct sandbox_mount m = {.type = SANDBOX_MOUNT_DATA,
                              .target = "/run/secrets/a",
                              .data = value,
                              .len = sizeof(value) - 1};
    struct sandbox_spec spec = {.mounts = &m, .nmounts = 1};
    cleanup_free char *out = run_ok(&spec, "stat -c '%a %u %g' /run/secrets/a");
    cr_expect_str_eq(out, "400 0 0\n");
    /* the host's run/data is an empty directory; the rootfs holds empty stubs only */
    cr_expect_eq(sh("test -z \"$(ls -A %s/data)\"", env.run), 0);
    cr_expect_eq(
        sh("test -f %s/run/secrets/a && test ! -s %s/run/secrets/a", env.rootfs, env.rootfs), 0);
    cr_expect_neq(sh("grep -rqs on-a-private-tmpfs %s %s", env.run, env.rootfs), 0);
}

Test(sandbox_mounts, data_owner_must_be_mapped)
{
    struct sandbox_mount m = {
        .type = SANDBOX_MOUNT_DATA, .target = "/s", .data = "x", .len = 1, .uid = IDMAP_COUNT + 5};
    struct sandbox_spec spec = {.mounts = &m, .nmounts = 1};
    struct sbx_out o = {BUF_INIT(1 << 20)};
    kiln_error_t *err = NULL;
    cr_expect_eq(sbx_sh(&env, &spec, "true", &o, &err), -1);
    cr_expect(err && strstr(err->msg, "not mapped"), "%s", err ? err->msg : "");
    kiln_error_free(err);
    buf_release(&o.b);
}

Test(sandbox_mounts, tmpfs_has_its_size_limit)
{
    struct sandbox_mount m = {.type = SANDBOX_MOUNT_TMPFS, .target = "/scratch", .size = 1 << 20};
    struct sandbox_spec spec = {.mounts = &m, .nmounts = 1};
    cleanup_free char *out = run_ok(
        &spec,
        "dd if=/dev/zero of=/scratch/f bs=1024 count=2048 2>/dev/null && echo FITS || echo FULL");
    cr_expect_str_eq(out, "FULL\n");
}

Test(sandbox_mounts, read_only_bind_of_a_host_directory)
{
    char src[400];
    snprintf(src, sizeof(src), "%s/src", env.tmp);
    cr_assert_eq(
        sh("mkdir -p %s && echo hi > %s/f && chmod 755 %s && chmod 644 %s/f", src, src, src, src),
        0);
    struct sandbox_mount m = {
        .type = SANDBOX_MOUNT_BIND, .source = src, .target = "/src", .flags = SANDBOX_MNT_RO};
    struct sandbox_spec spec = {.mounts = &m, .nmounts = 1};
    cleanup_free char *out = run_ok(&spec, "cat /src/f; touch /src/g 2>/dev/null || echo RO");
    cr_expect_str_eq(out, "hi\nRO\n");
}
