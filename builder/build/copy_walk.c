/* Writing COPY/ADD sources into the layer: parents, files, directory trees, archives. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"
#include "util.h"

static int count_entry(struct copy_job *j, kiln_error_t **err)
{
    if (++j->count > BUILD_MAX_CONTEXT_ENTRIES)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %u files selected",
                        BUILD_MAX_CONTEXT_ENTRIES);
    return 0;
}

static int add_dir(struct copy_job *j, const char *target, mode_t perm, uint32_t uid,
                   uint32_t gid, kiln_error_t **err)
{
    if (!strset_add(&j->emitted, target))
        return 0;
    struct layer_entry e = {.path = target + 1, .mode = S_IFDIR | perm, .uid = uid, .gid = gid,
                            .fd = -1};
    return count_entry(j, err) < 0 ? -1 : layer_writer_add(j->w, &e, err);
}

int copy_parents(struct copy_job *j, const char *target, kiln_error_t **err)
{
    cleanup_free char *p = xstrdup(target);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        struct stat st;
        if (!strset_has(&j->emitted, p) && view_stat(j->dest, p, &st) < 0 &&
            add_dir(j, p, j->chmod ? j->mode : 0755, j->chown ? j->uid : 0,
                    j->chown ? j->gid : 0, err) < 0)
            return -1;
        *s = '/';
    }
    return 0;
}

static mode_t entry_perm(struct copy_job *j, const struct stat *st)
{
    return j->chmod ? j->mode : (st->st_mode & 07777);
}

static int copy_file(struct copy_job *j, const char *src, const struct stat *st,
                     const char *target, kiln_error_t **err)
{
    struct layer_entry e = {.path = target + 1, .uid = j->chown ? j->uid : 0,
                            .gid = j->chown ? j->gid : 0, .fd = -1};
    cleanup_free char *link = NULL;
    cleanup_close int fd = -1;
    if (S_ISREG(st->st_mode)) {
        fd = view_open(j->src, src);
        if (fd < 0)
            return kiln_err_errno(err, KILN_EINPUT, "open '%s'", src);
        struct stat now;
        if (fstat(fd, &now) < 0)
            return kiln_err_errno(err, KILN_EIO, "stat '%s'", src);
        e.fd = fd;
        e.size = (uint64_t)now.st_size;
        e.mode = S_IFREG | entry_perm(j, st);
    } else if (S_ISLNK(st->st_mode)) {
        if (view_readlink(j->src, src, &link) < 0)
            return kiln_err_errno(err, KILN_EINPUT, "readlink '%s'", src);
        e.linkname = link;
        e.mode = S_IFLNK | 0777;
    } else if (S_ISFIFO(st->st_mode)) {
        e.mode = S_IFIFO | entry_perm(j, st);
    } else if (S_ISSOCK(st->st_mode)) {
        return 0; /* sockets are not copied, as Docker does */
    } else {
        return kiln_err(err, KILN_EINPUT, 0, "'%s': device files cannot be copied", src);
    }
    return count_entry(j, err) < 0 ? -1 : layer_writer_add(j->w, &e, err);
}

/* The context-relative form of a context path, for .dockerignore. */
static bool ignored(struct copy_job *j, const char *src, bool dir)
{
    if (!j->src_is_context || !j->b->ignore)
        return false;
    (void)dir;
    return dockerignore_excluded(j->b->ignore, src + 1);
}

static int copy_dir(struct copy_job *j, const char *src, const char *target, int depth,
                    kiln_error_t **err)
{
    if (depth > 256)
        return kiln_err(err, KILN_ELIMIT, 0, "'%s': directories nested too deep", src);
    cleanup_strv char **names = NULL;
    size_t n;
    if (view_list(j->src, src, &names, &n) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "read directory '%s'", src);
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *s = path_join(src, names[i]);
        cleanup_free char *t = path_join(target, names[i]);
        struct stat st;
        if (view_lstat(j->src, s, &st) < 0)
            return kiln_err_errno(err, KILN_EINPUT, "stat '%s'", s);
        bool dir = S_ISDIR(st.st_mode);
        if (ignored(j, s, dir) && !(dir && dockerignore_may_include_below(j->b->ignore, s + 1)))
            continue;
        int r;
        if (dir) {
            r = ignored(j, s, true) ? 0
                                    : add_dir(j, t, entry_perm(j, &st), j->chown ? j->uid : 0,
                                              j->chown ? j->gid : 0, err);
            if (r == 0)
                r = copy_dir(j, s, t, depth + 1, err);
        } else {
            r = copy_file(j, s, &st, t, err);
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

int copy_tree(struct copy_job *j, const char *src, const struct stat *st, const char *target,
              kiln_error_t **err)
{
    if (copy_parents(j, target, err) < 0)
        return -1;
    if (!S_ISDIR(st->st_mode))
        return copy_file(j, src, st, target, err);
    struct stat dst;
    if (strcmp(target, "/") != 0 && view_stat(j->dest, target, &dst) < 0 &&
        add_dir(j, target, j->chmod ? j->mode : 0755, j->chown ? j->uid : 0,
                j->chown ? j->gid : 0, err) < 0)
        return -1;
    return copy_dir(j, src, target, 0, err);
}

/* ---- ADD of a local archive ---- */

#define ARCHIVE_MAX_ENTRIES 1000000u

struct archive_reader {
    struct archive *a;
};

static long archive_content(void *ctx, void *buf, size_t n)
{
    struct archive_reader *r = ctx;
    la_ssize_t got = archive_read_data(r->a, buf, n);
    return got < 0 ? -1 : (long)got;
}

/* The path of an archive entry under target: leading "/" and "./" dropped, ".." refused. */
static char *archive_target(const char *target, const char *name)
{
    cleanup_free char *clean = path_clean(name[0] == '/' ? name + 1 : name);
    if (!strcmp(clean, ".."))
        return NULL;
    if (str_has_prefix(clean, "../"))
        return NULL;
    return !strcmp(clean, ".") ? xstrdup(target) : path_join(target, clean);
}

static int archive_entry_add(struct copy_job *j, struct archive_reader *r,
                             struct archive_entry *ae, const char *target, kiln_error_t **err)
{
    const char *name = archive_entry_pathname(ae);
    cleanup_free char *t = name ? archive_target(target, name) : NULL;
    if (!t)
        return kiln_err(err, KILN_EINPUT, 0, "archive entry '%s': unsafe path", name ? name : "");
    if (copy_parents(j, t, err) < 0)
        return -1;
    mode_t type = archive_entry_filetype(ae);
    uint32_t uid = j->chown ? j->uid : (uint32_t)archive_entry_uid(ae);
    uint32_t gid = j->chown ? j->gid : (uint32_t)archive_entry_gid(ae);
    mode_t perm = archive_entry_perm(ae) & 07777;
    if (type == AE_IFDIR)
        return strcmp(t, "/") ? add_dir(j, t, perm, uid, gid, err) : 0;
    struct layer_entry e = {.path = t + 1, .uid = uid, .gid = gid, .fd = -1};
    cleanup_free char *hl = NULL;
    if (archive_entry_hardlink(ae)) {
        hl = archive_target(target, archive_entry_hardlink(ae));
        if (!hl)
            return kiln_err(err, KILN_EINPUT, 0, "archive entry '%s': unsafe link", name);
        e.hardlink = true;
        e.linkname = hl + 1;
        e.mode = S_IFREG | perm;
    } else if (type == AE_IFREG) {
        e.mode = S_IFREG | perm;
        e.size = (uint64_t)archive_entry_size(ae);
        e.read = archive_content;
        e.read_ctx = r;
    } else if (type == AE_IFLNK) {
        e.mode = S_IFLNK | 0777;
        e.linkname = archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "";
    } else if (type == AE_IFIFO) {
        e.mode = S_IFIFO | perm;
    } else {
        return kiln_err(err, KILN_EINPUT, 0, "archive entry '%s': device files are not allowed",
                        name);
    }
    return count_entry(j, err) < 0 ? -1 : layer_writer_add(j->w, &e, err);
}

static struct archive *archive_open_fd(int fd)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

int copy_extract_archive(struct copy_job *j, const char *src, const char *target,
                         kiln_error_t **err)
{
    cleanup_close int fd = view_open(j->src, src);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "open '%s'", src);
    struct archive *a = archive_open_fd(fd);
    struct archive_entry *ae;
    if (!a || archive_read_next_header(a, &ae) != ARCHIVE_OK) {
        if (a)
            archive_read_free(a);
        return 0; /* not an archive: copied as a plain file */
    }
    struct archive_reader r = {a};
    int rc = copy_parents(j, target, err);
    struct stat st;
    if (rc == 0 && strcmp(target, "/") && view_stat(j->dest, target, &st) < 0)
        rc = add_dir(j, target, 0755, j->chown ? j->uid : 0, j->chown ? j->gid : 0, err);
    size_t count = 0;
    int ar = ARCHIVE_OK;
    while (rc == 0 && ar == ARCHIVE_OK) {
        if (++count > ARCHIVE_MAX_ENTRIES)
            rc = kiln_err(err, KILN_ELIMIT, 0, "archive has more than %u entries",
                          ARCHIVE_MAX_ENTRIES);
        else
            rc = archive_entry_add(j, &r, ae, target, err);
        if (rc == 0)
            ar = archive_read_next_header(a, &ae);
    }
    if (rc == 0 && ar != ARCHIVE_EOF)
        rc = kiln_err(err, KILN_EINPUT, 0, "archive: %s", archive_error_string(a));
    archive_read_free(a);
    if (rc < 0)
        return kiln_err_wrap(err, "extract '%s'", src);
    return 1;
}
