#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "util.h"

int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int read_fd_limited(int fd, size_t max, char **out, size_t *len, kiln_error_t **err)
{
    cleanup_buf struct buf b = BUF_INIT(max);
    char chunk[1 << 16];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kiln_err_errno(err, KILN_EIO, "read");
        if (n == 0)
            break;
        if (buf_add(&b, chunk, (size_t)n, err) < 0)
            return -1;
    }
    if (len)
        *len = b.len;
    *out = buf_detach(&b);
    return 0;
}

int read_file_limited(int dirfd, const char *path, size_t max, char **out, size_t *len,
                      kiln_error_t **err)
{
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kiln_err_errno(err, errno == ENOENT ? KILN_EINPUT : KILN_EIO, "open '%s'", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EINPUT, EISDIR, "read '%s'", path);
    if (read_fd_limited(fd, max, out, len, err) < 0)
        return kiln_err_wrap(err, "'%s'", path);
    return 0;
}

void random_name(char *s, size_t n)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[64];
    if (n > sizeof(r))
        n = sizeof(r);
    if (getrandom(r, n, 0) != (ssize_t)n) {
        for (size_t i = 0; i < n; i++)
            r[i] = (unsigned char)(getpid() * 31 + (int)i * 7);
    }
    for (size_t i = 0; i < n; i++)
        s[i] = chars[r[i] % (sizeof(chars) - 1)];
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode, kiln_error_t **err)
{
    cleanup_free char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
            return kiln_err_errno(err, KILN_EIO, "mkdir '%s'", p);
        *s = '/';
    }
    if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
        return kiln_err_errno(err, KILN_EIO, "mkdir '%s'", p);
    return 0;
}

static int rm_dir_contents(int fd, const char *name, int depth, kiln_error_t **err)
{
    if (depth > 4096)
        return kiln_err(err, KILN_ELIMIT, 0, "remove '%s': too deep", name);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return kiln_err_errno(err, KILN_EIO, "remove '%s'", name);
    }
    cleanup_dir DIR *dd = d;
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (unlinkat(dirfd(dd), e->d_name, 0) == 0)
            continue;
        if (errno != EISDIR && errno != EPERM)
            return kiln_err_errno(err, KILN_EIO, "remove '%s/%s'", name, e->d_name);
        int sub = openat(dirfd(dd), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return kiln_err_errno(err, KILN_EIO, "remove '%s/%s'", name, e->d_name);
        /* a read-only directory in a layer: make it writable to empty it */
        fchmod(sub, 0700);
        if (rm_dir_contents(sub, e->d_name, depth + 1, err) < 0)
            return -1;
        if (unlinkat(dirfd(dd), e->d_name, AT_REMOVEDIR) < 0)
            return kiln_err_errno(err, KILN_EIO, "remove '%s/%s'", name, e->d_name);
    }
    return 0;
}

int rm_rf_at(int dirfd, const char *name, kiln_error_t **err)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : kiln_err_errno(err, KILN_EIO, "remove '%s'", name);
    fchmod(fd, 0700);
    if (rm_dir_contents(fd, name, 0, err) < 0)
        return -1;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return kiln_err_errno(err, KILN_EIO, "remove '%s'", name);
    return 0;
}

int openat2_retry(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = resolve,
    };
    long fd;
    do {
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    } while (fd < 0 && errno == EAGAIN);
    return (int)fd;
}

int open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
    while (*path == '/')
        path++;
    if (!*path)
        path = ".";
    return openat2_retry(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

int copy_fd(int in, int out, kiln_error_t **err)
{
    char chunk[1 << 16];
    for (;;) {
        ssize_t n = read(in, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kiln_err_errno(err, KILN_EIO, "read");
        if (n == 0)
            return 0;
        if (write_all(out, chunk, (size_t)n) < 0)
            return kiln_err_errno(err, KILN_EIO, "write");
    }
}

#define ATOMIC_BUF (64 * 1024)

struct atomic_out {
    int fd;
    int err; /* the first errno of a write, or 0 */
    size_t n;
    char buf[ATOMIC_BUF];
};

static void atomic_flush(struct atomic_out *o)
{
    if (!o->err && o->n && write_all(o->fd, o->buf, o->n) < 0)
        o->err = errno ? errno : EIO;
    o->n = 0;
}

void atomic_put(struct atomic_out *o, const void *p, size_t n)
{
    if (n > sizeof(o->buf) - o->n)
        atomic_flush(o);
    if (n >= sizeof(o->buf)) { /* a large piece goes straight to the file */
        if (!o->err && write_all(o->fd, p, n) < 0)
            o->err = errno ? errno : EIO;
        return;
    }
    memcpy(o->buf + o->n, p, n);
    o->n += n;
}

/* The temporary file beside name (its name in *tmp), to be finished by atomic_finish. */
static int atomic_begin(int dirfd, const char *name, mode_t mode, char **tmp, kiln_error_t **err)
{
    const char *slash = strrchr(name, '/');
    *tmp = slash ? xasprintf("%.*s/.%s.tmp-XXXXXX", (int)(slash - name), name, slash + 1)
                 : xasprintf(".%s.tmp-XXXXXX", name);
    random_name(*tmp + strlen(*tmp) - 6, 6);
    int fd = openat(dirfd, *tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0)
        kiln_err_errno(err, KILN_EIO, "create '%s'", name);
    return fd;
}

/* werr: the errno of a failed write, or 0. Syncs and renames tmp to name, or removes it. */
static int atomic_finish(int dirfd, const char *name, const char *tmp, int fd, int werr,
                         kiln_error_t **err)
{
    if (werr)
        errno = werr;
    if (werr || fsync(fd) < 0) {
        kiln_err_errno(err, KILN_EIO, "write '%s'", name);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        kiln_err_errno(err, KILN_EIO, "rename '%s'", name);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    return 0;
}

int write_file_atomic_fn(int dirfd, const char *name, mode_t mode,
                         void (*fill)(void *ctx, struct atomic_out *o), void *ctx,
                         kiln_error_t **err)
{
    cleanup_free char *tmp = NULL;
    cleanup_close int fd = atomic_begin(dirfd, name, mode, &tmp, err);
    if (fd < 0)
        return -1;
    cleanup_free struct atomic_out *o = xmalloc(sizeof(*o));
    o->fd = fd;
    o->n = 0;
    o->err = 0;
    fill(ctx, o);
    atomic_flush(o);
    return atomic_finish(dirfd, name, tmp, fd, o->err, err);
}

int write_file_atomic(int dirfd, const char *name, const void *p, size_t n, mode_t mode,
                      kiln_error_t **err)
{
    cleanup_free char *tmp = NULL;
    cleanup_close int fd = atomic_begin(dirfd, name, mode, &tmp, err);
    if (fd < 0)
        return -1;
    int werr = write_all(fd, p, n) < 0 ? (errno ? errno : EIO) : 0;
    return atomic_finish(dirfd, name, tmp, fd, werr, err);
}
