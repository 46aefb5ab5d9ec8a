/* zstd layers (application/vnd.oci.image.layer.v1.tar+zstd): unpack_layer decompresses them,
 * checks the tar against the diff_id and the uncompressed bound, and refuses damaged ones. The
 * layers are made by python's tarfile and the zstd command (Debian's zstd). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/unpack.h"
#include "util.h"

#define ZSTD_TYPE "application/vnd.oci.image.layer.v1.tar+zstd"

static char tmp[64];
static char diff_id[80];

/* tmp/layer.tar: etc/hello ("hello\n") and 3 MB of zeros in big.bin; tmp/layer.tar.zst. */
static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/kiln-unzstd-XXXXXX");
    cr_assert(mkdtemp(tmp));
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cd %s && python3 -c 'import io,tarfile\n"
             "t=tarfile.open(\"layer.tar\",\"w\",format=tarfile.PAX_FORMAT)\n"
             "for n,d in ((\"etc/hello\",b\"hello\\n\"),(\"big.bin\",bytes(3000000))):\n"
             "  i=tarfile.TarInfo(n); i.size=len(d); t.addfile(i,io.BytesIO(d))\n"
             "t.close()' && zstd -q -19 layer.tar -o layer.tar.zst && "
             "printf sha256:%%s $(sha256sum < layer.tar | cut -c1-64) > diffid",
             tmp);
    cr_assert_eq(system(cmd), 0, "making the layer (python3, zstd)");
    char p[128];
    snprintf(p, sizeof(p), "%s/diffid", tmp);
    FILE *f = fopen(p, "r");
    cr_assert(f && fgets(diff_id, sizeof(diff_id), f));
    fclose(f);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    system(cmd);
}

TestSuite(unpack_zstd, .init = setup, .fini = teardown);

static int unpack(const char *blob, const char *want, const struct unpack_limits *lim,
                  const char *dest, kiln_error_t **err)
{
    char p[160], d[160];
    snprintf(p, sizeof(p), "%s/%s", tmp, blob);
    snprintf(d, sizeof(d), "%s/%s", tmp, dest);
    mkdir(d, 0755);
    int fd = open(p, O_RDONLY), dfd = open(d, O_RDONLY | O_DIRECTORY);
    cr_assert(fd >= 0 && dfd >= 0);
    int rc = unpack_layer(fd, ZSTD_TYPE, want, dfd, lim, NULL, err);
    close(fd), close(dfd);
    return rc;
}

Test(unpack_zstd, unpacks_and_checks_the_diff_id)
{
    kiln_error_t *err = NULL;
    cr_assert_eq(unpack("layer.tar.zst", diff_id, NULL, "ok", &err), 0, "%s", err ? err->msg : "");
    char p[160], buf[16] = "";
    snprintf(p, sizeof(p), "%s/ok/etc/hello", tmp);
    FILE *f = fopen(p, "r");
    cr_assert(f && fgets(buf, sizeof(buf), f));
    fclose(f);
    cr_expect_str_eq(buf, "hello\n");
    struct stat st;
    snprintf(p, sizeof(p), "%s/ok/big.bin", tmp);
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_size, 3000000);
}

Test(unpack_zstd, another_diff_id_is_refused)
{
    kiln_error_t *err = NULL;
    const char *other = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    cr_assert_eq(unpack("layer.tar.zst", other, NULL, "other", &err), -1);
    cr_expect_eq(err->code, KILN_ECORRUPT, "%s", err->msg);
    kiln_error_free(err);
}

Test(unpack_zstd, a_truncated_layer_is_refused)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "cd %s && head -c $(( $(stat -c %%s layer.tar.zst) - 20 )) "
             "layer.tar.zst > cut.zst",
             tmp);
    cr_assert_eq(system(cmd), 0);
    kiln_error_t *err = NULL;
    cr_assert_eq(unpack("cut.zst", NULL, NULL, "cut", &err), -1);
    cr_expect_eq(err->code, KILN_ECORRUPT, "%s", err->msg);
    kiln_error_free(err);
}

Test(unpack_zstd, garbage_is_refused)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cd %s && head -c 5000 layer.tar > garbage.zst", tmp);
    cr_assert_eq(system(cmd), 0);
    kiln_error_t *err = NULL;
    cr_assert_eq(unpack("garbage.zst", NULL, NULL, "garbage", &err), -1);
    cr_expect_eq(err->code, KILN_ECORRUPT, "%s", err->msg);
    kiln_error_free(err);
}

Test(unpack_zstd, the_uncompressed_bound_holds)
{
    struct unpack_limits lim = {.layer_bytes = 1000000};
    kiln_error_t *err = NULL;
    cr_assert_eq(unpack("layer.tar.zst", NULL, &lim, "bomb", &err), -1);
    cr_expect_eq(err->code, KILN_ELIMIT, "%s", err->msg);
    kiln_error_free(err);
}
