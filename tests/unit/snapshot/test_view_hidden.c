/* view_set_hidden: a hidden path does not exist, whatever route leads to it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "snapshot/view.h"
#include "util.h"

static char dir[64];
static struct view *v;

static void put(const char *rel, const char *text)
{
    cleanup_free char *p = xasprintf("%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void link_(const char *target, const char *rel)
{
    cleanup_free char *p = xasprintf("%s/%s", dir, rel);
    cr_assert_eq(symlink(target, p), 0);
}

static void mkdir_(const char *rel)
{
    cleanup_free char *p = xasprintf("%s/%s", dir, rel);
    cr_assert_eq(mkdir(p, 0755), 0);
}

/* "/secret" and everything below it is hidden, and "/top.key" */
static bool hide(void *ctx, const char *canon, bool isdir)
{
    (void)isdir;
    (*(int *)ctx)++;
    return !strcmp(canon, "/secret") || str_has_prefix(canon, "/secret/") ||
           !strcmp(canon, "/top.key");
}

static int asked;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kiln-vh-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    mkdir_("secret");
    mkdir_("pub");
    put("secret/token", "t");
    put("top.key", "k");
    put("pub/ok", "o");
    link_("../secret/token", "pub/file-link");
    link_("/secret", "pub/dir-link");
    link_("../top.key", "pub/key-link");
    link_("file-link", "pub/chain");
    const char *dirs[] = {dir};
    cr_assert_eq(view_new(dirs, 1, &v, NULL), 0);
    view_set_hidden(v, hide, &asked);
}

static void teardown(void)
{
    view_free(v);
    rm_rf_at(AT_FDCWD, dir, NULL);
}

TestSuite(view_hidden, .init = setup, .fini = teardown);

static void expect_absent(const char *path)
{
    struct stat st;
    errno = 0;
    cr_expect_eq(view_stat(v, path, &st), -1, "%s is visible", path);
    cr_expect_eq(errno, ENOENT, "%s: errno %d", path, errno);
    cr_expect_eq(view_open(v, path), -1, "%s opens", path);
}

Test(view_hidden, no_route_reaches_a_hidden_path)
{
    expect_absent("/secret/token");
    expect_absent("/top.key");
    expect_absent("/pub/file-link");
    expect_absent("/pub/key-link");
    expect_absent("/pub/chain");
    expect_absent("/pub/dir-link/token");
    expect_absent("/pub/../secret/token");
    expect_absent("/pub/dir-link");
    char **names;
    size_t n;
    cr_expect_eq(view_list(v, "/pub/dir-link", &names, &n), -1);
    cr_assert_gt(asked, 0);
}

Test(view_hidden, links_themselves_and_other_files_stay)
{
    struct stat st;
    cr_expect_eq(view_lstat(v, "/pub/file-link", &st), 0, "the link itself is not hidden");
    cr_expect(S_ISLNK(st.st_mode));
    cr_expect_eq(view_stat(v, "/pub/ok", &st), 0);
    char **names;
    size_t n;
    cr_assert_eq(view_list(v, "/", &names, &n), 0);
    cr_expect_eq(n, 1, "only pub is listed at the root");
    cr_expect_str_eq(names[0], "pub");
    strv_free(names);
}
