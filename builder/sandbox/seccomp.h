/* moby's default seccomp profile, embedded at build time and compiled to BPF at run time with
 * libseccomp for the capabilities a step keeps. */
#ifndef KILN_SANDBOX_SECCOMP_H
#define KILN_SANDBOX_SECCOMP_H

#include <linux/filter.h>
#include <stdint.h>

#include "kiln/error.h"

/* Compiles the profile for a process whose capability sets are at most caps (a bit mask of
 * CAP_*): rules that "include" a capability outside caps are left out, rules that "exclude" one in
 * caps too. prog->filter is owned by the caller (free()). */
int sbx_seccomp_build(uint64_t caps, struct sock_fprog *prog, kiln_error_t **err);

/* Loads prog into the calling thread (no_new_privs must already be set). Async-signal-safe. */
int sbx_seccomp_load(const struct sock_fprog *prog);

#endif
