/* The local and tar outputs: the final stage's files (oci/flatten.h), as a directory or one tar.
 *
 * type=tar is the image's root filesystem as data: owners, modes, links, device entries and
 * xattrs as the layers hold them (BuildKit's tar exporter maps them to the image's ids too).
 *
 * type=local writes files on the host, so it is stricter than buildx's local exporter (which
 * writes every file as the invoking user, as kiln does, but keeps setuid bits, creates device
 * nodes when run as root, sets every xattr, and merges into an existing directory):
 *   - files belong to the invoking user (as buildx);
 *   - setuid and setgid bits are dropped (a setuid binary of an untrusted build must not become
 *     a host setuid program, whoever runs kiln); a warning counts them;
 *   - device nodes, FIFOs and sockets are not created (a warning counts them);
 *   - only user.* xattrs are written (security.capability would give file capabilities on the
 *     host, trusted.* and security.* are the host's business);
 *   - every path is created beneath a new directory without following symlinks, which is then
 *     renamed to dest: dest must be missing or an empty directory, never merged into (a merge
 *     cannot be atomic and would write through symlinks already in dest).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build.h"
#include "export.h"
#include "fsutil.h"
#include "oci/flatten.h"
#include "tar/handles.h"
#include "util.h"

#define COPY_BUF (128 * 1024)

/* ---- type=tar ---- */

struct tar_sink {
    struct archive *a;
    char *buf;
};

static int tar_entry(void *ctx, struct archive_entry *e, struct flatten_data *d, kiln_error_t **err)
{
    struct tar_sink *t = ctx;
    const char *path = archive_entry_pathname(e);
    if (archive_entry_filetype(e) == AE_IFDIR) { /* a trailing '/' as tar writes directories */
        cleanup_free char *dir = xasprintf("%s/", path);
        archive_entry_copy_pathname(e, dir);
    }
    if (!d && archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
        archive_entry_set_size(e, 0);
    if (archive_write_header(t->a, e) != ARCHIVE_OK)
        return kiln_err(err, KILN_EIO, 0, "write '%s': %s", path, archive_error_string(t->a));
    ssize_t n;
    while (d && (n = flatten_read(d, t->buf, COPY_BUF)) > 0)
        if (archive_write_data(t->a, t->buf, (size_t)n) != n)
            return kiln_err(err, KILN_EIO, 0, "write '%s': %s", path, archive_error_string(t->a));
    if (d && n < 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "read '%s'", path);
    return 0;
}

static int tmp_dir(struct build *b, kiln_error_t **err)
{
    int fd = openat(b->store->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? kiln_err_errno(err, KILN_EIO, "open '%s/tmp'", b->store->root) : fd;
}

static int write_rootfs_tar(struct build *b, struct build_stage *final, int fd, kiln_error_t **err)
{
    cleanup_close int tmpfd = tmp_dir(b, err);
    if (tmpfd < 0)
        return -1;
    cleanup_archive_write struct archive *a = archive_write_new();
    cleanup_free char *buf = xmalloc(COPY_BUF);
    struct tar_sink t = {a, buf};
    struct flatten_sink sink = {&t, tar_entry};
    struct flatten_stats st;
    int rc = 0;
    /* the same bytes to a file and to a pipe: no padding of the last block */
    if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(t.a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(t.a, fd) != ARCHIVE_OK)
        rc = kiln_err(err, KILN_EIO, 0, "tar: %s", archive_error_string(t.a));
    if (rc == 0)
        rc = flatten_layers(b->store, final->img->layers, final->img->nlayers, tmpfd, b->epoch,
                            &sink, &st, err);
    if (rc == 0 && archive_write_close(t.a) != ARCHIVE_OK)
        rc = kiln_err(err, KILN_EIO, 0, "tar: %s", archive_error_string(t.a));
    if (rc == 0 && st.dropped)
        step_log(b, KILN_LOG_WARN,
                 "output: %zu entries under a path that is not a directory "
                 "were left out",
                 st.dropped);
    return rc;
}

int export_tar(struct build *b, struct build_stage *final, const char *dest, kiln_error_t **err)
{
    if (!strcmp(dest, "-")) {
        if (isatty(STDOUT_FILENO))
            return kiln_err(err, KILN_EUSAGE, 0,
                            "dest file is required for tar exporter. refusing to write to "
                            "console");
        return write_rootfs_tar(b, final, STDOUT_FILENO, err) < 0
                   ? kiln_err_wrap(err, "write to stdout")
                   : 0;
    }
    struct stat st;
    if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EUSAGE, 0, "destination file %s is a directory", dest);
    cleanup_free char *tmp = xasprintf("%s.kiln-tmp-XXXXXX", dest);
    random_name(tmp + strlen(tmp) - 6, 6);
    cleanup_close int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
    int rc = write_rootfs_tar(b, final, fd, err);
    if (rc == 0 && fsync(fd) < 0)
        rc = kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    if (rc == 0 && rename(tmp, dest) < 0)
        rc = kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    if (rc < 0)
        unlink(tmp);
    return rc < 0 ? kiln_err_wrap(err, "output '%s'", dest) : 0;
}

/* ---- type=local ---- */

struct local_dir {
    char *path;
    mode_t perm;
    struct timespec mtime;
};

struct local_sink {
    int rootfd;
    char *buf;
    struct local_dir *dirs; /* their modes and times are set last (a 0555 directory is filled) */
    size_t ndirs, dcap;
    size_t stripped, skipped;
};

/* The directory that holds path, beneath the root, no symlink followed; *name its last part. */
static int open_parent(int rootfd, const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    return openat2_retry(rootfd, dir, O_PATH | O_DIRECTORY, 0,
                         RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

static mode_t safe_perm(struct local_sink *l, mode_t perm)
{
    if (perm & (S_ISUID | S_ISGID))
        l->stripped++;
    return perm & 01777;
}

static void set_user_xattrs(int fd, struct archive_entry *e)
{
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
        if (str_has_prefix(name, "user."))
            (void)fsetxattr(fd, name, value, size, 0); /* best effort, as on a tmpfs without */
}

static int local_file(struct local_sink *l, int pfd, const char *name, struct archive_entry *e,
                      struct flatten_data *d, kiln_error_t **err)
{
    cleanup_close int fd =
        openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EIO, "create '%s'", archive_entry_pathname(e));
    ssize_t n = 0;
    while (d && (n = flatten_read(d, l->buf, COPY_BUF)) > 0)
        if (write_all(fd, l->buf, (size_t)n) < 0)
            return kiln_err_errno(err, KILN_EIO, "write '%s'", archive_entry_pathname(e));
    if (n < 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "read '%s'", archive_entry_pathname(e));
    set_user_xattrs(fd, e);
    struct timespec t[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                            {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    if (fchmod(fd, safe_perm(l, archive_entry_perm(e))) < 0 || futimens(fd, t) < 0)
        return kiln_err_errno(err, KILN_EIO, "'%s'", archive_entry_pathname(e));
    return 0;
}

static int local_link(struct local_sink *l, int pfd, const char *name, struct archive_entry *e,
                      kiln_error_t **err)
{
    const char *tname;
    cleanup_close int tfd = open_parent(l->rootfd, archive_entry_hardlink(e), &tname);
    if (tfd < 0 || linkat(tfd, tname, pfd, name, 0) < 0)
        return kiln_err_errno(err, KILN_EIO, "link '%s' to '%s'", archive_entry_pathname(e),
                              archive_entry_hardlink(e));
    return 0;
}

static int local_symlink(int pfd, const char *name, struct archive_entry *e, kiln_error_t **err)
{
    const char *target = archive_entry_symlink(e);
    struct timespec t[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                            {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    if (!target || symlinkat(target, pfd, name) < 0 ||
        utimensat(pfd, name, t, AT_SYMLINK_NOFOLLOW) < 0)
        return kiln_err_errno(err, KILN_EIO, "symlink '%s'", archive_entry_pathname(e));
    return 0;
}

static int local_dir(struct local_sink *l, int pfd, const char *name, struct archive_entry *e,
                     kiln_error_t **err)
{
    struct stat st;
    if (mkdirat(pfd, name, 0700) < 0 &&
        (errno != EEXIST || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
         !S_ISDIR(st.st_mode)))
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s'", archive_entry_pathname(e));
    xgrow(&l->dirs, &l->dcap, l->ndirs + 1, sizeof(*l->dirs));
    l->dirs[l->ndirs++] = (struct local_dir){xstrdup(archive_entry_pathname(e)),
                                             safe_perm(l, archive_entry_perm(e)),
                                             {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    return 0;
}

static int local_entry(void *ctx, struct archive_entry *e, struct flatten_data *d,
                       kiln_error_t **err)
{
    struct local_sink *l = ctx;
    const char *path = archive_entry_pathname(e), *name;
    cleanup_close int pfd = open_parent(l->rootfd, path, &name);
    if (pfd < 0)
        return kiln_err_errno(err, KILN_EIO, "'%s'", path);
    if (archive_entry_hardlink(e))
        return local_link(l, pfd, name, e, err);
    switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
        return local_dir(l, pfd, name, e, err);
    case AE_IFREG:
        return local_file(l, pfd, name, e, d, err);
    case AE_IFLNK:
        return local_symlink(pfd, name, e, err);
    default: /* devices, FIFOs, sockets */
        l->skipped++;
        return 0;
    }
}

/* Modes and times of the directories, deepest first (their own entries change parents' times). */
static int local_finish_dirs(struct local_sink *l, kiln_error_t **err)
{
    for (size_t i = l->ndirs; i-- > 0;) {
        const char *name;
        cleanup_close int pfd = open_parent(l->rootfd, l->dirs[i].path, &name);
        cleanup_close int fd =
            pfd < 0 ? -1 : openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct timespec t[2] = {l->dirs[i].mtime, l->dirs[i].mtime};
        if (fd < 0 || fchmod(fd, l->dirs[i].perm) < 0 || futimens(fd, t) < 0)
            return kiln_err_errno(err, KILN_EIO, "directory '%s'", l->dirs[i].path);
    }
    return 0;
}

static int write_rootfs_dir(struct build *b, struct build_stage *final, int rootfd,
                            kiln_error_t **err)
{
    cleanup_close int tmpfd = tmp_dir(b, err);
    if (tmpfd < 0)
        return -1;
    struct local_sink l = {.rootfd = rootfd, .buf = xmalloc(COPY_BUF)};
    struct flatten_sink sink = {&l, local_entry};
    struct flatten_stats st;
    int rc = flatten_layers(b->store, final->img->layers, final->img->nlayers, tmpfd, b->epoch,
                            &sink, &st, err);
    if (rc == 0)
        rc = local_finish_dirs(&l, err);
    if (rc == 0 && l.stripped)
        step_log(b, KILN_LOG_WARN, "output: setuid/setgid bits of %zu files were dropped",
                 l.stripped);
    if (rc == 0 && l.skipped)
        step_log(b, KILN_LOG_WARN, "output: %zu device nodes, FIFOs or sockets were not created",
                 l.skipped);
    if (rc == 0 && st.dropped)
        step_log(b, KILN_LOG_WARN,
                 "output: %zu entries under a path that is not a directory "
                 "were left out",
                 st.dropped);
    for (size_t i = 0; i < l.ndirs; i++)
        free(l.dirs[i].path);
    free(l.dirs);
    free(l.buf);
    return rc;
}

/* dest: missing, or an empty directory (replaced by the new one). */
static int local_dest_ok(const char *dest, bool *exists, kiln_error_t **err)
{
    struct stat st;
    *exists = lstat(dest, &st) == 0;
    if (!*exists)
        return errno == ENOENT ? 0 : kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
    if (!S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EUSAGE, 0, "destination directory %s is a file", dest);
    cleanup_dir DIR *d = opendir(dest);
    if (!d)
        return kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            return kiln_err(err, KILN_EINPUT, 0,
                            "output '%s' is a directory that is not empty: kiln writes the files "
                            "to a new directory and never merges into an existing one",
                            dest);
    return 0;
}

int export_local(struct build *b, struct build_stage *final, const char *dest, kiln_error_t **err)
{
    bool exists;
    if (local_dest_ok(dest, &exists, err) < 0)
        return -1;
    cleanup_free char *tmp = xasprintf("%s.kiln-tmp-XXXXXX", dest);
    random_name(tmp + strlen(tmp) - 6, 6);
    if (mkdir(tmp, 0700) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
    cleanup_close int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = fd < 0 ? kiln_err_errno(err, KILN_EIO, "output '%s'", dest)
                    : write_rootfs_dir(b, final, fd, err);
    if (rc == 0 && fchmod(fd, 0755) < 0)
        rc = kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    if (rc == 0 &&
        renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, exists ? RENAME_EXCHANGE : RENAME_NOREPLACE) < 0)
        rc = kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    if (rc == 0) { /* tmp is the old, empty dest; rmdir leaves it if someone filled it since */
        if (exists && rmdir(tmp) < 0)
            step_log(b, KILN_LOG_WARN, "output: the previous '%s' was kept as '%s' (%s)", dest, tmp,
                     strerror(errno));
        return 0;
    }
    kiln_error_t *e2 = NULL;
    if (rm_rf_at(AT_FDCWD, tmp, &e2) < 0)
        kiln_error_free(e2);
    return kiln_err_wrap(err, "output '%s'", dest);
}
