/* Refusing a store someone else prepared (SECURITY.md, "kiln's store"): like ssh's StrictModes,
 * the store directory must belong to the user running kiln and be writable by nobody else, and
 * so must every directory above it, up to the root of the file system, unless it belongs to
 * root (or to the user) and is not writable by others, or is a root-owned sticky directory
 * (/tmp). The entries kiln keeps at the top of the store must be the user's, not links, and
 * not writable by others either. Anything else could let another user plant blobs, snapshots,
 * cache records or an id map that later builds would trust. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

#define STORE_FIX "use a directory of your own with --root"

static int owner_err(const char *root, const char *what, const char *path, const struct stat *st,
                     kiln_error_t **err)
{
    return kiln_err(err, KILN_EPOLICY, 0,
                    "store '%s': %s '%s' belongs to uid %u, not to you (uid %u): another user "
                    "could plant layers, snapshots or cache records in it; " STORE_FIX,
                    root, what, path, (unsigned)st->st_uid, (unsigned)geteuid());
}

static int mode_err(const char *root, const char *what, const char *path, const struct stat *st,
                    kiln_error_t **err)
{
    return kiln_err(err, KILN_EPOLICY, 0,
                    "store '%s': %s '%s' is writable by %s (mode %04o): another user could plant "
                    "layers, snapshots or cache records in it; chmod go-w it or " STORE_FIX,
                    root, what, path, st->st_mode & S_IWOTH ? "others" : "its group",
                    (unsigned)(st->st_mode & 07777));
}

/* The store directory itself: the user's, writable by nobody else. */
static int check_dir(const char *root, int rootfd, kiln_error_t **err)
{
    struct stat st;
    if (fstat(rootfd, &st) < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s': stat", root);
    if (st.st_uid != geteuid())
        return owner_err(root, "the directory", root, &st, err);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return mode_err(root, "the directory", root, &st, err);
    return 0;
}

/* Every directory above: the user's or root's, and writable by nobody else unless root owns it
 * with the sticky bit (then nobody else can rename what is in it). */
static int check_parents(const char *root, kiln_error_t **err)
{
    char *real = realpath(root, NULL);
    if (!real)
        return kiln_err_errno(err, KILN_EIO, "store '%s': resolve", root);
    cleanup_free char *path = real;
    int rc = 0;
    for (char *slash = strrchr(path, '/'); rc == 0 && slash; slash = strrchr(path, '/')) {
        if (slash == path)
            slash[1] = '\0';
        else
            *slash = '\0';
        struct stat st;
        if (stat(path, &st) < 0)
            return kiln_err_errno(err, KILN_EIO, "store '%s': stat '%s'", root, path);
        bool sticky_root = st.st_uid == 0 && (st.st_mode & S_ISVTX);
        if (st.st_uid != 0 && st.st_uid != geteuid())
            rc = owner_err(root, "the parent directory", path, &st, err);
        else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky_root)
            rc = mode_err(root, "the parent directory", path, &st, err);
        if (!strcmp(path, "/"))
            break;
    }
    return rc;
}

/* What kiln keeps at the top of the store, when it exists: the user's, no link, no write by
 * anyone else. The id map decides which host ids steps run as. */
static int check_entries(const char *root, int rootfd, kiln_error_t **err)
{
    static const char *const names[] = {"blobs", "blobs/sha256", "tmp",  "snapshots",
                                        "cache", "cache/steps",  "lock", "idmap"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        struct stat st;
        if (fstatat(rootfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            return kiln_err_errno(err, KILN_EIO, "store '%s': stat '%s'", root, names[i]);
        }
        cleanup_free char *path = xasprintf("%s/%s", root, names[i]);
        if (S_ISLNK(st.st_mode))
            return kiln_err(err, KILN_EPOLICY, 0, "store '%s': '%s' is a symbolic link; " STORE_FIX,
                            root, path);
        if (st.st_uid != geteuid())
            return owner_err(root, "the entry", path, &st, err);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
            return mode_err(root, "the entry", path, &st, err);
    }
    return 0;
}

int store_check(const char *root, int rootfd, kiln_error_t **err)
{
    if (check_dir(root, rootfd, err) < 0 || check_parents(root, err) < 0)
        return -1;
    return check_entries(root, rootfd, err);
}
