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

#include "cache/hashindex.h"
#include "fsutil.h"
#include "layout.h"
#include "util.h"

/* ---- reading ---- */

static int layout_read_json(int dirfd, const char *dir, const char *name, json_t **out,
                            kiln_error_t **err)
{
    cleanup_close int fd = open_in_root(dirfd, name, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s': open '%s'", dir, name);
    cleanup_free char *data = NULL;
    size_t len;
    if (read_fd_limited(fd, STORE_MAX_JSON, &data, &len, err) < 0)
        return kiln_err_wrap(err, "layout '%s': '%s'", dir, name);
    *out = json_parse_doc(data, len, name, err);
    return *out ? 0 : kiln_err_wrap(err, "layout '%s'", dir);
}

static int import_blob(struct store *s, int dirfd, const char *dir, const struct oci_desc *d,
                       kiln_error_t **err)
{
    if (store_has_blob(s, d->digest))
        return 0;
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(d->digest));
    cleanup_close int fd = open_in_root(dirfd, rel, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s': blob %s", dir, d->digest);
    if (store_import_fd(s, fd, d->digest, d->size, err) < 0)
        return kiln_err_wrap(err, "layout '%s'", dir);
    return 0;
}

static bool is_index_type(const char *mt)
{
    return !strcmp(mt, MEDIA_TYPE_OCI_INDEX) || !strcmp(mt, MEDIA_TYPE_DOCKER_LIST);
}

static bool is_manifest_type(const char *mt)
{
    return !strcmp(mt, MEDIA_TYPE_OCI_MANIFEST) || !strcmp(mt, MEDIA_TYPE_DOCKER_MANIFEST);
}

static bool desc_matches(json_t *d, const char *ref)
{
    if (!ref)
        return true;
    if (str_has_prefix(ref, "sha256:"))
        return !strcmp(json_string_value(json_object_get(d, "digest")) ?: "", ref);
    json_t *ann = json_object_get(d, "annotations");
    const char *name = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
    return name && !strcmp(name, ref);
}

/* Finds the descriptor for ref in an index; for a NULL ref the index must hold one image. */
static int pick_ref(json_t *index, const char *dir, const char *ref, struct oci_desc *out,
                    kiln_error_t **err)
{
    json_t *ms = json_object_get(index, "manifests");
    if (!json_is_array(ms))
        return kiln_err(err, KILN_ECORRUPT, 0, "layout '%s': index.json has no manifests", dir);
    size_t i, found = 0;
    json_t *d;
    json_array_foreach(ms, i, d)
    {
        if (!desc_matches(d, ref))
            continue;
        if (found++ == 0 && desc_parse(d, "index.json", out, err) < 0)
            return kiln_err_wrap(err, "layout '%s'", dir);
    }
    if (found == 0)
        return kiln_err(err, KILN_EINPUT, 0, "layout '%s': no image named '%s'", dir,
                        ref ? ref : "");
    if (found > 1 && !ref)
        return kiln_err(err, KILN_EINPUT, 0,
                        "layout '%s' holds %zu images: name one with :TAG or @sha256:...", dir,
                        found);
    return 0;
}

static bool platform_matches(json_t *d, const char *os, const char *arch)
{
    json_t *p = json_object_get(d, "platform");
    const char *o = json_string_value(json_object_get(p, "os"));
    const char *a = json_string_value(json_object_get(p, "architecture"));
    return o && a && !strcmp(o, os) && !strcmp(a, arch);
}

/* Resolves an index blob (already in the store) to the manifest for os/arch. */
static int pick_platform(struct store *s, int dirfd, const char *dir, struct oci_desc *d,
                         const char *os, const char *arch, int depth, kiln_error_t **err)
{
    if (depth > 4)
        return kiln_err(err, KILN_ECORRUPT, 0, "layout '%s': indexes nested too deep", dir);
    cleanup_free char *data = NULL;
    size_t len;
    if (import_blob(s, dirfd, dir, d, err) < 0 ||
        store_read_blob(s, d->digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    json_t *idx = json_parse_doc(data, len, "image index", err);
    if (!idx)
        return kiln_err_wrap(err, "layout '%s'", dir);
    json_t *ms = json_object_get(idx, "manifests");
    size_t i;
    json_t *m;
    int rc = kiln_err(err, KILN_EINPUT, 0, "layout '%s': no image for platform %s/%s", dir, os,
                      arch);
    json_array_foreach(ms, i, m)
    {
        struct oci_desc md;
        if (!platform_matches(m, os, arch) || desc_parse(m, "index", &md, NULL) < 0)
            continue;
        kiln_error_free(*err);
        *err = NULL;
        *d = md;
        rc = is_index_type(md.media_type)
                 ? pick_platform(s, dirfd, dir, d, os, arch, depth + 1, err)
                 : 0;
        break;
    }
    json_decref(idx);
    return rc;
}

static int import_image(struct store *s, int dirfd, const char *dir, const struct oci_desc *md,
                        kiln_error_t **err)
{
    if (!is_manifest_type(md->media_type))
        return kiln_err(err, KILN_EUNSUPPORTED, 0, "layout '%s': '%s' is not an image manifest",
                        dir, md->media_type);
    if (import_blob(s, dirfd, dir, md, err) < 0)
        return -1;
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(s, md->digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    json_t *m = json_parse_doc(data, len, "manifest", err);
    if (!m)
        return kiln_err_wrap(err, "layout '%s'", dir);
    struct oci_desc cd;
    int rc = desc_parse(json_object_get(m, "config"), "manifest", &cd, err);
    if (rc == 0)
        rc = import_blob(s, dirfd, dir, &cd, err);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(m, "layers"), i, l)
    {
        struct oci_desc ld;
        if (rc == 0)
            rc = desc_parse(l, "manifest layer", &ld, err);
        if (rc == 0)
            rc = import_blob(s, dirfd, dir, &ld, err);
    }
    json_decref(m);
    return rc;
}

int layout_import(struct store *s, const char *dir, const char *ref, const char *os,
                  const char *arch, char manifest_digest[DIGEST_STR_LEN + 1],
                  kiln_error_t **err)
{
    cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "layout '%s'", dir);
    json_t *lay = NULL;
    if (layout_read_json(dirfd, dir, "oci-layout", &lay, err) < 0)
        return -1;
    const char *ver = json_string_value(json_object_get(lay, "imageLayoutVersion"));
    bool ok = ver && !strcmp(ver, "1.0.0");
    json_decref(lay);
    if (!ok)
        return kiln_err(err, KILN_EINPUT, 0, "layout '%s': unsupported imageLayoutVersion", dir);
    json_t *index = NULL;
    if (layout_read_json(dirfd, dir, "index.json", &index, err) < 0)
        return -1;
    struct oci_desc d;
    int rc = pick_ref(index, dir, ref, &d, err);
    json_decref(index);
    if (rc == 0 && is_index_type(d.media_type))
        rc = pick_platform(s, dirfd, dir, &d, os, arch, 0, err);
    if (rc == 0)
        rc = import_image(s, dirfd, dir, &d, err);
    if (rc == 0)
        memcpy(manifest_digest, d.digest, DIGEST_STR_LEN + 1);
    return rc;
}

/* ---- writing ---- */

struct blob_list {
    struct oci_desc *d;
    size_t n, cap;
};

static bool blob_list_has(const struct blob_list *l, const char *digest)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->d[i].digest, digest))
            return true;
    return false;
}

static void blob_list_add(struct blob_list *l, const struct oci_desc *d)
{
    if (blob_list_has(l, d->digest))
        return;
    xgrow(&l->d, &l->cap, l->n + 1, sizeof(*l->d));
    l->d[l->n++] = *d;
}

static int collect(struct store *s, const struct oci_desc *d, struct blob_list *l, int depth,
                   kiln_error_t **err);

static int collect_array(struct store *s, json_t *arr, struct blob_list *l, int depth,
                         kiln_error_t **err)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        struct oci_desc d;
        if (desc_parse(e, "descriptor", &d, err) < 0 || collect(s, &d, l, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

static int collect(struct store *s, const struct oci_desc *d, struct blob_list *l, int depth,
                   kiln_error_t **err)
{
    if (blob_list_has(l, d->digest))
        return 0;
    if (depth > 8)
        return kiln_err(err, KILN_EINTERNAL, 0, "descriptors nested too deep");
    blob_list_add(l, d);
    if (!is_index_type(d->media_type) && !is_manifest_type(d->media_type))
        return 0;
    cleanup_free char *data = NULL;
    size_t len;
    if (store_read_blob(s, d->digest, STORE_MAX_JSON, &data, &len, err) < 0)
        return -1;
    json_t *j = json_parse_doc(data, len, "manifest", err);
    if (!j)
        return -1;
    int rc;
    if (is_index_type(d->media_type)) {
        rc = collect_array(s, json_object_get(j, "manifests"), l, depth, err);
    } else {
        json_t *cfg = json_array();
        json_array_append(cfg, json_object_get(j, "config"));
        rc = collect_array(s, cfg, l, depth, err);
        json_decref(cfg);
        if (rc == 0)
            rc = collect_array(s, json_object_get(j, "layers"), l, depth, err);
    }
    json_decref(j);
    return rc;
}

static json_t *top_desc(const struct oci_desc *top, json_t *ann)
{
    json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", top->media_type, "digest", top->digest,
                          "size", (json_int_t)top->size);
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
    json_t *idx = json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType",
                            MEDIA_TYPE_OCI_INDEX, "manifests", ms);
    char *s = json_dump_stable(idx);
    json_decref(idx);
    return s;
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
static bool reuse_blob(struct hashindex *h, int oldfd, int bfd, const char *digest)
{
    struct stat st;
    const char *hex = digest_hex(digest);
    if (!h || oldfd < 0 || fstatat(oldfd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(st.st_mode) || st.st_nlink != 1 || !hashindex_matches(h, &st, digest))
        return false;
    return renameat(oldfd, hex, bfd, hex) == 0;
}

static int write_dir(struct store *s, int dirfd, const struct blob_list *l, const char *index,
                     struct hashindex *h, const char *dest, kiln_error_t **err)
{
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
            hashindex_note(h, &st, d);
    }
    if (write_file_atomic(dirfd, "oci-layout", layout_file, strlen(layout_file), 0644, err) < 0 ||
        write_file_atomic(dirfd, "index.json", index, strlen(index), 0644, err) < 0)
        return -1;
    return 0;
}

static int tar_add(struct archive *a, const char *path, mode_t mode, int64_t size, int64_t epoch,
                   kiln_error_t **err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, epoch, 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return kiln_err(err, KILN_EIO, 0, "write '%s': %s", path, archive_error_string(a));
    return 0;
}

static int tar_add_data(struct archive *a, const char *path, const void *p, size_t n,
                        int64_t epoch, kiln_error_t **err)
{
    if (tar_add(a, path, S_IFREG | 0644, (int64_t)n, epoch, err) < 0)
        return -1;
    if (archive_write_data(a, p, n) != (la_ssize_t)n)
        return kiln_err(err, KILN_EIO, 0, "write '%s': %s", path, archive_error_string(a));
    return 0;
}

static int tar_add_blob(struct archive *a, struct store *s, const struct oci_desc *d,
                        int64_t epoch, kiln_error_t **err)
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
                     int64_t epoch, kiln_error_t **err)
{
    struct archive *a = archive_write_new();
    int rc = 0;
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
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
    if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
        rc = kiln_err(err, KILN_EIO, 0, "tar: %s", archive_error_string(a));
    archive_write_free(a);
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

int layout_write(struct store *s, const char *dest, bool tar, const struct oci_desc *top,
                 json_t *names, int64_t epoch, struct hashindex *h, kiln_error_t **err)
{
    if (check_replaceable(dest, tar, err) < 0)
        return -1;
    struct blob_list l = {0};
    int rc = collect(s, top, &l, 0, err);
    cleanup_free char *index = index_json(top, names);
    cleanup_free char *tmp = xasprintf("%s.kiln-tmp-XXXXXX", dest);
    random_name(tmp + strlen(tmp) - 6, 6);
    if (rc == 0 && tar) {
        cleanup_close int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        rc = fd < 0 ? kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest)
                    : write_tar(s, fd, &l, index, epoch, err);
        if (rc == 0 && rename(tmp, dest) < 0)
            rc = kiln_err_errno(err, KILN_EIO, "output '%s'", dest);
    } else if (rc == 0) {
        if (mkdir(tmp, 0755) < 0) {
            rc = kiln_err_errno(err, KILN_EINPUT, "output '%s'", dest);
        } else {
            cleanup_close int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            rc = write_dir(s, dfd, &l, index, h, dest, err);
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
