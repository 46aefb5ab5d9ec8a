/* TEMPORARY single-layer implementation of view.h, only so the sbom branch can run its tests
 * before the real view.c lands on main. It compiles to nothing as soon as view.c sits beside
 * it; delete this file when merging main. Supports exactly one layer directory (no whiteouts). */
#if !__has_include("view.c")

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "snapshot/view.h"
#include "util.h"

struct view {
    int rootfd;
    char *root; /* real path of the layer directory */
};

int view_new(const char *const *dirs, size_t n, struct view **out, kiln_error_t **err)
{
    if (n != 1)
        return kiln_err(err, KILN_EUNSUPPORTED, 0, "view: temporary implementation has one layer");
    cleanup_free char *real = realpath(dirs[0], NULL);
    if (!real)
        return kiln_err_errno(err, KILN_EIO, "view: '%s'", dirs[0]);
    int fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EIO, "view: open '%s'", dirs[0]);
    struct view *v = xcalloc(1, sizeof(*v));
    v->rootfd = fd;
    v->root = steal_ptr(real);
    *out = v;
    return 0;
}

void view_free(struct view *v)
{
    if (!v)
        return;
    close(v->rootfd);
    free(v->root);
    free(v);
}

static const char *rel(const char *path)
{
    while (*path == '/')
        path++;
    return *path ? path : ".";
}

int view_realpath(struct view *v, const char *path, char **out)
{
    cleanup_close int fd = open_in_root(v->rootfd, rel(path), O_PATH, 0);
    if (fd < 0)
        return -1;
    char proc[64], buf[VIEW_MAX_PATH];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    size_t rl = strlen(v->root);
    if (strncmp(buf, v->root, rl) != 0 || (buf[rl] != '/' && buf[rl] != '\0')) {
        errno = EIO;
        return -1;
    }
    *out = xstrdup(buf[rl] ? buf + rl : "/");
    return 0;
}

int view_lstat(struct view *v, const char *path, struct stat *st)
{
    cleanup_close int fd = open_in_root(v->rootfd, rel(path), O_PATH | O_NOFOLLOW, 0);
    if (fd < 0)
        return -1;
    return fstatat(fd, "", st, AT_EMPTY_PATH);
}

int view_stat(struct view *v, const char *path, struct stat *st)
{
    cleanup_close int fd = open_in_root(v->rootfd, rel(path), O_PATH, 0);
    if (fd < 0)
        return -1;
    return fstat(fd, st);
}

int view_readlink(struct view *v, const char *path, char **target)
{
    cleanup_close int fd = open_in_root(v->rootfd, rel(path), O_PATH | O_NOFOLLOW, 0);
    if (fd < 0)
        return -1;
    char buf[VIEW_MAX_PATH];
    ssize_t n = readlinkat(fd, "", buf, sizeof(buf) - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    *target = xstrdup(buf);
    return 0;
}

int view_open(struct view *v, const char *path)
{
    int fd = open_in_root(v->rootfd, rel(path), O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EIO;
        return -1;
    }
    return fd;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int view_list(struct view *v, const char *dir, char ***names, size_t *n)
{
    int fd = open_in_root(v->rootfd, rel(dir), O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        return -1;
    cleanup_dir DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    char **vec = NULL;
    size_t len = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        strv_push(&vec, &len, xstrdup(e->d_name));
    }
    if (len)
        qsort(vec, len, sizeof(*vec), cmp_str);
    if (!vec)
        vec = xcalloc(1, sizeof(*vec));
    *names = vec;
    *n = len;
    return 0;
}

#endif
