/* The SBOM of a Debian 12 minbase tree lists exactly the packages dpkg-query lists.
 * The tree: tests/integration/lib/make-debian-rootfs.sh; its path: $KILN_DEBIAN_ROOTFS
 * (default /var/tmp/kiln-debian-rootfs, else $KILN_TEST_CACHE/debian-rootfs). Made when it is
 * missing (root and the Debian mirror needed the first time); skipped where it cannot be made. */
#include <time.h>

#include "helpers.h"

/* $KILN_DEBIAN_ROOTFS, else /var/tmp/kiln-debian-rootfs, else the script's cache. */
static const char *rootfs(void)
{
    static char cached[4096];
    const char *r = getenv("KILN_DEBIAN_ROOTFS");
    if (r && *r)
        return r;
    if (access("/var/tmp/kiln-debian-rootfs/var/lib/dpkg/status", R_OK) == 0)
        return "/var/tmp/kiln-debian-rootfs";
    const char *cache = getenv("KILN_TEST_CACHE");
    snprintf(cached, sizeof(cached), "%s/debian-rootfs",
             cache && *cache ? cache : "/var/tmp/kiln-test-cache");
    return cached;
}

/* The tree is made here when it is missing (make-debian-rootfs.sh: once, under a lock, shared by
 * every test that needs it); a machine that cannot make it (not root) skips the test. */
static void need_rootfs(void)
{
    cleanup_free char *status = xasprintf("%s/var/lib/dpkg/status", rootfs());
    if (access(status, R_OK) == 0)
        return;
    const char *env = getenv("KILN_DEBIAN_ROOTFS");
    cleanup_free char *cmd =
        xasprintf("'%s/tests/integration/lib/make-debian-rootfs.sh' %s%s%s >&2", KILN_SOURCE_DIR,
                  env && *env ? "'" : "", env && *env ? env : "", env && *env ? "'" : "");
    int st = system(cmd);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
        cr_skip_test("cannot make the Debian tree on this machine (see above)");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "make-debian-rootfs.sh failed");
    cr_assert_eq(access(status, R_OK), 0, "no Debian tree at '%s' after make-debian-rootfs.sh",
                 rootfs());
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name version arch" of every installed package, per dpkg-query. */
static char **dpkg_query(size_t *n)
{
    cleanup_free char *cmd =
        xasprintf("dpkg-query --admindir='%s/var/lib/dpkg' -W "
                  "-f '${db:Status-Status} ${Package} ${Version} ${Architecture}\\n'",
                  rootfs());
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char **v = NULL;
    *n = 0;
    char line[1024];
    while (fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = '\0';
        char *sp = strchr(line, ' ');
        cr_assert_not_null(sp, "dpkg-query line '%s'", line);
        *sp = '\0';
        if (!strcmp(line, "not-installed") || !strcmp(line, "config-files"))
            continue;
        strv_push(&v, n, xstrdup(sp + 1));
    }
    cr_assert_eq(pclose(p), 0, "dpkg-query failed");
    qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

/* The arch qualifier of a purl. */
static char *purl_arch(const char *purl)
{
    const char *a = strstr(purl, "?arch=");
    if (!a)
        a = strstr(purl, "&arch=");
    cr_assert_not_null(a, "purl without arch: %s", purl);
    a += 6;
    return xstrndup(a, strcspn(a, "&"));
}

static char **sbom_debs(const struct sbom_result *r, size_t *n)
{
    json_t *pkgs = test_spdx_packages(r);
    char **v = NULL;
    *n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p)
    {
        const char *purl = test_purl_of(p);
        if (!purl || strncmp(purl, "pkg:deb/", 8) != 0)
            continue;
        cleanup_free char *arch = purl_arch(purl);
        strv_push(&v, n,
                  xasprintf("%s %s %s", json_string_value(json_object_get(p, "name")),
                            json_string_value(json_object_get(p, "versionInfo")), arch));
    }
    json_decref(pkgs);
    qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

static bool contains(char **v, size_t n, const char *s)
{
    return bsearch(&s, v, n, sizeof(*v), cmp_str) != NULL;
}

Test(debian, lists_exactly_the_dpkg_packages)
{
    need_rootfs();
    struct sbom_result r;
    test_generate(rootfs(), &r);
    size_t nq = 0, ns = 0;
    cleanup_strv char **want = dpkg_query(&nq);
    cleanup_strv char **got = sbom_debs(&r, &ns);
    cr_assert_gt(nq, 0);
    size_t missing = 0, extra = 0;
    for (size_t i = 0; i < nq; i++)
        if (!contains(got, ns, want[i]) && ++missing)
            fprintf(stderr, "missing from the SBOM: %s\n", want[i]);
    for (size_t i = 0; i < ns; i++)
        if (!contains(want, nq, got[i]) && ++extra)
            fprintf(stderr, "extra in the SBOM: %s\n", got[i]);
    cr_expect_eq(missing, 0, "%zu packages missing", missing);
    cr_expect_eq(extra, 0, "%zu packages extra", extra);
    cr_expect_eq(ns, nq);
    cr_expect_eq(r.counts[SBOM_PKG_DEB], nq);
    cr_expect_str_eq(r.os_id, "debian");
    cr_expect_str_eq(r.os_version, "12");
    cr_expect_eq(r.n_warnings, 0, "unexpected warnings");
    sbom_result_release(&r);
}

Test(debian, os_package_and_purls)
{
    need_rootfs();
    struct sbom_result r;
    test_generate(rootfs(), &r);
    json_t *pkgs = test_spdx_packages(&r);
    json_t *os = json_array_get(pkgs, 1);
    cr_expect_str_eq(json_string_value(json_object_get(os, "primaryPackagePurpose")),
                     "OPERATING_SYSTEM");
    cr_expect_str_eq(json_string_value(json_object_get(os, "name")), "debian");
    cr_expect_str_eq(json_string_value(json_object_get(os, "versionInfo")), "12");
    cr_expect(str_has_prefix(json_string_value(json_object_get(os, "SPDXID")),
                             "SPDXRef-OperatingSystem-"));
    size_t i;
    json_t *p;
    bool libc6 = false;
    json_array_foreach(pkgs, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        if (strcmp(name, "libc6") != 0)
            continue;
        libc6 = true;
        const char *purl = test_purl_of(p);
        cr_expect(str_has_prefix(purl, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u"), "%s", purl);
        cr_expect(strstr(purl, "?arch=amd64&distro=debian-12&upstream=glibc") != NULL, "%s", purl);
        const char *src = json_string_value(json_object_get(p, "sourceInfo"));
        cr_expect(str_has_prefix(src, "built package from: glibc 2.36-9"), "%s", src);
        const char *sup = json_string_value(json_object_get(p, "supplier"));
        cr_expect(str_has_prefix(sup, "Organization: GNU Libc Maintainers"), "%s", sup);
    }
    cr_expect(libc6, "libc6 not in the SBOM");
    json_t *zlib = NULL;
    json_array_foreach(pkgs, i, p)
    {
        if (!strcmp(json_string_value(json_object_get(p, "name")), "zlib1g"))
            zlib = p;
    }
    cr_assert_not_null(zlib);
    cr_expect_str_eq(json_string_value(json_object_get(zlib, "licenseDeclared")), "Zlib",
                     "the license of /usr/share/doc/zlib1g/copyright");
    json_decref(pkgs);
    sbom_result_release(&r);
}

Test(debian, documents_pass_the_validators)
{
    need_rootfs();
    struct sbom_result r;
    test_generate(rootfs(), &r);
    test_validate_result("debian", &r);
    sbom_result_release(&r);
}

Test(debian, same_input_same_bytes)
{
    need_rootfs();
    struct sbom_result a, b;
    test_generate(rootfs(), &a);
    test_generate(rootfs(), &b);
    cr_expect_eq(a.spdx_len, b.spdx_len);
    cr_expect(a.spdx_len == b.spdx_len && !memcmp(a.spdx_json, b.spdx_json, a.spdx_len));
    cr_expect(a.cdx_len == b.cdx_len && !memcmp(a.cdx_json, b.cdx_json, a.cdx_len));
    sbom_result_release(&a);
    sbom_result_release(&b);
}

Test(debian, fast_enough)
{
    need_rootfs();
    struct sbom_result r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    test_generate(rootfs(), &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "sbom: debian minbase: %zu packages, both documents in %.3f s\n", r.total, s);
    /* the target is 0.3 s (bench/sbom-bench.sh); this bound leaves room for sanitizers */
    cr_expect_lt(s, 5.0);
    sbom_result_release(&r);
}
