/* DATA mounts (secrets) on their way into a step: the parent copies each one into a sealed
 * memfd before the clone, the child copies the memfd into its private tmpfs (see data.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "data.h"
#include "fsutil.h"

static int data_memfd(const struct sandbox_mount *m, kiln_error_t **err)
{
    int fd = memfd_create("kiln-data", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "sandbox: memfd for '%s'", m->target);
    if ((m->len && write_all(fd, m->data, m->len) < 0) ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        kiln_err_errno(err, KILN_ESANDBOX, "sandbox: memfd for '%s'", m->target);
        close(fd);
        return -1;
    }
    return fd;
}

int sbx_data_prepare(const struct sandbox_spec *s, int fds[SANDBOX_MAX_MOUNTS], kiln_error_t **err)
{
    for (size_t i = 0; i < SANDBOX_MAX_MOUNTS; i++)
        fds[i] = -1;
    for (size_t i = 0; i < s->nmounts; i++) {
        if (s->mounts[i].type != SANDBOX_MOUNT_DATA)
            continue;
        if ((fds[i] = data_memfd(&s->mounts[i], err)) < 0) {
            sbx_data_close(fds);
            return -1;
        }
    }
    return 0;
}

void sbx_data_close(int fds[SANDBOX_MAX_MOUNTS])
{
    for (size_t i = 0; i < SANDBOX_MAX_MOUNTS; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

int sbx_data_copy(int from, int to, size_t len)
{
    off_t off = 0;
    while ((size_t)off < len) {
        ssize_t n = sendfile(to, from, &off, len - (size_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? (errno = EIO, -1) : -1;
    }
    return 0;
}
