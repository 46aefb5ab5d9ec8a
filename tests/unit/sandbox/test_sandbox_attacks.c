/* The attack suite: each test runs a step that tries one escape or escalation and asserts that
 * it failed. Attacks busybox cannot do go through testdata/run/attack.c, built static here. */
#include <signal.h>
#include <sys/wait.h>

#include "../skipcheck.h"
#include "sbx_helpers.h"

static struct sbx_env env;

static void setup(void)
{
    sbx_env_init(&env);
    uint32_t u = env.map.mode == IDMAP_ROOT ? env.map.uids[0].outside : getuid();
    uint32_t g = env.map.mode == IDMAP_ROOT ? env.map.gids[0].outside : getgid();
    cr_assert_eq(
        sh("set -e; cc -static -O2 -o %s/bin/attack %s/testdata/run/attack.c; "
           "cp %s/bin/attack %s/bin/attack-suid; chown %u:%u %s/bin/attack %s/bin/attack-suid; "
           "chmod 4755 %s/bin/attack-suid",
           env.rootfs, KILN_SOURCE_DIR, env.rootfs, env.rootfs, u, g, env.rootfs, env.rootfs,
           env.rootfs),
        0);
}

static void teardown(void)
{
    sbx_env_fini(&env);
}

TestSuite(sandbox_attacks, .init = setup, .fini = teardown, .timeout = 180);

/* What busybox prints when the kernel refuses (its mount says "permission denied" for EPERM) */
#define EPERM_MSG "Operation not permitted"
#define EROFS_MSG "Read-only file system"

struct outcome {
    int status;
    char *out;
    kiln_error_t *err;
};

static struct outcome attempt(struct sandbox_spec *spec, const char *script)
{
    struct sbx_out o = {BUF_INIT(1 << 20)};
    struct outcome r = {0};
    r.status = sbx_sh(&env, spec, script, &o, &r.err);
    r.out = buf_detach(&o.b);
    return r;
}

/* The step ran (no sandbox error), the attack failed, and for the reason expected: the output
 * holds want (the attack helper's "BLOCKED NAME:" marker, or the error busybox printed), so an
 * attack that fails for another reason (a missing file, a typo) does not count as blocked. */
static void assert_blocked(const char *name, const char *script, const char *want)
{
    struct outcome r = attempt(NULL, script);
    cr_assert_null(r.err, "%s: %s", name, r.err ? r.err->msg : "");
    cr_assert_neq(r.status, 0, "%s succeeded: %s", name, r.out);
    cr_assert_null(strstr(r.out, "ESCAPED"), "%s: %s", name, r.out);
    cr_assert_not_null(strstr(r.out, want), "%s: no '%s' in the output: %s", name, want, r.out);
    free(r.out);
}

Test(sandbox_attacks, mount)
{
    assert_blocked("mount", "attack mount", "BLOCKED mount:");
    assert_blocked("busybox mount", "mkdir /tmp/m && mount -t tmpfs none /tmp/m",
                   "mount: permission denied");
}

Test(sandbox_attacks, umount)
{
    assert_blocked("umount", "attack umount", "BLOCKED umount:");
    assert_blocked("busybox umount", "umount -l /proc", EPERM_MSG);
}

Test(sandbox_attacks, pivot_root)
{
    assert_blocked("pivot_root", "attack pivot_root", "BLOCKED pivot_root:");
}

Test(sandbox_attacks, unshare_user_and_mount_namespaces)
{
    assert_blocked("unshare -U", "attack unshare-user", "BLOCKED unshare-user:");
    assert_blocked("unshare -m", "attack unshare-mount", "BLOCKED unshare-mount:");
}

Test(sandbox_attacks, keyctl)
{
    assert_blocked("keyctl", "attack keyctl", "BLOCKED keyctl:");
}

Test(sandbox_attacks, bpf)
{
    assert_blocked("bpf", "attack bpf", "BLOCKED bpf:");
}

Test(sandbox_attacks, ptrace_of_a_process_outside_and_of_init)
{
    pid_t victim = fork();
    if (victim == 0) {
        execl("/bin/sleep", "sleep", "60", (char *)NULL);
        _exit(127);
    }
    char script[128];
    snprintf(script, sizeof(script), "attack ptrace %d", (int)victim);
    assert_blocked("ptrace outside", script, "BLOCKED ptrace:");
    assert_blocked("ptrace init", "attack ptrace 1", "BLOCKED ptrace:");
    kill(victim, SIGKILL);
    waitpid(victim, NULL, 0);
}

Test(sandbox_attacks, reading_proc_kcore_and_keys)
{
    struct outcome r =
        attempt(NULL, "for f in kcore keys timer_list sched_debug; do "
                      "echo $f=$(head -c 64 /proc/$f 2>/dev/null | wc -c); done; "
                      "find /proc/acpi /proc/scsi /sys/firmware -mindepth 1 2>/dev/null | wc -l");
    cr_assert_null(r.err);
    cr_assert_str_eq(r.out, "kcore=0\nkeys=0\ntimer_list=0\nsched_debug=0\n0\n", "%s", r.out);
    free(r.out);
}

Test(sandbox_attacks, writing_proc_sys_and_sys)
{
    assert_blocked("/proc/sys", "echo 1 > /proc/sys/kernel/ns_last_pid", EROFS_MSG);
    assert_blocked("/proc/sys vm", "echo 3 > /proc/sys/vm/drop_caches", EROFS_MSG);
    if (access("/proc/sysrq-trigger", F_OK) == 0)
        assert_blocked("/proc/sysrq-trigger", "echo h > /proc/sysrq-trigger", EROFS_MSG);
    else
        test_skip_check("writing /proc/sysrq-trigger", "the host has no /proc/sysrq-trigger");
    assert_blocked("/sys", "echo /tmp/x > /sys/kernel/uevent_helper", EROFS_MSG);
    assert_blocked("/sys touch", "touch /sys/kiln-attack", EROFS_MSG);
}

Test(sandbox_attacks, mknod_block_device)
{
    assert_blocked("mknod", "attack mknod-block", "BLOCKED mknod-block:");
    assert_blocked("busybox mknod", "mknod /tmp/sda b 8 0", EPERM_MSG);
}

Test(sandbox_attacks, chroot_escape)
{
    sh("touch /etc/kiln-host-marker");
    assert_blocked("chroot escape", "attack chroot-escape", "BLOCKED chroot-escape:");
    sh("rm -f /etc/kiln-host-marker");
}

Test(sandbox_attacks, reaching_a_server_on_the_hosts_loopback)
{
    int port = 20000 + getpid() % 20000;
    pid_t srv = fork();
    if (srv == 0) {
        char p[16];
        snprintf(p, sizeof(p), "%d", port);
        execl("/bin/busybox", "nc", "-l", "-p", p, (char *)NULL);
        _exit(127);
    }
    usleep(300 * 1000);
    char script[256];
    snprintf(script, sizeof(script), "echo hi | nc -w 2 127.0.0.1 %d && echo CONNECTED", port);
    struct outcome r = attempt(NULL, script);
    cr_assert_null(r.err);
    cr_assert_null(strstr(r.out, "CONNECTED"), "%s", r.out);
    free(r.out);
    /* the server is really there: the host reaches it */
    snprintf(script, sizeof(script), "echo hi | busybox nc -w 2 127.0.0.1 %d", port);
    cr_assert_eq(sh("%s", script), 0, "the test server did not listen");
    kill(srv, SIGKILL);
    waitpid(srv, NULL, 0);
}

Test(sandbox_attacks, setuid_root_binary_under_a_non_root_user)
{
    struct sandbox_spec spec = {.uid = 1000, .gid = 1000};
    struct outcome r = attempt(&spec, "ls -l /bin/attack-suid; attack-suid euid");
    cr_assert_null(r.err);
    cr_assert(strstr(r.out, "rws"), "the helper is not setuid: %s", r.out);
    cr_assert(strstr(r.out, "euid=1000"), "%s", r.out);
    cr_assert_neq(r.status, 0);
    free(r.out);
}

Test(sandbox_attacks, fork_bomb_stopped_by_the_pids_limit)
{
    struct sandbox_spec spec = {.limits = {.pids = 32, .timeout_sec = 60}};
    struct outcome r = attempt(&spec, "f() { f | f & }; f; sleep 30");
    cr_assert_not_null(r.err, "the fork bomb ran to its end: %s", r.out);
    cr_assert_str_eq(r.err->msg, "pids limit of 32 exceeded");
    kiln_error_free(r.err);
    free(r.out);
}

Test(sandbox_attacks, memory_hog_stopped_by_the_memory_limit)
{
    struct sandbox_spec spec = {.limits = {.memory = 64u << 20, .timeout_sec = 60}};
    struct outcome r = attempt(&spec, "x=$(head -c 300000000 /dev/zero | tr '\\0' a); echo ${#x}");
    cr_assert_not_null(r.err, "the hog ran to its end: %s", r.out);
    cr_assert_str_eq(r.err->msg, "memory limit of 64 MiB exceeded");
    kiln_error_free(r.err);
    free(r.out);
}

Test(sandbox_attacks, step_timeout)
{
    struct sandbox_spec spec = {.limits = {.timeout_sec = 1}};
    struct outcome r = attempt(&spec, "sleep 30");
    cr_assert_not_null(r.err);
    cr_assert_str_eq(r.err->msg, "step timeout of 1 s exceeded");
    kiln_error_free(r.err);
    free(r.out);
}

static bool process_with_arg(const char *arg)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "for p in /proc/[0-9]*; do { tr '\\0' ' ' < $p/cmdline; } 2>/dev/null; "
             "echo; done | grep -q -- '%s'",
             arg);
    return sh("%s", cmd) == 0;
}

Test(sandbox_attacks, background_process_is_gone_after_the_step)
{
    struct outcome r =
        attempt(NULL, "sleep 4242 & sleep 4243 </dev/null >/dev/null 2>&1 & echo started");
    cr_assert_null(r.err);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "started\n");
    /* [2]: the pattern does not match the grep looking for it */
    cr_assert(!process_with_arg("sleep 424[2]"), "a background sleep survived the step");
    cr_assert(!process_with_arg("sleep 424[3]"), "a detached background sleep survived the step");
    free(r.out);
}

Test(sandbox_attacks, no_mount_left_in_the_hosts_table)
{
    struct outcome r = attempt(NULL, "true");
    cr_assert_null(r.err);
    free(r.out);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "grep -q '%s' /proc/self/mountinfo", env.tmp);
    cr_assert_neq(sh("%s", cmd), 0, "a sandbox mount is left in the host's mount table");
}
