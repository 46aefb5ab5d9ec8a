/* A stand-in for kiln in tests/integration/test_testlib.sh, built there with ASan + UBSan as
 * scripts/build asan builds kiln: `fake-kiln build MODE` prints a kiln-style error, then makes a
 * real sanitizer finding when MODE asks for one (as a bug in an error path would), and exits 1:
 *   clean  no finding (the control: the test library must let this pass)
 *   asan   a heap buffer overflow (ASan reports, exits 1)
 *   ubsan  a signed overflow (UBSan reports; -fno-sanitize-recover: exits 1)
 *   leak   a lost allocation (LeakSanitizer reports at exit) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocations whose last pointer is gone, then a stack wipe: no stale copy of a pointer on the
 * stack or in a register can keep them reachable for LeakSanitizer's conservative scan. */
__attribute__((noinline)) static void lose(void)
{
    char *volatile p = malloc(64);
    memset(p, 1, 64);
    p = NULL;
}

__attribute__((noinline)) static void wipe_stack(void)
{
    volatile char buf[8192];
    memset((char *)buf, 0, sizeof(buf));
}

int main(int argc, char **argv)
{
    const char *mode = argc > 2 ? argv[2] : "clean";
    fprintf(stderr, "kiln: Dockerfile:1: FROM: base image not found\n");
    if (!strcmp(mode, "asan")) {
        char *volatile p = malloc(8);
        printf("%d\n", p[8 + argc]);
    } else if (!strcmp(mode, "ubsan")) {
        volatile int big = 2147483647;
        printf("%d\n", big + argc);
    } else if (!strcmp(mode, "leak")) {
        for (int i = 0; i < 16; i++)
            lose();
        wipe_stack();
    }
    return 1;
}
