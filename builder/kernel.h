/* The running kernel's version, for the features that came with one (overlayfs in user
 * namespaces with 5.11, the syscalls of the seccomp profile with their minKernel). */
#ifndef KILN_KERNEL_H
#define KILN_KERNEL_H

#include <stdbool.h>

/* True when the running kernel (uname's release) is at least want, "MAJOR.MINOR"; false when
 * either does not read as one. */
bool kernel_at_least(const char *want);

#endif
