#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "store.h"
#include "util.h"

/* Bytes of a blob written before their writeback to disk is started (blob_writer_write): the
 * disk writes a large blob while the rest of it is still being made, and the fsync at commit
 * waits only for the tail, instead of for the whole blob at the end. */
#define BLOB_WRITEBACK_CHUNK (8u << 20)

struct blob_writer {
    struct store *s;
    int fd;
    char *tmpname; /* NULL for an O_TMPFILE */
    struct sha256 h;
    uint64_t size;
    uint64_t started; /* bytes whose writeback was started */
};

char *store_default_root(kiln_error_t **err)
{
    const char *env = getenv("KILN_ROOT");
    if (env && *env)
        return xstrdup(env);
    if (geteuid() == 0)
        return xstrdup("/var/lib/kiln");
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg == '/')
        return xasprintf("%s/kiln", xdg);
    const char *home = getenv("HOME");
    if (!home || *home != '/') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
    }
    if (!home) { /* never a shared directory such as /tmp: anyone could prepare it */
        kiln_err(err, KILN_EUSAGE, 0,
                 "no directory for kiln's store: HOME is not set and uid %u has no home in "
                 "the password database; pass --root DIR (or set HOME or XDG_DATA_HOME)",
                 (unsigned)geteuid());
        return NULL;
    }
    return xasprintf("%s/.local/share/kiln", home);
}

static int open_subdir(int dirfd, const char *root, const char *name, kiln_error_t **err)
{
    if (mkdir_p_at(dirfd, name, 0700, err) < 0)
        return kiln_err_wrap(err, "store '%s'", root);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s': open '%s'", root, name);
    return fd;
}

int store_open(const char *root, struct store **out, kiln_error_t **err)
{
    return store_open_locked(root, false, NULL, NULL, out, err);
}

int store_open_locked(const char *root, bool exclusive, void (*waiting)(void *ctx), void *ctx,
                      struct store **out, kiln_error_t **err)
{
    if (mkdir_p_at(AT_FDCWD, root, 0700, err) < 0)
        return kiln_err_wrap(err, "store '%s'", root);
    struct store *s = xcalloc(1, sizeof(*s));
    s->root = xstrdup(root);
    s->blobsfd = s->tmpfd = s->lockfd = -1;
    s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->rootfd < 0) {
        kiln_err_errno(err, KILN_EIO, "store '%s': open", root);
        store_close(s);
        return -1;
    }
    if (store_check(root, s->rootfd, err) < 0 || store_check_fs(root, s->rootfd, err) < 0) {
        store_close(s);
        return -1;
    }
    static const char *const dirs[] = {"snapshots", "cache"};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        if (mkdir_p_at(s->rootfd, dirs[i], 0700, err) < 0) {
            store_close(s);
            return kiln_err_wrap(err, "store '%s'", root);
        }
    }
    if ((s->blobsfd = open_subdir(s->rootfd, root, "blobs/sha256", err)) < 0 ||
        (s->tmpfd = open_subdir(s->rootfd, root, "tmp", err)) < 0) {
        store_close(s);
        return -1;
    }
    s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int mode = exclusive ? LOCK_EX : LOCK_SH;
    if (s->lockfd >= 0 && flock(s->lockfd, mode | LOCK_NB) < 0 && errno == EWOULDBLOCK && waiting)
        waiting(ctx);
    if (s->lockfd < 0 || flock(s->lockfd, mode) < 0) {
        kiln_err_errno(err, KILN_EIO, "store '%s': lock", root);
        store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    int fds[] = {s->rootfd, s->blobsfd, s->tmpfd, s->lockfd};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(s->root);
    free(s);
}

int store_blob_begin(struct store *s, struct blob_writer **out, kiln_error_t **err)
{
    struct blob_writer *w = xcalloc(1, sizeof(*w));
    w->s = s;
    w->fd = openat(s->tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        /* filesystems without O_TMPFILE: a named temp file, removed on abort */
        char name[] = "blob-XXXXXX";
        for (int tries = 0; tries < 100 && w->fd < 0; tries++) {
            random_name(name + 5, 6);
            w->fd = openat(s->tmpfd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
            if (w->fd < 0 && errno != EEXIST)
                break;
        }
        if (w->fd < 0) {
            kiln_err_errno(err, KILN_EIO, "store '%s': create a temporary blob", s->root);
            free(w);
            return -1;
        }
        w->tmpname = xstrdup(name);
    }
    sha256_init(&w->h);
    *out = w;
    return 0;
}

int blob_writer_write(struct blob_writer *w, const void *p, size_t n, kiln_error_t **err)
{
    sha256_update(&w->h, p, n);
    if (write_all(w->fd, p, n) < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s': write blob", w->s->root);
    w->size += n;
    if (w->size - w->started >= BLOB_WRITEBACK_CHUNK) {
        /* asynchronous; a failure shows at the fsync of commit */
        sync_file_range(w->fd, (off_t)w->started, (off_t)(w->size - w->started),
                        SYNC_FILE_RANGE_WRITE);
        w->started = w->size;
    }
    return 0;
}

static int link_final(struct blob_writer *w, const char *hex, kiln_error_t **err)
{
    if (w->tmpname) {
        if (renameat(w->s->tmpfd, w->tmpname, w->s->blobsfd, hex) < 0)
            return kiln_err_errno(err, KILN_EIO, "store '%s': rename blob", w->s->root);
        free(w->tmpname);
        w->tmpname = NULL;
        return 0;
    }
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
    if (linkat(AT_FDCWD, proc, w->s->blobsfd, hex, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
        return kiln_err_errno(err, KILN_EIO, "store '%s': link blob", w->s->root);
    return 0;
}

int blob_writer_commit_expect(struct blob_writer *w, const char *expect,
                              char digest[DIGEST_STR_LEN + 1], uint64_t *size, kiln_error_t **err)
{
    sha256_final(&w->h, digest);
    if (size)
        *size = w->size;
    if (expect && strcmp(expect, digest) != 0) {
        kiln_err(err, KILN_ECORRUPT, 0, "blob %s has digest %s", expect, digest);
        blob_writer_abort(w);
        return -1;
    }
    int r = 0;
    if (faccessat(w->s->blobsfd, digest_hex(digest), F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
        if (fchmod(w->fd, 0444) < 0 || fsync(w->fd) < 0)
            r = kiln_err_errno(err, KILN_EIO, "store '%s': sync blob", w->s->root);
        else
            r = link_final(w, digest_hex(digest), err);
        if (r == 0)
            fsync(w->s->blobsfd);
    }
    blob_writer_abort(w);
    return r;
}

int blob_writer_commit(struct blob_writer *w, char digest[DIGEST_STR_LEN + 1], uint64_t *size,
                       kiln_error_t **err)
{
    return blob_writer_commit_expect(w, NULL, digest, size, err);
}

void blob_writer_abort(struct blob_writer *w)
{
    if (!w)
        return;
    sha256_release(&w->h);
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmpname) {
        unlinkat(w->s->tmpfd, w->tmpname, 0);
        free(w->tmpname);
    }
    free(w);
}

int store_put_blob(struct store *s, const void *p, size_t n, char digest[DIGEST_STR_LEN + 1],
                   kiln_error_t **err)
{
    sha256_buf(p, n, digest);
    if (store_has_blob(s, digest))
        return 0;
    struct blob_writer *w;
    if (store_blob_begin(s, &w, err) < 0)
        return -1;
    if (blob_writer_write(w, p, n, err) < 0) {
        blob_writer_abort(w);
        return -1;
    }
    return blob_writer_commit(w, digest, NULL, err);
}

bool store_has_blob(struct store *s, const char *digest)
{
    return digest_valid(digest) &&
           faccessat(s->blobsfd, digest_hex(digest), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_open_blob(struct store *s, const char *digest, kiln_error_t **err)
{
    if (!digest_valid(digest))
        return kiln_err(err, KILN_ECORRUPT, 0, "invalid digest '%s'", digest);
    int fd = openat(s->blobsfd, digest_hex(digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s': blob %s", s->root, digest);
    return fd;
}

int store_read_blob(struct store *s, const char *digest, size_t max, char **out, size_t *len,
                    kiln_error_t **err)
{
    cleanup_close int fd = store_open_blob(s, digest, err);
    if (fd < 0)
        return -1;
    cleanup_free char *data = NULL;
    size_t n = 0;
    if (read_fd_limited(fd, max, &data, &n, err) < 0)
        return kiln_err_wrap(err, "blob %s", digest);
    char got[DIGEST_STR_LEN + 1];
    sha256_buf(data, n, got);
    if (strcmp(got, digest) != 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "store '%s': blob %s has digest %s", s->root, digest,
                        got);
    *out = steal_ptr(data);
    if (len)
        *len = n;
    return 0;
}

char *store_blob_path(struct store *s, const char *digest)
{
    return xasprintf("%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

int store_import_fd(struct store *s, int fd, const char *digest, uint64_t size, kiln_error_t **err)
{
    if (!digest_valid(digest))
        return kiln_err(err, KILN_ECORRUPT, 0, "invalid digest '%s'", digest);
    if (store_has_blob(s, digest))
        return 0;
    cleanup_blob_writer struct blob_writer *w = NULL;
    if (store_blob_begin(s, &w, err) < 0)
        return -1;
    char chunk[1 << 16];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kiln_err_errno(err, KILN_EIO, "read blob %s", digest);
        if (n == 0)
            break;
        if (w->size + (uint64_t)n > size)
            return kiln_err(err, KILN_ECORRUPT, 0, "blob %s is larger than its %llu bytes", digest,
                            (unsigned long long)size);
        if (blob_writer_write(w, chunk, (size_t)n, err) < 0)
            return -1;
    }
    if (w->size != size)
        return kiln_err(err, KILN_ECORRUPT, 0, "blob %s has %llu bytes, expected %llu", digest,
                        (unsigned long long)w->size, (unsigned long long)size);
    char got[DIGEST_STR_LEN + 1];
    return blob_writer_commit_expect(steal_ptr(w), digest, got, NULL, err);
}

void store_remove_blob(struct store *s, const char *digest)
{
    if (digest_valid(digest))
        unlinkat(s->blobsfd, digest_hex(digest), 0);
}
