/* Before its first step, the sandbox checks once that the machine, or the container kiln runs
 * in, lets it build what a step needs: a user namespace of the step's own, mount, pid, network,
 * ipc and uts namespaces, mounts in them, a fresh proc in the step's pid namespace, and for the
 * default network a tun device the step's pasta may open. A throwaway child does what the
 * sandbox does; what is refused comes back as an error that names it, says why it is refused
 * here (a seccomp profile, a masked /proc, a sysctl, a missing device) and how to allow it.
 *
 * Nothing is weakened to fit: a check that fails fails every step (KILN_ESANDBOX). The one
 * refusal let through is not isolation: a seccomp profile that refuses sethostname (podman's
 * default without CAP_SYS_ADMIN) leaves the step in its own uts namespace with the hostname it
 * inherited, and a warning says so once. A capability bounding set without some of Docker's
 * default capabilities (a container that drops them) gives steps fewer: a warning names them. */
#ifndef KILN_SANDBOX_PREFLIGHT_H
#define KILN_SANDBOX_PREFLIGHT_H

#include <stdbool.h>

#include "kiln/error.h"
#include "sandbox/sandbox.h"

/* Checks what spec needs (the probe runs once per process, its result is kept; the tun device
 * is checked for every step on the default network). Warnings, the first time only, are
 * appended to *warnings (*n entries, strv_push). -1 with KILN_ESANDBOX. */
int sbx_preflight(const struct sandbox_spec *spec, char ***warnings, size_t *n, kiln_error_t **err);

/* The probe found sethostname refused by a seccomp profile: the child keeps the hostname. */
bool sbx_preflight_hostname_refused(void);

/* Why a user namespace (given the errno) or a namespace or mount is refused here, and how to
 * allow it, from what hostenv.h sees: a static string, "" when nothing explains it. */
const char *sbx_preflight_userns_hint(int errnum);
const char *sbx_preflight_seccomp_hint(void);
/* Why newuidmap or newgidmap (helper, a path) failed to write a map, as far as kiln can tell. */
const char *sbx_preflight_idhelper_hint(const char *helper);

#endif
