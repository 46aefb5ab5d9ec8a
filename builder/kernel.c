#include <sched.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "kernel.h"

bool kernel_at_least(const char *want)
{
    struct utsname u;
    unsigned a = 0, b = 0, x = 0, y = 0;
    if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &a, &b) != 2 ||
        sscanf(want, "%u.%u", &x, &y) != 2)
        return false;
    return a > x || (a == x && b >= y);
}

unsigned kernel_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    return 1;
}
