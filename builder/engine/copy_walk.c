/* COPY/ADD planning: parents, files, directory trees, archives. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"
#include "owners.h"
#include "tar/handles.h"
#include "tar/tarname.h"
#include "util.h"

_Static_assert(sizeof(void *) != 8 || sizeof(struct plan_entry) == 88,
               "a plan entry grew: a COPY of 50,000 files holds 50,000");

int copy_plan_push(struct copy_job *j, enum plan_kind kind, const char *target, const char *src,
                   const char *link, mode_t perm, uint32_t uid, uint32_t gid, kiln_error_t **err)
{
    if (j->nplan >= BUILD_MAX_CONTEXT_ENTRIES)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %u files selected",
                        BUILD_MAX_CONTEXT_ENTRIES);
    xgrow(&j->plan, &j->capplan, j->nplan + 1, sizeof(*j->plan));
    j->plan[j->nplan++] = (struct plan_entry){.kind = kind,
                                              .target = xstrdup(target),
                                              .src = src ? xstrdup(src) : NULL,
                                              .link = link ? xstrdup(link) : NULL,
                                              .perm = perm,
                                              .uid = uid,
                                              .gid = gid};
    return 0;
}

static int add_dir(struct copy_job *j, const char *target, mode_t perm, kiln_error_t **err)
{
    if (!strset_add(&j->emitted, target))
        return 0;
    return copy_plan_push(j, PLAN_DIR, target, NULL, NULL, perm, j->chown ? j->uid : 0,
                          j->chown ? j->gid : 0, err);
}

/* An existing directory of the image, planned as it is: BuildKit's layers carry the parents of
 * what changed with their own mode and owner, so a consumer that unpacks the layer alone (or
 * over another base) does not make them up. */
static int keep_dir(struct copy_job *j, const char *path, const struct stat *st, kiln_error_t **err)
{
    if (!strset_add(&j->emitted, path))
        return 0;
    uint32_t uid, gid;
    owners_in_container(j->b, st, &uid, &gid);
    return copy_plan_push(j, PLAN_DIR, path, NULL, NULL, st->st_mode & 07777, uid, gid, err);
}

/* path (absolute, not "/") in the layer: as it is when the image has it as a directory, a new
 * 0755 directory of the --chown owner when the image has nothing there (anything else, such as
 * a symlink to a directory, is left alone). */
static int plan_dir(struct copy_job *j, const char *path, kiln_error_t **err)
{
    struct stat st;
    if (strset_has(&j->emitted, path))
        return 0;
    if (view_lstat(j->dest, path, &st) == 0 && S_ISDIR(st.st_mode))
        return keep_dir(j, path, &st, err);
    if (view_stat(j->dest, path, &st) == 0)
        return 0;
    return add_dir(j, path, 0755, err);
}

int copy_parents(struct copy_job *j, const char *target, kiln_error_t **err)
{
    cleanup_free char *p = xstrdup(target);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (plan_dir(j, p, err) < 0)
            return -1;
        *s = '/';
    }
    return 0;
}

static mode_t entry_perm(struct copy_job *j, const struct stat *st)
{
    return j->chmod ? j->mode : (st->st_mode & 07777);
}

/* The target an earlier name of this inode was planned at, or NULL (and the inode noted). */
static const char *first_link(struct copy_job *j, const struct stat *st, const char *target)
{
    if (st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < j->ninodes; i++)
        if (j->inodes[i].dev == st->st_dev && j->inodes[i].ino == st->st_ino)
            return j->inodes[i].target;
    xgrow(&j->inodes, &j->capinodes, j->ninodes + 1, sizeof(*j->inodes));
    j->inodes[j->ninodes++] = (struct copy_inode){st->st_dev, st->st_ino, xstrdup(target)};
    return NULL;
}

static int copy_file(struct copy_job *j, const char *src, const struct stat *st, const char *target,
                     kiln_error_t **err)
{
    uint32_t uid = j->chown ? j->uid : 0, gid = j->chown ? j->gid : 0;
    const char *first = S_ISREG(st->st_mode) ? first_link(j, st, target) : NULL;
    if (first && strcmp(first, target) != 0)
        return copy_plan_push(j, PLAN_HARDLINK, target, NULL, first, entry_perm(j, st), uid, gid,
                              err);
    if (S_ISREG(st->st_mode)) {
        if (copy_plan_push(j, PLAN_FILE, target, src, NULL, entry_perm(j, st), uid, gid, err) < 0)
            return -1;
        hashindex_id_of(st, &j->plan[j->nplan - 1].id);
        j->plan[j->nplan - 1].has_id = true;
        return 0;
    }
    if (S_ISFIFO(st->st_mode))
        return copy_plan_push(j, PLAN_FIFO, target, NULL, NULL, entry_perm(j, st), uid, gid, err);
    if (S_ISSOCK(st->st_mode))
        return 0; /* sockets are not copied, as Docker does */
    if (!S_ISLNK(st->st_mode))
        return kiln_err(err, KILN_EINPUT, 0, "'%s': device files cannot be copied", src);
    cleanup_free char *link = NULL;
    if (view_readlink(j->src, src, &link) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "readlink '%s'", src);
    return copy_plan_push(j, PLAN_SYMLINK, target, NULL, link, 0777, uid, gid, err);
}

static bool ignored(struct copy_job *j, const char *src)
{
    if (j->exclude && j->src_root) {
        size_t n = strlen(j->src_root);
        const char *rel = !strcmp(j->src_root, "/") ? src + 1 : src + n + 1;
        if (strlen(src) > n && dockerignore_excluded(j->exclude, rel))
            return true;
    }
    return j->src_is_context && j->b->input.src.ignore &&
           dockerignore_excluded(j->b->input.src.ignore, src + 1);
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
        bool dir = S_ISDIR(st.st_mode), skip = ignored(j, s);
        if (skip && !(dir && dockerignore_may_include_below(j->b->input.src.ignore, s + 1)))
            continue;
        int r = 0;
        if (dir && !skip)
            r = add_dir(j, t, entry_perm(j, &st), err);
        if (r == 0)
            r = dir ? copy_dir(j, s, t, depth + 1, err) : copy_file(j, s, &st, t, err);
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
    if (!S_ISDIR(st->st_mode)) {
        const char *base = strrchr(src, '/');
        if (j->exclude && dockerignore_excluded(j->exclude, base ? base + 1 : src))
            return 0;
        return copy_file(j, src, st, target, err);
    }
    j->src_root = src;
    if (strcmp(target, "/") != 0 && plan_dir(j, target, err) < 0)
        return -1;
    int rc = copy_dir(j, src, target, 0, err);
    j->src_root = NULL;
    return rc;
}

bool copy_is_archive(struct copy_job *j, const char *src)
{
    cleanup_close int fd = view_open(j->src, src);
    if (fd < 0)
        return false;
    cleanup_archive_read struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_tar(a);
    struct archive_entry *ae;
    return archive_read_open_fd(a, fd, 64 * 1024) == ARCHIVE_OK &&
           tar_read_next(a, &ae) == ARCHIVE_OK;
}

int copy_plan_archive(struct copy_job *j, const char *src, const char *target, kiln_error_t **err)
{
    if (copy_parents(j, target, err) < 0)
        return -1;
    if (strcmp(target, "/") && plan_dir(j, target, err) < 0)
        return -1;
    return copy_plan_push(j, PLAN_ARCHIVE, target, src, NULL, 0, j->uid, j->gid, err);
}

int copy_plan_inline(struct copy_job *j, const char *content, const char *target,
                     kiln_error_t **err)
{
    if (copy_parents(j, target, err) < 0)
        return -1;
    return copy_plan_push(j, PLAN_INLINE, target, NULL, content, j->chmod ? j->mode : 0644,
                          j->chown ? j->uid : 0, j->chown ? j->gid : 0, err);
}

void copy_plan_release(struct copy_job *j)
{
    for (size_t i = 0; i < j->nplan; i++) {
        free(j->plan[i].target);
        free(j->plan[i].src);
        free(j->plan[i].link);
    }
    free(j->plan);
    j->plan = NULL;
    j->nplan = j->capplan = 0;
    for (size_t i = 0; i < j->ninodes; i++)
        free(j->inodes[i].target);
    free(j->inodes);
    j->inodes = NULL;
    j->ninodes = j->capinodes = 0;
}
