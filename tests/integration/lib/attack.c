/* A static attack helper the sandbox tests copy into a busybox rootfs and run from RUN steps
 * (busybox has no perl or python to make these system calls). Each subcommand prints what it
 * tried and what the kernel answered; the tests grep for the markers.
 *
 *   attack tiocsti          push a command into the controlling terminal's input queue (TIOCSTI)
 *                           through /dev/tty and fds 0-2: "TIOCSTI-INJECTED" or "TIOCSTI-BLOCKED"
 *   attack setcap-inh FILE  give FILE file capabilities (v2 xattr) with every default capability
 *                           inheritable and permitted, effective bit set
 *   attack caps             print this process's Cap* lines from /proc/self/status
 *   attack as ID PROG ARG.. become uid and gid ID (as root does with setuid: permitted and
 *                           effective capabilities go, inheritable ones stay), then exec PROG
 *   attack forks N          fork N children that wait, count those the kernel allowed:
 *                           "FORKS n of N" (then the children are killed)
 *   attack peek PID         try to read /proc/PID/environ, list /proc/PID/fd, read /proc/PID/mem
 *                           (at an address from /proc/PID/maps) and ptrace-attach:
 *                           "PEEK-<what>-OK" or "PEEK-<what>-DENIED"
 *
 * Built by the tests with: cc -static -O2 -o attack attack.c */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

/* built at run time so that the Dockerfile and the step's title never hold the payload */
static void payload(char *buf, size_t n)
{
    snprintf(buf, n, "echo %s_%d\n", "PWNED", 6 * 7);
}

static int inject(int fd, const char *what)
{
    char p[64];
    payload(p, sizeof(p));
    for (const char *c = p; *c; c++) {
        if (ioctl(fd, TIOCSTI, c) < 0) {
            printf("TIOCSTI-BLOCKED %s: %s\n", what, strerror(errno));
            return -1;
        }
    }
    printf("TIOCSTI-INJECTED through %s\n", what);
    return 0;
}

static int cmd_tiocsti(void)
{
    int injected = 0;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0)
        printf("TIOCSTI-BLOCKED open /dev/tty: %s\n", strerror(errno));
    else
        injected |= inject(fd, "/dev/tty") == 0;
    for (int i = 0; i <= 2; i++) {
        char what[16];
        snprintf(what, sizeof(what), "fd %d", i);
        injected |= inject(i, what) == 0;
    }
    printf("tty name of the session: %s\n", ttyname(0) ? ttyname(0) : "none");
    return injected ? 0 : 0; /* the marker says it; the step itself succeeds */
}

static int cmd_setcap_inh(const char *file)
{
    /* VFS_CAP_REVISION_2: magic_etc, then permitted/inheritable for the low and high words */
    const unsigned caps = 0xa80425fbu; /* Docker's 14 defaults */
    struct {
        unsigned magic_etc;
        struct {
            unsigned permitted, inheritable;
        } data[2];
    } v = {VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, {{caps, caps}, {0, 0}}};
    if (setxattr(file, "security.capability", &v, sizeof(v), 0) < 0) {
        printf("SETCAP-FAILED %s: %s\n", file, strerror(errno));
        return 1;
    }
    printf("SETCAP-OK %s\n", file);
    return 0;
}

static int cmd_caps(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "Cap", 3) || !strncmp(line, "Uid:", 4))
            fputs(line, stdout);
    return f ? 0 : 1;
}

static int cmd_forks(const char *count)
{
    int n = atoi(count), ok = 0;
    pid_t kids[4096];
    for (int i = 0; i < n && i < 4096; i++) {
        pid_t p = fork();
        if (p == 0) {
            pause();
            _exit(0);
        }
        if (p > 0)
            kids[ok++] = p;
    }
    printf("FORKS %d of %d\n", ok, n);
    for (int i = 0; i < ok; i++)
        kill(kids[i], SIGKILL);
    while (wait(NULL) > 0)
        ;
    return 0;
}

static int cmd_as(const char *id, char **argv)
{
    unsigned n = (unsigned)strtoul(id, NULL, 10);
    if (setgroups(0, NULL) < 0 || setresgid(n, n, n) < 0 || setresuid(n, n, n) < 0) {
        printf("AS-FAILED %u: %s\n", n, strerror(errno));
        return 1;
    }
    execv(argv[0], argv);
    printf("AS-FAILED exec %s: %s\n", argv[0], strerror(errno));
    return 127;
}

static unsigned long first_readable(const char *pid)
{
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%s/maps", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("PEEK-maps-DENIED: %s\n", strerror(errno));
        return 0;
    }
    unsigned long start = 0, end;
    char perms[8];
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && perms[0] == 'r')
            break;
    fclose(f);
    printf("PEEK-maps-%s\n", start ? "OK" : "EMPTY");
    return start;
}

static void peek_file(const char *pid, const char *name, unsigned long off)
{
    char path[64], buf[64];
    snprintf(path, sizeof(path), "/proc/%s/%s", pid, name);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf), (off_t)off);
    if (n > 0)
        printf("PEEK-%s-OK (%zd bytes)\n", name, n);
    else
        printf("PEEK-%s-DENIED: %s\n", name, n == 0 ? "empty" : strerror(errno));
    if (fd >= 0)
        close(fd);
}

static void peek_fds(const char *pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%s/fd", pid);
    DIR *d = opendir(path);
    struct dirent *e = NULL;
    errno = 0;
    while (d && (e = readdir(d)) && e->d_name[0] == '.')
        ;
    if (e)
        printf("PEEK-fd-OK (%s)\n", e->d_name);
    else
        printf("PEEK-fd-DENIED: %s\n", d ? "empty" : strerror(errno));
    if (d)
        closedir(d);
}

static int cmd_peek(const char *pid)
{
    peek_file(pid, "environ", 0);
    peek_fds(pid);
    unsigned long at = first_readable(pid);
    peek_file(pid, "mem", at ? at : 0x400000);
    pid_t p = (pid_t)strtol(pid, NULL, 10);
    if (ptrace(PTRACE_SEIZE, p, NULL, NULL) == 0) {
        printf("PEEK-ptrace-OK\n");
        ptrace(PTRACE_DETACH, p, NULL, NULL);
    } else {
        printf("PEEK-ptrace-DENIED: %s\n", strerror(errno));
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && !strcmp(argv[1], "tiocsti"))
        return cmd_tiocsti();
    if (argc == 3 && !strcmp(argv[1], "setcap-inh"))
        return cmd_setcap_inh(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "caps"))
        return cmd_caps();
    if (argc == 3 && !strcmp(argv[1], "forks"))
        return cmd_forks(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "as"))
        return cmd_as(argv[2], argv + 3);
    if (argc == 3 && !strcmp(argv[1], "peek"))
        return cmd_peek(argv[2]);
    fprintf(
        stderr,
        "usage: attack tiocsti | setcap-inh FILE | caps | as ID PROG ARGS | forks N | peek PID\n");
    return 2;
}
