/* Hostile or broken images: every problem is a warning (never a failure, a hang, a host file
 * read or an invalid document), and the limits hold. */
#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "helpers.h"
#include "sbom/catalog.h"

static void put_file(const char *root, const char *rel, const char *text)
{
    cleanup_free char *p = xasprintf("%s/%s", root, rel);
    test_write(p, text, strlen(text));
}

static void put_link(const char *root, const char *rel, const char *target)
{
    cleanup_free char *p = xasprintf("%s/%s", root, rel);
    cleanup_free char *dir = xstrdup(p);
    *strrchr(dir, '/') = '\0';
    kiln_error_t *e = NULL;
    cr_assert_eq(mkdir_p_at(AT_FDCWD, dir, 0755, &e), 0);
    cr_assert_eq(symlink(target, p), 0, "symlink '%s'", p);
}

static size_t warnings_with(const struct sbom_result *r, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_warnings; i++)
        n += strstr(r->warnings[i], needle) != NULL;
    return n;
}

Test(hostile, links_never_leave_the_image)
{
    cleanup_free char *root = test_tmpdir();
    /* on the host this is /var/lib/dpkg/status; inside the image it loops */
    put_link(root, "var/lib/dpkg/status", "../../../../../../../../../var/lib/dpkg/status");
    put_link(root, "etc/os-release", "/etc/os-release");
    put_link(root, "usr/lib/os-release", "/usr/lib/os-release");
    put_link(root, "loop/a", "../loop");
    struct sbom_result r;
    test_generate(root, &r);
    cr_expect_eq(r.total, 0, "a host package database was read");
    cr_expect_null(r.os_id, "the host os-release was read");
    cr_expect_geq(warnings_with(&r, "cannot read '/var/lib/dpkg/status'"), 1);
    test_validate_result("links", &r);
    sbom_result_release(&r);
    test_rm_rf(root);
}

Test(hostile, deep_big_and_special_files)
{
    cleanup_free char *root = test_tmpdir();
    struct buf deep = BUF_INIT(1 << 16);
    for (unsigned i = 0; i < CATALOG_MAX_DEPTH + 5; i++)
        cr_assert_eq(buf_addstr(&deep, "d/", NULL), 0);
    cr_assert_eq(buf_addstr(&deep, "x", NULL), 0);
    put_file(root, buf_str(&deep), "deep");
    buf_release(&deep);
    cleanup_free char *big =
        xasprintf("%s/usr/lib/python3/dist-packages/big-1.dist-info/METADATA", root);
    put_file(root, "usr/lib/python3/dist-packages/big-1.dist-info/METADATA", "Name: big\n");
    cr_assert_eq(truncate(big, CATALOG_MAX_PY_METADATA + 1), 0);
    cleanup_free char *fifo = xasprintf("%s/var/lib/dpkg/status", root);
    put_file(root, "var/lib/dpkg/placeholder", "");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    struct buf nested = BUF_INIT(1 << 20);
    for (int i = 0; i < 100000; i++)
        cr_assert_eq(buf_addch(&nested, '[', NULL), 0);
    put_file(root, "app/node_modules/nest/package.json", buf_str(&nested));
    buf_release(&nested);
    struct sbom_result r;
    test_generate(root, &r);
    cr_expect_eq(warnings_with(&r, "deeper than"), 1);
    cr_expect_eq(warnings_with(&r, "big-1.dist-info/METADATA' is over the limit"), 1);
    cr_expect_eq(warnings_with(&r, "dpkg: cannot read '/var/lib/dpkg/status'"), 1);
    cr_expect_eq(warnings_with(&r, "nest/package.json': not a JSON object"), 1);
    cr_expect_eq(r.total, 0);
    sbom_result_release(&r);
    test_rm_rf(root);
}

Test(hostile, garbage_text_and_duplicates)
{
    cleanup_free char *root = test_tmpdir();
    put_file(root, "etc/os-release", "ID=\"deb\\\"ian\x01\"\nVERSION_ID='12'\n");
    put_file(root, "var/lib/dpkg/status",
             "Package: bad\x01name\nStatus: install ok installed\nVersion: 1.0\xff\n"
             "Architecture: amd64\nMaintainer: \xc3\x28 broken <x@y>\n\n"
             "Package: twice\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
             "Package: twice\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
             "Package: noversion\nStatus: install ok installed\n");
    put_file(root, "usr/lib/python3/dist-packages/Foo-1.0.dist-info/METADATA",
             "Name: Foo\nVersion: 1.0\n");
    put_file(root, "usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA",
             "Name: foo\nVersion: 1.0\n");
    struct sbom_result r;
    test_generate(root, &r);
    cr_expect_eq(r.counts[SBOM_PKG_DEB], 2, "the duplicate is one package");
    cr_expect_eq(r.counts[SBOM_PKG_PYTHON], 2, "Foo and foo are two records");
    cr_expect_eq(warnings_with(&r, "without Package or Version"), 1);
    cr_expect_str_eq(r.os_id, "deb\"ian");
    json_t *pkgs = test_spdx_packages(&r);
    cr_expect_not_null(test_find_purl(pkgs, "pkg:deb/deb%22ian/bad%20name@1.0%3F?arch=amd64&"
                                            "distro=deb%22ian-12"));
    json_decref(pkgs);
    test_validate_result("garbage", &r);
    sbom_result_release(&r);
    test_rm_rf(root);
}

Test(hostile, warnings_are_bounded)
{
    cleanup_free char *root = test_tmpdir();
    for (int i = 0; i < 150; i++) {
        cleanup_free char *rel = xasprintf("app/node_modules/p%03d/package.json", i);
        put_file(root, rel, "{");
    }
    struct sbom_result r;
    test_generate(root, &r);
    cr_expect_eq(r.n_warnings, CATALOG_MAX_WARNINGS);
    cr_expect(strstr(r.warnings[r.n_warnings - 1], "51 more warnings not shown"), "%s",
              r.warnings[r.n_warnings - 1]);
    cr_expect_null(r.warnings[r.n_warnings]);
    sbom_result_release(&r);
    test_rm_rf(root);
}

Test(hostile, jar_metadata_bomb)
{
    cleanup_free char *root = test_tmpdir();
    cleanup_free char *path = xasprintf("%s/opt/bomb.jar", root);
    put_file(root, "opt/placeholder", "");
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    cr_assert_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    size_t n = CATALOG_MAX_JAR_META + 4096;
    char *zeros = xcalloc(1, n);
    archive_entry_set_pathname(e, "META-INF/maven/g/a/pom.properties");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)n);
    archive_write_header(a, e);
    archive_write_data(a, zeros, n);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    free(zeros);
    struct sbom_result r;
    test_generate(root, &r);
    cr_expect_eq(warnings_with(&r, "pom.properties' is unreadable or over"), 1);
    sbom_result_release(&r);
    test_rm_rf(root);
}

Test(hostile, bad_arguments)
{
    cleanup_free char *root = test_tmpdir();
    cleanup_view struct view *v = test_view(root);
    struct sbom_result r;
    kiln_error_t *e = NULL;
    struct sbom_image_info info = {.name = "x", .manifest_digest = "sha256:abc"};
    cr_expect_eq(sbom_generate(v, &info, &r, &e), -1);
    cr_expect_eq(e->code, KILN_EINPUT);
    kiln_error_free(e);
    e = NULL;
    info.manifest_digest = TEST_DIGEST;
    info.name = " \t";
    cr_expect_eq(sbom_generate(v, &info, &r, &e), -1);
    kiln_error_free(e);
    test_rm_rf(root);
}
