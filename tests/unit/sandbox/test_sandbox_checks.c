/* What a step sees of its own confinement. */
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

TestSuite(sandbox_checks, .init = setup, .fini = teardown, .timeout = 120);

/* Runs a script that must exit 0 and returns its output (owned). */
static char *run_ok(struct sandbox_spec *spec, const char *script)
{
    struct sbx_out o = {BUF_INIT(1 << 20)};
    kiln_error_t *err = NULL;
    int st = sbx_sh(&env, spec, script, &o, &err);
    cr_assert_eq(st, 0, "status %d: %s: %s", st, err ? err->msg : "", buf_str(&o.b));
    return buf_detach(&o.b);
}

static unsigned long long status_hex(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    cr_assert(p, "%s missing in %s", key, out);
    return strtoull(p + strlen(key), NULL, 16);
}

Test(sandbox_checks, no_new_privs_and_seccomp_filter)
{
    cleanup_free char *out = run_ok(NULL, "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status");
    cr_assert(strstr(out, "NoNewPrivs:\t1"), "%s", out);
    cr_assert(strstr(out, "Seccomp:\t2"), "%s", out);
}

Test(sandbox_checks, bounding_set_is_at_most_dockers_defaults)
{
    cleanup_free char *out = run_ok(NULL, "cat /proc/self/status");
    unsigned long long bnd = status_hex(out, "CapBnd:\t");
    unsigned long long eff = status_hex(out, "CapEff:\t");
    static const int forbidden[] = {21 /* SYS_ADMIN */,
                                    16 /* SYS_MODULE */,
                                    19 /* SYS_PTRACE */,
                                    17 /* SYS_RAWIO */,
                                    12 /* NET_ADMIN */,
                                    25 /* SYS_TIME */,
                                    2 /* DAC_READ_SEARCH */};
    for (size_t i = 0; i < ARRAY_SIZE(forbidden); i++)
        cr_assert_eq(bnd & (1ull << forbidden[i]), 0, "cap %d in %llx", forbidden[i], bnd);
    cr_assert_eq(bnd & ~0xa80425fbull, 0, "bounding %llx beyond Docker's defaults", bnd);
    cr_assert_eq(eff, 0xa80425fbull, "root keeps the 14 defaults, got %llx", eff);
}

Test(sandbox_checks, non_root_user_has_no_capabilities)
{
    struct sandbox_spec spec = {.uid = 1000, .gid = 1000};
    cleanup_free char *out = run_ok(&spec, "id -u; grep -E '^Cap(Prm|Eff):' /proc/self/status");
    cr_assert(str_has_prefix(out, "1000\n"), "%s", out);
    cr_assert(strstr(out, "CapPrm:\t0000000000000000"), "%s", out);
    cr_assert(strstr(out, "CapEff:\t0000000000000000"), "%s", out);
}

Test(sandbox_checks, uid_map_is_not_the_identity)
{
    cleanup_free char *out = run_ok(NULL, "cat /proc/self/uid_map /proc/self/gid_map");
    unsigned a, b, c;
    cr_assert_eq(sscanf(out, " %u %u %u", &a, &b, &c), 3, "%s", out);
    cr_assert_eq(a, 0);
    cr_assert_neq(b, 0, "container root is host root: %s", out);
    cr_assert_lt(c, 4294967295u, "%s", out);
}

Test(sandbox_checks, pid_namespace_holds_only_the_step)
{
    cleanup_free char *out = run_ok(
        NULL, "echo self=$$; ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline | tr '\\0' ' '");
    int self = -1, n = -1;
    cr_assert_eq(sscanf(out, "self=%d\n%d", &self, &n), 2, "%s", out);
    cr_assert_eq(self, 2, "the step is pid 2 under kiln's init: %s", out);
    cr_assert_leq(n, 4, "processes visible: %s", out); /* init, sh, ls, grep */
}

Test(sandbox_checks, hostname_is_not_the_hosts)
{
    char host[256] = "";
    gethostname(host, sizeof(host));
    cleanup_free char *out = run_ok(NULL, "hostname; cat /etc/hostname");
    cr_assert_str_eq(out, "kiln\nkiln\n");
    cr_assert_str_neq(host, "kiln");
    struct sandbox_spec spec = {.hostname = "builder-7"};
    cleanup_free char *out2 = run_ok(&spec, "hostname");
    cr_assert_str_eq(out2, "builder-7\n");
}

Test(sandbox_checks, etc_files_dev_and_network)
{
    cleanup_free char *out =
        run_ok(NULL, "cat /etc/hosts; wc -c < /etc/resolv.conf; ls /dev | tr '\\n' ' '; echo; "
                     "ip -o link | cut -d: -f2 | tr -d ' \\n'; echo; "
                     "grep -c ' /proc/' /proc/self/mountinfo; echo x > /dev/null && head -c 4 "
                     "/dev/zero | wc -c; "
                     "touch /etc/hosts 2>/dev/null && echo hosts-writable; true");
    cr_assert(strstr(out, "127.0.0.1\tlocalhost\n"), "%s", out);
    cr_assert(strstr(out, "\n0\n"), "empty resolv.conf without network: %s", out);
    static const char *const devs[] = {"null", "zero", "full", "random", "urandom",
                                       "tty",  "pts",  "shm",  "ptmx",   "fd"};
    for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
        cr_assert(strstr(out, devs[i]), "/dev/%s missing: %s", devs[i], out);
    cr_assert(strstr(out, "\nlo\n"), "only loopback: %s", out);
    cr_assert_null(strstr(out, "hosts-writable"), "%s", out);
}

Test(sandbox_checks, environment_is_exactly_the_callers)
{
    cleanup_free char *out = run_ok(NULL, "env | sort");
    cr_assert_str_eq(out, "HOME=/root\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/\nSHLVL=1\n");
}

Test(sandbox_checks, descriptors_above_2_are_closed)
{
    cleanup_free char *out = run_ok(NULL, "ls /proc/self/fd | tr '\\n' ' '");
    cr_assert_str_eq(out, "0 1 2 3 ", "%s", out); /* 3: ls's own directory */
}

Test(sandbox_checks, working_directory_is_created)
{
    struct sandbox_spec spec = {.cwd = "/work/dir"};
    cleanup_free char *out = run_ok(&spec, "pwd");
    cr_assert_str_eq(out, "/work/dir\n");
}

Test(sandbox_checks, missing_command_is_an_error)
{
    char *argv[] = {"no-such-cmd", NULL};
    char *envp[] = {"PATH=/bin", NULL};
    sh("rm -rf %s; mkdir -p %s", env.run, env.run);
    struct sandbox_spec spec = {.rootfs.dir = env.rootfs,
                                .run_dir = env.run,
                                .argv = argv,
                                .envp = envp,
                                .idmap = &env.map};
    struct sandbox_result res;
    kiln_error_t *err = NULL;
    cr_assert_eq(sandbox_run(&spec, &res, &err), -1);
    cr_assert(strstr(err->msg, "exec 'no-such-cmd'"), "%s", err->msg);
    kiln_error_free(err);
    sandbox_result_release(&res);
}
