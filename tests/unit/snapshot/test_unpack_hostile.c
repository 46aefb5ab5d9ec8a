/* Hostile layers: unpack_layer refuses entries that leave the snapshot directory or that it
 * must not create, and never writes outside it. The tars come from testdata/run/hostile_tar.py. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/unpack.h"
#include "util.h"

static char tmp[64];

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/kiln-hostile-XXXXXX");
    cr_assert(mkdtemp(tmp));
    system("rm -f /tmp/kiln-hostile-*.txt");
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    system(cmd);
}

TestSuite(unpack_hostile, .init = setup, .fini = teardown);

/* Unpacks the tar of kind into a fresh directory; returns unpack_layer's result. */
static int unpack_kind_report(const char *kind, struct unpack_report *rep, kiln_error_t **err)
{
    char cmd[512], tar[128], dest[128];
    snprintf(tar, sizeof(tar), "%s/%s.tar", tmp, kind);
    snprintf(dest, sizeof(dest), "%s/dest-%s", tmp, kind);
    snprintf(cmd, sizeof(cmd), "python3 %s/testdata/run/hostile_tar.py %s %s", KILN_SOURCE_DIR,
             kind, tar);
    cr_assert_eq(system(cmd), 0);
    mkdir(dest, 0755);
    int fd = open(tar, O_RDONLY), dfd = open(dest, O_RDONLY | O_DIRECTORY);
    int rc = unpack_layer(fd, "application/vnd.oci.image.layer.v1.tar", NULL, dfd, NULL, rep, err);
    close(fd), close(dfd);
    return rc;
}

static int unpack_kind(const char *kind, kiln_error_t **err)
{
    return unpack_kind_report(kind, NULL, err);
}

static void refused(const char *kind)
{
    kiln_error_t *err = NULL;
    cr_assert_eq(unpack_kind(kind, &err), -1, "%s was unpacked", kind);
    cr_assert_eq(err->code, KILN_ECORRUPT, "%s: %s", kind, err->msg);
    kiln_error_free(err);
    cr_assert(access("/tmp/kiln-hostile-absolute.txt", F_OK) < 0);
    cr_assert(access("/tmp/kiln-hostile-through-symlink.txt", F_OK) < 0);
    cr_assert(access("/tmp/kiln-hostile-dir.txt", F_OK) < 0);
    char p[160];
    snprintf(p, sizeof(p), "%s/escaped.txt", tmp);
    cr_assert(access(p, F_OK) < 0, "%s wrote outside the snapshot", kind);
}

Test(unpack_hostile, dotdot)
{
    refused("dotdot");
}
Test(unpack_hostile, dotdot_inside_a_path)
{
    refused("dotdot-inner");
}
Test(unpack_hostile, absolute_path)
{
    refused("absolute");
}
Test(unpack_hostile, file_through_an_absolute_symlink)
{
    refused("symlink-parent");
}
Test(unpack_hostile, file_through_a_relative_symlink)
{
    refused("symlink-relative-parent");
}
Test(unpack_hostile, hard_link_outside)
{
    refused("hardlink-outside");
}
Test(unpack_hostile, hard_link_absolute)
{
    refused("hardlink-absolute");
}
Test(unpack_hostile, hard_link_through_a_symlink)
{
    refused("hardlink-through-symlink");
}
/* Device nodes are never created on the host: left out, counted for a warning, and an entry
 * of the same name before them in the layer is gone too. */
static void device_left_out(const char *kind, const char *name)
{
    kiln_error_t *err = NULL;
    struct unpack_report rep;
    cr_assert_eq(unpack_kind_report(kind, &rep, &err), 0, "%s: %s", kind, err ? err->msg : "");
    cr_assert_eq(rep.devices, 1);
    cr_assert_str_eq(rep.first_dev, name);
    char p[160];
    struct stat st;
    snprintf(p, sizeof(p), "%s/dest-%s/%s", tmp, kind, name);
    cr_assert(lstat(p, &st) < 0 && errno == ENOENT, "%s exists after unpack", name);
    snprintf(p, sizeof(p), "%s/dest-%s/etc/hello", tmp, kind);
    cr_assert_eq(lstat(p, &st), 0, "the rest of the layer is unpacked");
}
Test(unpack_hostile, block_device)
{
    device_left_out("block-device", "sda");
}
Test(unpack_hostile, char_device)
{
    device_left_out("char-device", "dev/mem");
}
Test(unpack_hostile, whiteout_of_dotdot)
{
    refused("whiteout-dotdot");
}
Test(unpack_hostile, directory_over_a_symlink_to_outside)
{
    kiln_error_t *err = NULL;
    int rc = unpack_kind("symlink-then-dir", &err);
    /* either refused or the symlink replaced by a real directory: never a file in /tmp */
    cr_assert(access("/tmp/kiln-hostile-dir.txt", F_OK) < 0, "wrote through the symlink");
    if (rc == 0) {
        char p[160];
        struct stat st;
        snprintf(p, sizeof(p), "%s/dest-symlink-then-dir/d", tmp);
        cr_assert_eq(lstat(p, &st), 0);
        cr_assert(S_ISDIR(st.st_mode));
    }
    kiln_error_free(err);
}

Test(unpack_hostile, a_fine_layer_with_an_absolute_symlink_unpacks)
{
    kiln_error_t *err = NULL;
    cr_assert_eq(unpack_kind("ok", &err), 0, "%s", err ? err->msg : "");
    char p[160], t[64] = "";
    snprintf(p, sizeof(p), "%s/dest-ok/abs-link", tmp);
    cr_assert_gt(readlink(p, t, sizeof(t) - 1), 0);
    cr_assert_str_eq(t, "/etc/passwd");
    snprintf(p, sizeof(p), "%s/dest-ok/hl", tmp);
    struct stat a, b;
    char q[160];
    snprintf(q, sizeof(q), "%s/dest-ok/etc/hello", tmp);
    cr_assert_eq(stat(p, &a), 0);
    cr_assert_eq(stat(q, &b), 0);
    cr_assert_eq(a.st_ino, b.st_ino);
}
