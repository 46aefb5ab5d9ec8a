#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "tar/handles.h"
#include "walk.h"
#include "layout.h"
#include "util.h"

/* ---- writing ---- */

struct blob_list {
    struct oci_desc *d;
    size_t n, cap;
};

static int collect_one(void *ctx, const struct oci_desc *d, kiln_error_t **err)
{
    (void)err;
    struct blob_list *l = ctx;
    xgrow(&l->d, &l->cap, l->n + 1, sizeof(*l->d));
    l->d[l->n++] = *d;
    return 0;
}

static json_t *top_desc(const struct oci_desc *top, json_t *ann)
{
    json_t *d = json_descriptor(top->media_type, top->digest, top->size);
    if (ann && json_object_size(ann))
        json_object_set(d, "annotations", ann);
    return d;
}

static char *index_json(const struct oci_desc *top, json_t *anns)
{
    json_t *ms = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(anns, i, a) json_array_append_new(ms, top_desc(top, a));
    if (!json_array_size(ms))
        json_array_append_new(ms, top_desc(top, NULL));
    cleanup_json json_t *idx = json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType",
                                         MEDIA_TYPE_OCI_INDEX, "manifests", ms);
    return json_dump_stable(idx);
}

static const char layout_file[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

/* Copies a store blob into dirfd/name: a reflink where the filesystem can, else a copy. Never a
 * hard link: a tool that rewrites the output in place must not reach the store. */
static int copy_blob(struct store *s, const char *digest, int dirfd, const char *name,
                     kiln_error_t **err)
{
    cleanup_close int in = store_open_blob(s, digest, err);
    if (in < 0)
        return -1;
    cleanup_close int out = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (out < 0)
        return kiln_err_errno(err, KILN_EIO, "create '%s'", name);
    if (ioctl(out, FICLONE, in) == 0)
        return 0;
    struct stat st;
    if (fstat(in, &st) < 0)
        return kiln_err_errno(err, KILN_EIO, "stat blob %s", digest);
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0)
            break;
        left -= n;
    }
    if (left > 0 && (lseek(in, st.st_size - left, SEEK_SET) < 0 || copy_fd(in, out, err) < 0))
        return kiln_err_wrap(err, "copy blob %s", digest);
    return 0;
}

/* A blob of the output being replaced that kiln itself wrote and nobody changed since (its
 * identity is in the hash index) moves into the new output instead of being copied again. */
static bool reuse_blob(const struct layout_blob_index *h, int oldfd, int bfd, const char *digest)
{
    struct stat st;
    const char *hex = digest_hex(digest);
    if (!h || oldfd < 0 || fstatat(oldfd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(st.st_mode) || st.st_nlink != 1 || !h->matches(h->ctx, &st, digest))
        return false;
    return renameat(oldfd, hex, bfd, hex) == 0;
}

static int write_dir(struct store *s, int dirfd, const struct blob_list *l, const char *index,
                     const struct layout_write_opts *o, const char *dest, kiln_error_t **err)
{
    const struct layout_blob_index *h = o->known;
    if (mkdir_p_at(dirfd, "blobs/sha256", 0755, err) < 0)
        return -1;
    cleanup_close int bfd = openat(dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (bfd < 0)
        return kiln_err_errno(err, KILN_EIO, "open blobs");
    cleanup_free char *old = xasprintf("%s/blobs/sha256", dest);
    cleanup_close int oldfd = open(old, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    for (size_t i = 0; i < l->n; i++) {
        const char *d = l->d[i].digest;
        if (!reuse_blob(h, oldfd, bfd, d) && copy_blob(s, d, bfd, digest_hex(d), err) < 0)
            return -1;
        struct stat st;
        if (h && fstatat(bfd, digest_hex(d), &st, AT_SYMLINK_NOFOLLOW) == 0)
            h->note(h->ctx, &st, d);
    }
    if (write_file_atomic(dirfd, "oci-layout", layout_file, strlen(layout_file), 0644, err) < 0 ||
        write_file_atomic(dirfd, "index.json", index, strlen(index), 0644, err) < 0)
        return -1;
    if (o->docker_manifest && write_file_atomic(dirfd, "manifest.json", o->docker_manifest,
                                                strlen(o->docker_manifest), 0644, err) < 0)
        return -1;
    return 0;
}

static int tar_add(struct archive *a, const char *path, mode_t mode, int64_t size, int64_t epoch,
                   kiln_error_t **err)
{
    cleanup_archive_entry struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, epoch, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        return kiln_err(err, KILN_EIO, 0, "write '%s': %s", path, archive_error_string(a));
    return 0;
}

static int tar_add_data(struct archive *a, const char *path, const void *p, size_t n, int64_t epoch,
                        kiln_error_t **err)
{
    if (tar_add(a, path, S_IFREG | 0644, (int64_t)n, epoch, err) < 0)
        return -1;
    if (archive_write_data(a, p, n) != (la_ssize_t)n)
        return kiln_err(err, KILN_EIO, 0, "write '%s': %s", path, archive_error_string(a));
    return 0;
}

static int tar_add_blob(struct archive *a, struct store *s, const struct oci_desc *d, int64_t epoch,
                        kiln_error_t **err)
{
    cleanup_close int fd = store_open_blob(s, d->digest, err);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return kiln_err(err, KILN_EIO, errno, "blob %s", d->digest);
    cleanup_free char *path = xasprintf("blobs/sha256/%s", digest_hex(d->digest));
    if (tar_add(a, path, S_IFREG | 0644, st.st_size, epoch, err) < 0)
        return -1;
    static char buf[1 << 16];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (archive_write_data(a, buf, (size_t)n) != n)
            return kiln_err(err, KILN_EIO, 0, "write '%s': %s", path, archive_error_string(a));
    return n < 0 ? kiln_err_errno(err, KILN_EIO, "read blob %s", d->digest) : 0;
}

static int write_tar(struct store *s, int fd, const struct blob_list *l, const char *index,
                     const struct layout_write_opts *o, kiln_error_t **err)
{
    int64_t epoch = o->epoch;
    cleanup_archive_write struct archive *a = archive_write_new();
    int rc = 0;
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK || /* file = pipe */
        archive_write_open_fd(a, fd) != ARCHIVE_OK)
        rc = kiln_err(err, KILN_EIO, 0, "tar: %s", archive_error_string(a));
    if (rc == 0)
        rc = tar_add_data(a, "oci-layout", layout_file, strlen(layout_file), epoch, err);
    if (rc == 0)
        rc = tar_add_data(a, "index.json", index, strlen(index), epoch, err);
    if (rc == 0)
        rc = tar_add(a, "blobs/", S_IFDIR | 0755, 0, epoch, err);
    if (rc == 0)
        rc = tar_add(a, "blobs/sha256/", S_IFDIR | 0755, 0, epoch, err);
    for (size_t i = 0; rc == 0 && i < l->n; i++)
        rc = tar_add_blob(a, s, &l->d[i], epoch, err);
    if (rc == 0 && o->docker_manifest)
        rc = tar_add_data(a, "manifest.json", o->docker_manifest, strlen(o->docker_manifest), epoch,
                          err);
    if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
        rc = kiln_err(err, KILN_EIO, 0, "tar: %s", archive_error_string(a));
    return rc;
}

/* dest may be replaced only when it is missing, empty, or already an OCI layout. */
static int check_replaceable(const char *dest, bool tar, kiln_error_t **err)
{
    struct stat st;
    if (lstat(dest, &st) < 0)
        return errno == ENOENT ? 0 : kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
    if (tar)
        return S_ISREG(st.st_mode)
                   ? 0
                   : kiln_err(err, KILN_EINPUT, 0, "output '%s' exists and is not a file", dest);
    if (!S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EINPUT, 0, "output '%s' exists and is not a directory", dest);
    cleanup_free char *marker = xasprintf("%s/oci-layout", dest);
    if (access(marker, F_OK) == 0)
        return 0;
    DIR *d = opendir(dest);
    if (!d)
        return kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
    int entries = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return entries ? kiln_err(err, KILN_EINPUT, 0,
                              "output '%s' is a non-empty directory that is not an OCI layout; "
                              "refusing to replace it",
                              dest)
                   : 0;
}

static int swap_into_place(const char *tmp, const char *dest, kiln_error_t **err)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EEXIST)
        return kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_EXCHANGE) < 0)
        return kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    return 0; /* tmp now holds the old output; the caller removes it */
}

/* The archive to stdout: a stream, so not atomic; a failure ends it short and fails the build. */
static int write_stdout(struct store *s, const struct blob_list *l, const char *index,
                        const struct layout_write_opts *o, kiln_error_t **err)
{
    if (isatty(STDOUT_FILENO))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "refusing to write an archive to a terminal: give dest=FILE or redirect "
                        "stdout");
    return write_tar(s, STDOUT_FILENO, l, index, o, err);
}

int layout_write(struct store *s, const char *dest, const struct oci_desc *top,
                 const struct layout_write_opts *o, kiln_error_t **err)
{
    bool to_stdout = o->tar && !strcmp(dest, "-");
    if (!to_stdout && check_replaceable(dest, o->tar, err) < 0)
        return -1;
    struct blob_list l = {0};
    struct oci_walk w = {.max_blobs = LAYOUT_MAX_BLOBS,
                         .max_depth = OCI_WALK_MAX_DEPTH,
                         .visit = collect_one,
                         .ctx = &l};
    int rc = oci_walk(s, top, &w, err);
    cleanup_free char *index = index_json(top, o->names);
    cleanup_free char *tmp = xasprintf("%s.kiln-tmp-XXXXXX", dest);
    random_name(tmp + strlen(tmp) - 6, 6);
    if (rc == 0 && to_stdout) {
        rc = write_stdout(s, &l, index, o, err);
        free(l.d);
        return rc < 0 ? kiln_err_wrap(err, "write to stdout") : 0;
    } else if (rc == 0 && o->tar) {
        cleanup_close int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        rc = fd < 0 ? kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest)
                    : write_tar(s, fd, &l, index, o, err);
        if (rc == 0 && fsync(fd) < 0)
            rc = kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
        if (rc == 0 && rename(tmp, dest) < 0)
            rc = kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    } else if (rc == 0) {
        if (mkdir(tmp, 0755) < 0) {
            rc = kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
        } else {
            cleanup_close int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            rc = write_dir(s, dfd, &l, index, o, dest, err);
            if (rc == 0)
                rc = swap_into_place(tmp, dest, err);
        }
    }
    kiln_error_t *e2 = NULL;
    rm_rf_at(AT_FDCWD, tmp, &e2);
    kiln_error_free(e2);
    free(l.d);
    return rc < 0 ? kiln_err_wrap(err, "write OCI layout") : 0;
}
