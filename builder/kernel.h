/* What the running kernel offers this process: its version, for the features that came with
 * one (overlayfs in user namespaces with 5.11, the syscalls of the seccomp profile with their
 * minKernel), and the cores it may run on. */
#ifndef KILN_KERNEL_H
#define KILN_KERNEL_H

#include <stdbool.h>

/* True when the running kernel (uname's release) is at least want, "MAJOR.MINOR"; false when
 * either does not read as one. */
bool kernel_at_least(const char *want);
/* The cores this process may run on (its affinity mask, which a container's cpuset limits),
 * at least 1: how many worker threads are worth starting. */
unsigned kernel_cores(void);

#endif
