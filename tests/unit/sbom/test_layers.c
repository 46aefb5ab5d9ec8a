/* Catalogers see the image through the layers: a package deleted by a whiteout in an upper
 * layer is gone, a database replaced in an upper layer is the one read. */
#include <sys/sysmacros.h>

#include "helpers.h"

static void put_file(const char *root, const char *rel, const char *text)
{
    cleanup_free char *p = xasprintf("%s/%s", root, rel);
    test_write(p, text, strlen(text));
}

Test(layers, whiteouts_and_replaced_databases)
{
    cleanup_free char *lower = test_tmpdir(), *upper = test_tmpdir();
    put_file(lower, "etc/os-release", "ID=debian\nVERSION_ID=12\n");
    put_file(lower, "var/lib/dpkg/status",
             "Package: old\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n");
    put_file(lower, "app/node_modules/gone/package.json",
             "{\"name\":\"gone\",\"version\":\"1.0.0\"}");
    put_file(lower, "app/node_modules/kept/package.json",
             "{\"name\":\"kept\",\"version\":\"2.0.0\"}");
    put_file(upper, "var/lib/dpkg/status",
             "Package: new\nStatus: install ok installed\nVersion: 2\nArchitecture: all\n");
    cleanup_free char *wh = xasprintf("%s/app/node_modules/gone", upper);
    put_file(upper, "app/node_modules/.keep", "");
    if (mknod(wh, S_IFCHR | 0600, makedev(0, 0)) < 0)
        cr_skip_test("cannot make a whiteout (mknod needs CAP_MKNOD): %s", strerror(errno));
    const char *dirs[] = {lower, upper};
    struct view *v = NULL;
    kiln_error_t *e = NULL;
    cr_assert_eq(view_new(dirs, 2, &v, &e), 0);
    struct sbom_image_info info = {.name = "layers", .manifest_digest = TEST_DIGEST};
    struct sbom_result r;
    cr_assert_eq(sbom_generate(v, &info, &r, &e), 0);
    view_free(v);
    json_t *pkgs = test_spdx_packages(&r);
    cr_expect_not_null(test_find_purl(pkgs, "pkg:deb/debian/new@2?arch=all&distro=debian-12"));
    cr_expect_null(test_find_purl(pkgs, "pkg:deb/debian/old@1?arch=all&distro=debian-12"));
    cr_expect_not_null(test_find_purl(pkgs, "pkg:npm/kept@2.0.0"));
    cr_expect_null(test_find_purl(pkgs, "pkg:npm/gone@1.0.0"), "a whited-out package is listed");
    cr_expect_eq(r.total, 2);
    json_decref(pkgs);
    sbom_result_release(&r);
    test_rm_rf(lower);
    test_rm_rf(upper);
}
