/* The file system a store lives on must hold what kiln keeps in it: snapshots carry overlay
 * whiteouts (0:0 character devices) and steps mount overlays whose upper directory is in the
 * store. An overlay file system (a container's own root, where kiln's default store lands when
 * no volume is mounted there) refuses both: say so when the store is opened, naming the fix,
 * rather than failing in the middle of a build on the first deleted file. */
#include <errno.h>
#include <sys/vfs.h>

#include "store.h"

#define OVERLAYFS_MAGIC 0x794c7630

int store_check_fs(const char *root, int rootfd, kiln_error_t **err)
{
    struct statfs fs;
    if (fstatfs(rootfd, &fs) < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s': statfs", root);
    if (fs.f_type != OVERLAYFS_MAGIC)
        return 0;
    return kiln_err(err, KILN_EUSAGE, 0,
                    "store '%s' is on an overlay file system (a container's own root?), which "
                    "cannot hold the overlay whiteouts of kiln's snapshots nor the upper "
                    "directory of a step: mount a volume there (podman or docker run -v "
                    "kiln-store:%s, a Kubernetes emptyDir) or give --root (or KILN_ROOT) a "
                    "directory on one",
                    root, root);
}
