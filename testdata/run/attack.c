/* A tiny static helper copied into test root filesystems: `attack NAME [ARG]` tries one escape
 * or escalation that busybox cannot, prints "ESCAPED NAME" and exits 0 when it worked, prints
 * "BLOCKED NAME: reason" and exits 1 when it did not. Built at test time with cc -static. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static int result(const char *name, long r)
{
    if (r >= 0) {
        printf("ESCAPED %s\n", name);
        return 0;
    }
    printf("BLOCKED %s: %s\n", name, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    const char *n = argc > 1 ? argv[1] : "";
    long arg = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    if (!strcmp(n, "mount"))
        return result(n, mount("none", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(n, "umount"))
        return result(n, umount2("/proc", MNT_DETACH));
    if (!strcmp(n, "pivot_root")) {
        mkdir("/tmp/old", 0755);
        return result(n, syscall(SYS_pivot_root, "/tmp", "/tmp/old"));
    }
    if (!strcmp(n, "unshare-user"))
        return result(n, unshare(CLONE_NEWUSER));
    if (!strcmp(n, "unshare-mount"))
        return result(n, unshare(CLONE_NEWNS));
    if (!strcmp(n, "keyctl"))
        return result(n, syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "kiln-attack"));
    if (!strcmp(n, "bpf")) {
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.map_type = BPF_MAP_TYPE_ARRAY, a.key_size = 4, a.value_size = 4, a.max_entries = 1;
        return result(n, syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)));
    }
    if (!strcmp(n, "ptrace"))
        return result(n, ptrace(PTRACE_ATTACH, (pid_t)arg, NULL, NULL));
    if (!strcmp(n, "mknod-block"))
        return result(n, mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)));
    if (!strcmp(n, "euid")) { /* a setuid-root copy of this binary: did it gain root? */
        printf("euid=%d\n", (int)geteuid());
        return geteuid() == 0 ? 0 : 1;
    }
    if (!strcmp(n, "chroot-escape")) {
        mkdir("/tmp/c", 0755);
        if (chroot("/tmp/c") < 0)
            return result(n, -1);
        for (int i = 0; i < 64; i++)
            chdir("..");
        chroot(".");
        return result(n, access("/proc/1/root/etc/kiln-host-marker", F_OK) == 0 ||
                                 access("/etc/kiln-host-marker", F_OK) == 0
                             ? 0
                             : (errno = ENOENT, -1));
    }
    if (!strcmp(n, "setcap") && argc > 2) { /* cap_net_bind_service=ep, a v2 xattr */
        unsigned char v[20] = {0};
        unsigned magic = 0x02000001, perm = 1u << 10;
        memcpy(v, &magic, 4);
        memcpy(v + 4, &perm, 4);
        return result(n, setxattr(argv[2], "security.capability", v, sizeof(v), 0));
    }
    fprintf(stderr, "attack: unknown '%s'\n", n);
    return 2;
}
