/* A view over a layer known by its table of contents (layer/toc.h): lookups, listings, link
 * targets and hard links come from the table without unpacking; opening a file of the layer
 * unpacks it (the view's unpack callback) and reads the real file. Tables survive the store. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "layer/layer_writer.h"
#include "layer/toc.h"
#include "snapshot/view.h"
#include "store/store.h"
#include "util.h"

static char tmp[64];
static char lower[128], upper[128];
static struct layer_toc toc;
static int unpacked;

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void add(const char *path, mode_t mode, uint32_t uid, uint64_t size, const char *link,
                bool hard)
{
    struct layer_entry e = {.path = path,
                            .mode = mode,
                            .uid = uid,
                            .gid = uid,
                            .size = size,
                            .linkname = link,
                            .hardlink = hard,
                            .fd = -1};
    toc_add(&toc, &e, 1577836800);
}

/* lower: a real directory (etc/passwd, app/old.txt); upper: the table of a COPY-like layer,
 * and what unpacking it gives (upper/), made only when the view asks. */
static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/kiln-vtoc-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(lower, sizeof(lower), "%s/lower", tmp);
    snprintf(upper, sizeof(upper), "%s/upper", tmp);
    kiln_error_t *err = NULL;
    cr_assert_eq(mkdir_p_at(AT_FDCWD, lower, 0755, &err), 0);
    cleanup_free char *etc = xasprintf("%s/etc", lower), *app = xasprintf("%s/app", lower);
    cr_assert_eq(mkdir(etc, 0755), 0);
    cr_assert_eq(mkdir(app, 0755), 0);
    cleanup_free char *pw = xasprintf("%s/passwd", etc), *old = xasprintf("%s/old.txt", app);
    put(pw, "root:x:0:0::/root:/bin/sh\n");
    put(old, "old\n");
    memset(&toc, 0, sizeof(toc));
    add("app", S_IFDIR | 0755, 0, 0, NULL, false);
    add("app/new.txt", S_IFREG | 0640, 1000, 6, NULL, false);
    add("app/link", S_IFLNK | 0777, 0, 0, "new.txt", false);
    add("app/hard", S_IFREG | 0640, 1000, 0, "app/new.txt", true);
    add("app/sub/deep.txt", S_IFREG | 04755, 0, 1, NULL, false);
    cr_assert(toc_finish(&toc));
    unpacked = 0;
}

static void teardown(void)
{
    toc_release(&toc);
    cleanup_free char *cmd = xasprintf("rm -rf %s", tmp);
    system(cmd);
}

TestSuite(view_toc, .init = setup, .fini = teardown);

static int unpack(void *ctx, size_t i, char **dir)
{
    (void)ctx;
    cr_assert_eq(i, 1, "only the table layer is unpacked");
    unpacked++;
    kiln_error_t *err = NULL;
    cleanup_free char *app = xasprintf("%s/app", upper), *sub = xasprintf("%s/app/sub", upper);
    cr_assert_eq(mkdir_p_at(AT_FDCWD, sub, 0755, &err), 0);
    cleanup_free char *f = xasprintf("%s/new.txt", app), *h = xasprintf("%s/hard", app);
    cleanup_free char *l = xasprintf("%s/link", app), *d = xasprintf("%s/deep.txt", sub);
    put(f, "hello\n");
    put(d, "d");
    cr_assert_eq(link(f, h), 0);
    cr_assert_eq(symlink("new.txt", l), 0);
    *dir = xstrdup(upper);
    return 0;
}

static struct view *view(void)
{
    struct view_layer layers[] = {{lower, NULL}, {NULL, &toc}};
    struct view_lazy lazy = {unpack, NULL, NULL};
    struct view *v = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(view_new_layers(layers, 2, &lazy, &v, &err), 0);
    return v;
}

Test(view_toc, stat_list_and_links_come_from_the_table)
{
    struct view *v = view();
    struct stat st;
    cr_assert_eq(view_lstat(v, "/app/new.txt", &st), 0);
    cr_expect(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640);
    cr_expect_eq(st.st_size, 6);
    cr_expect_eq(st.st_uid, 1000);
    cr_expect_eq(st.st_mtim.tv_sec, 1577836800);
    struct stat hard;
    cr_assert_eq(view_lstat(v, "app/hard", &hard), 0);
    cr_expect_eq(hard.st_ino, st.st_ino, "a hard link is the same file");
    cr_expect_eq(hard.st_nlink, 2);
    cr_expect_eq(hard.st_size, 6);
    cr_assert_eq(view_lstat(v, "/etc/passwd", &st), 0, "the lower layer");
    cr_assert_eq(view_lstat(v, "/app/old.txt", &st), 0, "merged with the lower app/");
    cr_assert_eq(view_lstat(v, "/app/sub", &st), 0);
    cr_expect(S_ISDIR(st.st_mode), "implied by app/sub/deep.txt");
    cr_assert_eq(view_lstat(v, "/app/sub/deep.txt", &st), 0);
    cr_expect_eq(st.st_mode & 07777, 04755);
    cr_expect_eq(view_lstat(v, "/app/nope", &st), -1);
    cr_expect_eq(errno, ENOENT);
    char *target = NULL;
    cr_assert_eq(view_readlink(v, "/app/link", &target), 0);
    cr_expect_str_eq(target, "new.txt");
    free(target);
    cr_assert_eq(view_stat(v, "/app/link", &st), 0, "followed inside the table");
    cr_expect_eq(st.st_size, 6);
    char **names = NULL;
    size_t n = 0;
    cr_assert_eq(view_list(v, "/app", &names, &n), 0);
    const char *want[] = {"hard", "link", "new.txt", "old.txt", "sub"};
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        cr_expect_str_eq(names[i], want[i]);
    strv_free(names);
    cr_assert_eq(view_list(v, "/", &names, &n), 0);
    cr_expect_eq(n, 2, "app and etc");
    strv_free(names);
    cr_expect_eq(unpacked, 0, "nothing was unpacked");
    view_free(v);
}

Test(view_toc, opening_a_file_unpacks_the_layer_once)
{
    struct view *v = view();
    int fd = view_open(v, "/etc/passwd");
    cr_assert_geq(fd, 0);
    close(fd);
    cr_expect_eq(unpacked, 0, "a file of the lower layer");
    fd = view_open(v, "/app/link");
    cr_assert_geq(fd, 0);
    char buf[16] = "";
    cr_expect_eq(read(fd, buf, sizeof(buf) - 1), 6);
    cr_expect_str_eq(buf, "hello\n");
    close(fd);
    cr_expect_eq(unpacked, 1);
    fd = view_open(v, "/app/sub/deep.txt");
    cr_assert_geq(fd, 0);
    close(fd);
    struct stat st;
    cr_assert_eq(view_lstat(v, "/app/new.txt", &st), 0);
    cr_expect_neq(st.st_dev, 0, "the real file now");
    cr_expect_eq(unpacked, 1, "once");
    view_free(v);
}

Test(view_toc, a_table_survives_the_store)
{
    cleanup_free char *root = xasprintf("%s/store", tmp);
    struct store *s = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(store_open(root, &s, &err), 0, "%s", err ? err->msg : "");
    const char *id = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    cr_assert_eq(toc_save(s, id, &toc, &err), 0);
    struct layer_toc *t = toc_load(s, id);
    cr_assert_not_null(t);
    cr_assert_eq(t->n, toc.n);
    for (size_t i = 0; i < t->n; i++) {
        cr_expect_str_eq(t->e[i].path, toc.e[i].path);
        cr_expect_eq(t->e[i].mode, toc.e[i].mode);
        cr_expect_eq(t->e[i].ino, toc.e[i].ino);
        cr_expect_eq(t->e[i].size, toc.e[i].size);
        cr_expect_eq(!t->e[i].link, !toc.e[i].link);
    }
    toc_free(t);
    cleanup_free char *path = xasprintf("%s/cache/toc/%s", root, digest_hex(id));
    cr_assert_eq(truncate(path, 40), 0);
    cr_expect_null(toc_load(s, id), "a damaged table is none");
    toc_remove(s, id);
    cr_expect_null(toc_load(s, id));
    store_close(s);
}

Test(view_toc, whiteouts_and_repeated_names_make_no_table)
{
    struct layer_toc t = {0};
    struct layer_entry e = {.path = "a/.wh.b", .mode = S_IFREG | 0644, .whiteout = true, .fd = -1};
    toc_add(&t, &e, 0);
    cr_expect_not(toc_finish(&t));
    toc_release(&t);
    struct layer_entry f = {.path = "x", .mode = S_IFREG | 0644, .fd = -1};
    toc_add(&t, &f, 0);
    toc_add(&t, &f, 0);
    cr_expect_not(toc_finish(&t), "the same name twice");
    toc_release(&t);
}
