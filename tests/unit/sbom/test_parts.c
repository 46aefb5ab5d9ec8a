/* The pieces under the catalogers: purls, license expressions, stanzas, text cleaning. */
#include "helpers.h"
#include "sbom/license.h"
#include "sbom/purl.h"
#include "sbom/stanza.h"
#include "sbom/text.h"

Test(purl, escapes_and_sorts)
{
    struct purl_qualifier q[] = {{"upstream", "glibc@2.36-9"},
                                 {"arch", "amd64"},
                                 {"distro", "debian-12"},
                                 {"empty", ""},
                                 {"none", NULL}};
    cleanup_free char *p = purl_build("deb", "debian", "libc6", "1:2.36-9+deb12u4", q, 5);
    cr_expect_str_eq(p, "pkg:deb/debian/libc6@1%3A2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&"
                        "upstream=glibc%402.36-9");
    cleanup_free char *u = purl_build("generic", "a b/c", "n\xc3\xa9 ~x", NULL, NULL, 0);
    cr_expect_str_eq(u, "pkg:generic/a%20b/c/n%C3%A9%20~x");
}

Test(purl, ecosystems)
{
    struct catalog_os os = {.id = "alpine", .version_id = "3.19.1"};
    struct pkg npm = {.type = SBOM_PKG_NPM, .name = "@babel/core", .version = "7.0.0"};
    struct pkg py = {.type = SBOM_PKG_PYTHON, .name = "Zope.Interface__x", .version = "6.0"};
    struct pkg go = {.type = SBOM_PKG_GO, .name = "github.com/a/b/v2", .version = "v2.0.1"};
    struct pkg mvn = {.type = SBOM_PKG_MAVEN, .group = "org.x", .name = "y", .version = "1"};
    struct pkg apk = {.type = SBOM_PKG_APK, .name = "musl", .version = "1.2-r0", .arch = "x86_64"};
    const struct {
        struct pkg *p;
        const char *want;
    } cases[] = {
        {&npm, "pkg:npm/%40babel/core@7.0.0"},
        {&py, "pkg:pypi/zope-interface-x@6.0"},
        {&go, "pkg:golang/github.com/a/b/v2@v2.0.1"},
        {&mvn, "pkg:maven/org.x/y@1"},
        {&apk, "pkg:apk/alpine/musl@1.2-r0?arch=x86_64&distro=alpine-3.19.1"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cleanup_free char *got = purl_for_pkg(cases[i].p, &os);
        cr_expect_str_eq(got, cases[i].want);
    }
}

static void expect_license(const char *raw, const char *expr, const char *single, bool free_text)
{
    struct license l;
    cr_assert(license_parse(raw, &l), "%s", raw);
    cr_expect_str_eq(l.expr, expr, "license '%s'", raw);
    if (single)
        cr_expect_str_eq(l.single_id, single);
    else
        cr_expect_null(l.single_id, "'%s' is not one id", raw);
    cr_expect_eq(l.free_text, free_text, "'%s' free text", raw);
    license_release(&l);
}

Test(license, normalizes_to_spdx_expressions)
{
    expect_license("MIT", "MIT", "MIT", false);
    expect_license("mit", "MIT", "MIT", false);
    expect_license("Apache 2.0", "Apache-2.0", "Apache-2.0", false);
    expect_license("GPL-2+ or Artistic", "GPL-2.0-or-later OR Artistic-1.0-Perl", NULL, false);
    expect_license("(MIT OR Apache-2.0) AND BSD-3-clause", "(MIT OR Apache-2.0) AND BSD-3-Clause",
                   NULL, false);
    expect_license("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception", NULL, false);
    expect_license("LGPL-2.1+ | MPL-2.0", "LGPL-2.1-or-later OR MPL-2.0", NULL, false);
    expect_license("MIT AND public-domain", "MIT AND LicenseRef-public-domain", NULL, false);
    expect_license("public-domain", "LicenseRef-public-domain", NULL, true);
    expect_license("GPL-3+ with Bison exception", "GPL-3.0-or-later WITH Bison-exception-2.2", NULL,
                   false);
    expect_license("GPL-2+\nMIT or Apache-2.0", "GPL-2.0-or-later AND (MIT OR Apache-2.0)", NULL,
                   false);
    expect_license("\nZlib\n", "Zlib", "Zlib", false);
    expect_license("LicenseRef-Acme", "LicenseRef-Acme", NULL, true);
    expect_license("Apache Software License", "Apache-2.0", "Apache-2.0", false);
}

Test(license, free_text_gets_a_stable_ref)
{
    struct license a, b;
    cr_assert(license_parse("GPL-2+ with Acme exception", &a));
    cr_assert(license_parse("GPL-2+ with Acme exception", &b));
    cr_expect(a.free_text);
    cr_expect(str_has_prefix(a.expr, "LicenseRef-GPL-2-with-Acme-exception-"), "%s", a.expr);
    cr_expect_str_eq(a.expr, b.expr);
    cr_expect_eq(a.nrefs, 1);
    cr_expect_str_eq(a.refs[0].text, "GPL-2+ with Acme exception");
    license_release(&a);
    license_release(&b);
    cr_assert(license_parse("GPL-2+\nfoo, bar\nfoo, bar", &a));
    cr_expect(str_has_prefix(a.expr, "GPL-2.0-or-later AND LicenseRef-foo-bar-"), "%s", a.expr);
    cr_expect_eq(strlen(a.expr), strlen("GPL-2.0-or-later AND LicenseRef-foo-bar-") + 8, "%s",
                 a.expr);
    cr_expect_eq(a.nrefs, 1);
    cr_expect_str_eq(a.refs[0].text, "foo, bar");
    license_release(&a);
    cr_expect_not(license_parse("", &a));
    cr_expect_not(license_parse(NULL, &a));
    cr_expect_not_null(license_id_lookup("apache-2.0", 10));
    /* every alias maps to an id of the list (CycloneDX validates license.id against it) */
    static const char *const aliases[] = {"GPL-2+", "Expat",   "Artistic",  "PSF", "Python",
                                          "MIT-0",  "ZPL-2.1", "GFDL-1.3+", "CC0", "AGPL-3+"};
    for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
        cr_assert(license_parse(aliases[i], &a));
        cr_expect_not_null(a.single_id, "%s", aliases[i]);
        if (a.single_id)
            cr_expect_not_null(license_id_lookup(a.single_id, strlen(a.single_id)), "%s",
                               aliases[i]);
        license_release(&a);
    }
    cr_expect_null(license_id_lookup("Apache-2", 8));
}

Test(stanza, deb_continuations_and_crlf)
{
    static const char *const keys[] = {"Package", "Description", "Version", NULL};
    const char text[] = "\n\nPackage: a\r\nDescription: short\r\n long line\r\n .\r\n"
                        "Version:  1.0 \r\n\r\nPackage: b\nVersion: 2\n";
    cleanup_stanza struct stanza st;
    stanza_init(&st, STANZA_DEB, keys);
    size_t pos = 0;
    cr_assert(stanza_next(&st, text, sizeof(text) - 1, &pos));
    cr_expect_str_eq(stanza_get(&st, "Package"), "a");
    cr_expect_str_eq(stanza_get(&st, "Description"), "short\nlong line\n.");
    cr_expect_str_eq(stanza_get(&st, "Version"), "1.0 ");
    cr_assert(stanza_next(&st, text, sizeof(text) - 1, &pos));
    cr_expect_str_eq(stanza_get(&st, "Package"), "b");
    cr_expect_null(stanza_get(&st, "Description"));
    cr_expect_not(stanza_next(&st, text, sizeof(text) - 1, &pos));
}

Test(stanza, manifest_wraps_and_apk_case)
{
    static const char *const mk[] = {"Bundle-SymbolicName", NULL};
    const char mf[] = "Manifest-Version: 1.0\nbundle-symbolicname: com.example.ver\n y.long\n\n";
    cleanup_stanza struct stanza st;
    stanza_init(&st, STANZA_MANIFEST, mk);
    size_t pos = 0;
    cr_assert(stanza_next(&st, mf, sizeof(mf) - 1, &pos));
    cr_expect_str_eq(stanza_get(&st, "Bundle-SymbolicName"), "com.example.very.long");
    static const char *const ak[] = {"P", "p", NULL};
    const char apk[] = "P:name\np:so:libc.so=1\nR:file\n";
    cleanup_stanza struct stanza a;
    stanza_init(&a, STANZA_APK, ak);
    pos = 0;
    cr_assert(stanza_next(&a, apk, sizeof(apk) - 1, &pos));
    cr_expect_str_eq(stanza_get(&a, "P"), "name");
    cr_expect_str_eq(stanza_get(&a, "p"), "so:libc.so=1");
}

Test(text, cleans_untrusted_bytes)
{
    cleanup_free char *a = text_clean_str("  caf\xc3\xa9\tbar\x01 \n");
    cr_expect_str_eq(a, "caf\xc3\xa9 bar");
    cleanup_free char *b = text_clean_str("\xff\xc0\xafok\xed\xa0\x80");
    cr_expect_str_eq(b, "???ok???");
    cr_expect_null(text_clean_str(" \t\n"));
    char *big = xmalloc(TEXT_MAX_FIELD * 2 + 1);
    memset(big, 'x', TEXT_MAX_FIELD * 2);
    big[TEXT_MAX_FIELD * 2] = '\0';
    big[TEXT_MAX_FIELD - 1] = '\xc3'; /* a 2-byte character across the cut */
    big[TEXT_MAX_FIELD] = '\xa9';
    cleanup_free char *c = text_clean_str(big);
    free(big);
    cr_expect_eq(strlen(c), TEXT_MAX_FIELD - 1);
    cr_expect(text_is_clean(c, strlen(c)));
}
