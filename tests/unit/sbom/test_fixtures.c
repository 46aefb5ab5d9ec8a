/* Each testdata/sbom/<case>/rootfs gives exactly the packages of <case>/expected-purls.txt,
 * and SBOMs that pass the shared validators. */
#include "helpers.h"

#define TESTDATA KILN_SOURCE_DIR "/testdata/sbom"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The purls of every package but the image and the operating system, sorted. */
static char **sbom_purls(const struct sbom_result *r, size_t *n)
{
    json_t *pkgs = test_spdx_packages(r);
    char **v = NULL;
    *n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p)
    {
        const char *purpose = json_string_value(json_object_get(p, "primaryPackagePurpose"));
        const char *purl = test_purl_of(p);
        if (!strcmp(purpose, "CONTAINER") || !strcmp(purpose, "OPERATING_SYSTEM"))
            continue;
        cr_assert_not_null(purl, "package %zu has no purl", i);
        strv_push(&v, n, xstrdup(purl));
    }
    json_decref(pkgs);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

static char **read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "open '%s'", path);
    char **v = NULL;
    *n = 0;
    char line[2048];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (*line)
            strv_push(&v, n, xstrdup(line));
    }
    fclose(f);
    qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

/* Asserts the purls of r equal the lines of expected (sorted), printing the differences. */
static void expect_purls(const struct sbom_result *r, const char *expected)
{
    size_t ng = 0, nw = 0;
    cleanup_strv char **got = sbom_purls(r, &ng);
    cleanup_strv char **want = read_lines(expected, &nw);
    bool same = ng == nw;
    for (size_t i = 0; same && i < ng; i++)
        same = !strcmp(got[i], want[i]);
    if (!same) {
        for (size_t i = 0; i < ng; i++)
            fprintf(stderr, "got:  %s\n", got[i]);
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, "want: %s\n", want[i]);
    }
    cr_expect(same, "package list differs from %s", expected);
}

static void run_case(const char *name, struct sbom_result *r)
{
    cleanup_free char *root = xasprintf(TESTDATA "/%s/rootfs", name);
    cleanup_free char *expected = xasprintf(TESTDATA "/%s/expected-purls.txt", name);
    test_generate(root, r);
    expect_purls(r, expected);
    test_validate_result(name, r);
}

static bool has_warning(const struct sbom_result *r, const char *needle)
{
    for (size_t i = 0; i < r->n_warnings; i++)
        if (strstr(r->warnings[i], needle))
            return true;
    return false;
}

static const char *field(json_t *pkg, const char *key)
{
    return json_string_value(json_object_get(pkg, key));
}

Test(fixtures, alpine_apk_database)
{
    struct sbom_result r;
    run_case("alpine", &r);
    cr_expect_eq(r.counts[SBOM_PKG_APK], 5);
    cr_expect_str_eq(r.os_id, "alpine");
    cr_expect_str_eq(r.os_version, "3.19.1");
    cr_expect(has_warning(&r, "without P: or V:"), "no warning for the broken stanza");
    json_t *pkgs = test_spdx_packages(&r);
    json_t *ca = test_find_purl(pkgs, "pkg:apk/alpine/ca-certificates-bundle@20240226-r0?arch="
                                      "x86_64&distro=alpine-3.19.1&upstream=ca-certificates");
    cr_assert_not_null(ca);
    cr_expect_str_eq(field(ca, "licenseDeclared"), "MPL-2.0 AND MIT");
    cr_expect_str_eq(field(ca, "supplier"), "Person: Natanael Copa (ncopa@alpinelinux.org)");
    json_t *musl = test_find_purl(
        pkgs, "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1");
    cr_assert_not_null(musl);
    cr_expect_str_eq(field(musl, "supplier"), "Person: Timo Teräs (timo.teras@iki.fi)");
    cr_expect_str_eq(field(musl, "licenseDeclared"), "MIT");
    json_decref(pkgs);
    sbom_result_release(&r);
}

Test(fixtures, distroless_dpkg_status_d)
{
    struct sbom_result r;
    run_case("distroless", &r);
    cr_expect_eq(r.counts[SBOM_PKG_DEB], 3, "config-files packages are not installed");
    cr_expect_str_eq(r.os_id, "debian");
    json_t *pkgs = test_spdx_packages(&r);
    json_t *ssl = test_find_purl(pkgs, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&"
                                       "distro=debian-12&upstream=openssl%403.0.11-1~deb12u2");
    cr_assert_not_null(ssl);
    cr_expect_str_eq(field(ssl, "sourceInfo"), "built package from: openssl 3.0.11-1~deb12u2");
    cr_expect_str_eq(
        field(ssl, "supplier"),
        "Organization: Debian OpenSSL Team (pkg-openssl-devel@alioth-lists.debian.net)");
    json_decref(pkgs);
    sbom_result_release(&r);
}

Test(fixtures, python_site_packages)
{
    struct sbom_result r;
    run_case("python", &r);
    cr_expect_eq(r.counts[SBOM_PKG_PYTHON], 5);
    cr_expect(has_warning(&r, "broken-1.0.dist-info/METADATA': no Name or Version"));
    json_t *pkgs = test_spdx_packages(&r);
    json_t *req = test_find_purl(pkgs, "pkg:pypi/requests@2.31.0");
    cr_assert_not_null(req);
    cr_expect_str_eq(field(req, "licenseDeclared"), "Apache-2.0");
    cr_expect_str_eq(field(req, "supplier"), "Person: Kenneth Reitz (me@kennethreitz.org)");
    json_t *u3 = test_find_purl(pkgs, "pkg:pypi/urllib3@2.2.1");
    cr_assert_not_null(u3);
    cr_expect_str_eq(field(u3, "supplier"), "Person: Andrey Petrov (andrey.petrov@shazow.net)");
    cr_expect_str_eq(field(u3, "licenseDeclared"), "MIT");
    json_t *foo = test_find_purl(pkgs, "pkg:pypi/foo-bar-baz@0.1");
    cr_assert_not_null(foo);
    cr_expect_str_eq(field(foo, "name"), "Foo_Bar.Baz");
    cr_expect_str_eq(field(foo, "licenseDeclared"), "NOASSERTION");
    cr_expect_str_eq(field(foo, "supplier"), "NOASSERTION");
    json_decref(pkgs);
    sbom_result_release(&r);
}

Test(fixtures, npm_node_modules)
{
    struct sbom_result r;
    run_case("npm", &r);
    cr_expect_eq(r.counts[SBOM_PKG_NPM], 5);
    cr_expect(has_warning(&r, "broken/package.json': not a JSON object"));
    json_t *pkgs = test_spdx_packages(&r);
    json_t *legacy = test_find_purl(pkgs, "pkg:npm/legacy-lic@0.3.1%2Bbuild.7");
    cr_assert_not_null(legacy);
    cr_expect_str_eq(field(legacy, "licenseDeclared"), "MIT OR Apache-2.0");
    json_t *types = test_find_purl(pkgs, "pkg:npm/%40types/node@20.11.5");
    cr_assert_not_null(types);
    cr_expect_str_eq(field(types, "name"), "@types/node");
    cr_expect_str_eq(field(types, "supplier"), "Organization: Microsoft Corp.");
    json_decref(pkgs);
    sbom_result_release(&r);
}
