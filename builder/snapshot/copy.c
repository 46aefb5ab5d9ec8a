/* The copy snapshotter's rootfs: the snapshot directories applied one over the other into a
 * plain directory, as overlayfs would show them. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsutil.h"
#include "snapshot/fcaps.h"
#include "snapshot/snapshotter.h"
#include "util.h"

#define COPY_MAX_DEPTH 1024

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int fd)
{
    char v[2];
    return (fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') ||
           (fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
}

/* The kept xattrs; a file capability only when it holds inside the map (fcaps.h). */
static void copy_xattrs(int from, int to, const struct idshift *sh)
{
    char names[4096];
    ssize_t len = flistxattr(from, names, sizeof(names));
    for (char *n = names; len > 0 && n < names + len; n += strlen(n) + 1) {
        bool caps = strcmp(n, "security.capability") == 0;
        if (!caps && (!str_has_prefix(n, "user.") || str_has_prefix(n, "user.overlay.")))
            continue;
        char v[65536];
        ssize_t vn = fgetxattr(from, n, v, sizeof(v));
        if (vn >= 0 && (!caps || fcaps_disk_ok(v, (size_t)vn, sh)))
            fsetxattr(to, n, v, (size_t)vn, 0);
    }
}

/* Owner, mode and times of st on name in dfd (symlinks: owner and times only). */
static int set_meta(int dfd, const char *name, const struct stat *st, int srcfd,
                    const struct idshift *sh)
{
    if (fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (S_ISLNK(st->st_mode))
        return utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fchmod(fd, st->st_mode & 07777) < 0)
        return -1;
    if (srcfd >= 0)
        copy_xattrs(srcfd, fd, sh);
    return futimens(fd, ts);
}

static int copy_file(int sfd, int dfd, const char *name, const struct stat *st,
                     const struct idshift *sh)
{
    if (S_ISLNK(st->st_mode)) {
        char t[4097];
        ssize_t n = readlinkat(sfd, name, t, sizeof(t) - 1);
        if (n < 0)
            return -1;
        t[n] = '\0';
        return symlinkat(t, dfd, name) < 0 ? -1 : set_meta(dfd, name, st, -1, sh);
    }
    if (!S_ISREG(st->st_mode)) {
        if (mknodat(dfd, name, st->st_mode & (S_IFMT | 0600), st->st_rdev) < 0)
            return -1;
        return set_meta(dfd, name, st, -1, sh);
    }
    cleanup_close int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int out =
        openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (in < 0 || out < 0)
        return -1;
    for (off_t left = st->st_size; left > 0;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0) {
            kiln_error_t *e = NULL;
            int r = n == 0 ? 0 : copy_fd(in, out, &e);
            kiln_error_free(e);
            if (r < 0 || n == 0)
                return r;
            break;
        }
        left -= n;
    }
    close(out);
    out = -1;
    return set_meta(dfd, name, st, in, sh);
}

static int apply_dir(int sfd, int dfd, int depth, const struct idshift *sh, kiln_error_t **err);

static int apply_entry(int sfd, int dfd, const char *name, int depth, const struct idshift *sh,
                       kiln_error_t **err)
{
    struct stat st, cur;
    if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return kiln_err_errno(err, KILN_EIO, "copy '%s'", name);
    bool exists = fstatat(dfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && (!S_ISDIR(st.st_mode) || !S_ISDIR(cur.st_mode) || is_whiteout(&st))) {
        if (rm_rf_at(dfd, name, err) < 0)
            return -1;
        exists = false;
    }
    if (is_whiteout(&st))
        return 0;
    if (!S_ISDIR(st.st_mode))
        return copy_file(sfd, dfd, name, &st, sh) < 0
                   ? kiln_err_errno(err, KILN_EIO, "copy '%s'", name)
                   : 0;
    cleanup_close int s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0)
        return kiln_err_errno(err, KILN_EIO, "copy '%s'", name);
    if (exists && is_opaque(s) && (rm_rf_at(dfd, name, err) < 0 || (exists = false)))
        return -1;
    if (!exists && mkdirat(dfd, name, 0700) < 0)
        return kiln_err_errno(err, KILN_EIO, "copy '%s'", name);
    cleanup_close int d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0 || apply_dir(s, d, depth + 1, sh, err) < 0)
        return d < 0 ? kiln_err_errno(err, KILN_EIO, "copy '%s'", name) : -1;
    return set_meta(dfd, name, &st, s, sh) < 0 ? kiln_err_errno(err, KILN_EIO, "copy '%s'", name)
                                               : 0;
}

static int apply_dir(int sfd, int dfd, int depth, const struct idshift *sh, kiln_error_t **err)
{
    if (depth > COPY_MAX_DEPTH)
        return kiln_err(err, KILN_ELIMIT, 0, "copy: tree too deep");
    int fd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd < 0 ? NULL : fdopendir(fd);
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return kiln_err_errno(err, KILN_EIO, "copy: read directory");
    }
    cleanup_dir DIR *dd = dir;
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (apply_entry(sfd, dfd, e->d_name, depth, sh, err) < 0)
            return -1;
    }
    return 0;
}

int copy_layers(char *const *layers, size_t n, int destfd, const struct idshift *sh,
                kiln_error_t **err)
{
    for (size_t i = 0; i < n; i++) {
        cleanup_close int s = open(layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s < 0)
            return kiln_err_errno(err, KILN_EIO, "open layer '%s'", layers[i]);
        if (apply_dir(s, destfd, 0, sh, err) < 0)
            return kiln_err_wrap(err, "layer '%s'", layers[i]);
    }
    return 0;
}
