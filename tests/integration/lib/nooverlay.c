/* nooverlay CMD [ARG...]: runs CMD where mount(2) with no flags fails with EPERM, as in a
 * container whose policy refuses overlay mounts (an AppArmor profile's "deny mount
 * fstype=overlay", a seccomp profile): kiln's only mount without flags is a step's overlay
 * rootfs (every other mount it makes sets MS_NOSUID, MS_BIND, MS_PRIVATE, ...), and a seccomp
 * filter cannot read the file system type. The filter is inherited by every process kiln
 * starts. Needs CAP_SYS_ADMIN (root) or sets no_new_privs. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nooverlay CMD [ARG...]\n");
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, geteuid() == 0 ? 0 : 1) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mount), 1, SCMP_A3(SCMP_CMP_EQ, 0)) <
            0 ||
        seccomp_load(ctx) < 0) {
        fprintf(stderr, "nooverlay: cannot load the seccomp filter\n");
        return 125;
    }
    seccomp_release(ctx);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "nooverlay: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
