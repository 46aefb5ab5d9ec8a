/* flatten_layers: an image's layers as one root filesystem stream (whiteouts, opaque
 * directories, replaced directories, hard links whose target a higher layer replaced, parents
 * first, hostile entries). The layers come from testdata/flatten/layers.py. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "oci/flatten.h"
#include "util.h"

static char root[64];
static struct store *st;

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kiln-flatten-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    cr_assert_eq(store_open(root, &st, NULL), 0);
}

static void teardown(void)
{
    store_close(st);
    rm_rf_at(AT_FDCWD, root, NULL);
}

TestSuite(flatten, .init = setup, .fini = teardown);

/* One line per entry: "path kind mode [content|-> target|=> hardlink]". */
static int record(void *ctx, struct archive_entry *e, struct flatten_data *d, kiln_error_t **err)
{
    struct buf *b = ctx;
    const char *kind = archive_entry_hardlink(e)               ? "hard"
                       : archive_entry_filetype(e) == AE_IFDIR ? "dir"
                       : archive_entry_filetype(e) == AE_IFLNK ? "sym"
                       : archive_entry_filetype(e) == AE_IFREG ? "file"
                       : archive_entry_filetype(e) == AE_IFCHR ? "chr"
                                                               : "other";
    cr_assert_eq(
        buf_addf(b, err, "%s %s %o", archive_entry_pathname(e), kind, archive_entry_perm(e)), 0);
    if (archive_entry_hardlink(e))
        cr_assert_eq(buf_addf(b, err, " => %s", archive_entry_hardlink(e)), 0);
    else if (archive_entry_symlink(e))
        cr_assert_eq(buf_addf(b, err, " -> %s", archive_entry_symlink(e)), 0);
    char data[256];
    ssize_t n = d ? flatten_read(d, data, sizeof(data) - 1) : 0;
    cr_assert_geq(n, 0);
    data[n] = '\0';
    if (n)
        cr_assert_eq(buf_addf(b, err, " %s", data), 0);
    cr_assert_eq(buf_addstr(b, "\n", err), 0);
    return 0;
}

/* The flattened listing of a case, or NULL with *err. */
static char *flatten_case(const char *name, struct flatten_stats *stats, kiln_error_t **err)
{
    char dir[128], cmd[512];
    snprintf(dir, sizeof(dir), "%s/case-%s", root, name);
    mkdir(dir, 0755);
    snprintf(cmd, sizeof(cmd), "python3 %s/testdata/flatten/layers.py %s %s", KILN_SOURCE_DIR, name,
             dir);
    cr_assert_eq(system(cmd), 0);
    struct image_layer layers[8];
    size_t n = 0;
    for (; n < 8; n++) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%zu.tar", dir, n);
        char *data = NULL;
        size_t len;
        kiln_error_t *e = NULL;
        if (read_file_limited(AT_FDCWD, path, 1 << 20, &data, &len, &e) < 0) {
            kiln_error_free(e);
            break;
        }
        memset(&layers[n], 0, sizeof(layers[n]));
        cr_assert_eq(store_put_blob(st, data, len, layers[n].digest, NULL), 0);
        layers[n].media_type = "application/vnd.oci.image.layer.v1.tar";
        free(data);
    }
    cr_assert_gt(n, 0);
    struct buf b = BUF_INIT(1 << 20);
    struct flatten_sink sink = {&b, record};
    int tmpfd = openat(st->rootfd, "tmp", O_RDONLY | O_DIRECTORY);
    int rc = flatten_layers(st, layers, n, tmpfd, 0, &sink, stats, err);
    close(tmpfd);
    if (rc < 0) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b);
}

static void expect(const char *name, const char *want)
{
    struct flatten_stats stats;
    kiln_error_t *err = NULL;
    char *got = flatten_case(name, &stats, &err);
    cr_assert_not_null(got, "%s: %s", name, err ? err->msg : "");
    cr_expect_str_eq(got, want, "%s:\n%s", name, got);
    free(got);
}

Test(flatten, a_higher_layer_replaces_a_file)
{
    expect("override", "a dir 755\na/y file 644 0\na/x file 644 1\n");
}

Test(flatten, whiteouts_delete_files_and_directories_with_their_content)
{
    expect("whiteout", "a dir 755\na/y file 644 0\n");
}

Test(flatten, an_opaque_directory_hides_what_lower_layers_put_in_it)
{
    expect("opaque", "d dir 755\nd/new file 644 1\n");
}

Test(flatten, a_file_hides_a_lower_directory_and_its_content)
{
    expect("file-replaces-dir", "p file 644 file\n");
}

Test(flatten, hard_links_and_symlinks_stay_links)
{
    expect("links", "f file 644 A\ng hard 644 => f\ns sym 777 -> f\n");
}

Test(flatten, a_link_to_a_replaced_file_keeps_the_old_content)
{
    /* g and h shared f's inode; f was rewritten above: g carries the old content, h links g */
    expect("link-to-replaced", "g file 644 A\nh hard 644 => g\nf file 644 B\n");
}

Test(flatten, a_link_to_a_deleted_file_keeps_its_content)
{
    expect("link-to-deleted", "bin dir 755\nbin/perl file 644 PERL\n");
}

Test(flatten, parents_come_first_with_the_winning_metadata)
{
    /* x is listed only by the upper layer (0700): given before x/y; x/y is made up (0755) */
    expect("parents", "x dir 700\nx/y dir 755\nx/y/z file 644 0\n");
}

Test(flatten, an_entry_under_a_symlink_is_dropped)
{
    expect("through-symlink", "a sym 777 -> /etc\n");
    /* the symlink replaces the directory it follows in the same layer: its content goes */
    struct flatten_stats stats;
    char *got = flatten_case("through-symlink-later", &stats, NULL);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, "a sym 777 -> /etc\n");
    free(got);
}

Test(flatten, dotdot_is_refused)
{
    struct flatten_stats stats;
    kiln_error_t *err = NULL;
    cr_assert_null(flatten_case("dotdot", &stats, &err));
    cr_expect_eq(err->code, KILN_ECORRUPT);
    cr_expect(strstr(err->msg, "leaves the root"), "%s", err->msg);
    kiln_error_free(err);
}

Test(flatten, an_opaque_root_hides_every_lower_layer)
{
    expect("root-opaque", "new file 644 1\n");
}

Test(flatten, device_entries_and_setuid_bits_are_given_as_the_layer_holds_them)
{
    expect("device", "dev dir 755\ndev/null chr 666\nsuid file 4755 x\n");
}
