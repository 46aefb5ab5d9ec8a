/* Process attributes of the sandbox child, its init and the step that keep them apart from kiln
 * and the user's terminal (see harden.h). */
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "harden.h"
#include "secmem.h"

int sbx_harden_child_start(const struct sbx_child *c)
{
    /* the secret values and the leak scanner, which kiln's helper children keep: not the
     * step's init (a DATA mount comes through a memfd, sandbox/data.h) */
    secmem_drop_helpers();
    /* a new session: no controlling terminal, not in kiln's session or process group */
    if (setsid() < 0)
        return -1;
    /* kiln is not dumpable, and neither is this copy of it; but /proc/PID/uid_map of a
     * non-dumpable process belongs to root, and newuidmap (or kiln itself, unprivileged) must
     * write it: dumpable until the map is written (sbx_harden_after_map), as runc does */
    if (c->spec->idmap->mode != IDMAP_ROOT && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        return -1;
    return 0;
}

int sbx_harden_after_map(void)
{
    /* from here on this process is the step's init: never dumpable, so nothing in the step
     * (and no other process of the same user) reads its memory, environ or descriptors */
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int sbx_harden_step(void)
{
    /* the step leads its own session and process group: kill(0) and TIOCSTI reach only it */
    return setsid() < 0 ? -1 : 0;
}
