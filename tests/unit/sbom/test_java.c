/* Java archives, written here with libarchive's zip writer: pom.properties packages, manifest
 * fallbacks, nested jars, sha1 checksums, and archives that are not zips. */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "helpers.h"

struct zip {
    char *buf;
    size_t cap, used;
    struct archive *a;
};

static void zip_begin(struct zip *z)
{
    z->cap = 4u << 20;
    z->buf = xmalloc(z->cap);
    z->used = 0;
    z->a = archive_write_new();
    cr_assert_eq(archive_write_set_format_zip(z->a), ARCHIVE_OK);
    cr_assert_eq(archive_write_open_memory(z->a, z->buf, z->cap, &z->used), ARCHIVE_OK);
}

static void zip_add(struct zip *z, const char *name, const void *data, size_t n)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)n);
    cr_assert_eq(archive_write_header(z->a, e), ARCHIVE_OK, "%s", archive_error_string(z->a));
    cr_assert_eq(archive_write_data(z->a, data, n), (la_ssize_t)n);
    archive_entry_free(e);
}

static void zip_adds(struct zip *z, const char *name, const char *text)
{
    zip_add(z, name, text, strlen(text));
}

static void zip_end(struct zip *z)
{
    cr_assert_eq(archive_write_close(z->a), ARCHIVE_OK);
    archive_write_free(z->a);
}

static void sha1_of(const void *p, size_t n, char out[41])
{
    unsigned char md[20];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha1(), NULL);
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void write_at(const char *root, const char *rel, const void *p, size_t n)
{
    cleanup_free char *path = xasprintf("%s/%s", root, rel);
    test_write(path, p, n);
}

/* commons-lang3-3.12.0.jar: a pom.properties and a manifest. */
static void make_commons(struct zip *z)
{
    zip_begin(z);
    zip_adds(z, "META-INF/MANIFEST.MF",
             "Manifest-Version: 1.0\r\nBundle-SymbolicName: org.apache.commons.lang3\r\n"
             "Implementation-Version: 3.12.0\r\n\r\n");
    zip_adds(z, "META-INF/maven/org.apache.commons/commons-lang3/pom.properties",
             "#Created by Apache Maven 3.6.3\ngroupId=org.apache.commons\n"
             "artifactId=commons-lang3\nversion=3.12.0\n");
    zip_adds(z, "org/apache/commons/lang3/StringUtils.class", "\xca\xfe\xba\xbe");
    zip_end(z);
}

/* guava-32.1.2-jre.jar: a manifest only, its symbolic name wrapped at 72 bytes. */
static void make_guava(struct zip *z)
{
    zip_begin(z);
    zip_adds(z, "META-INF/MANIFEST.MF",
             "Manifest-Version: 1.0\r\nBundle-Vendor: Google, Inc.\r\n"
             "Bundle-SymbolicName: com.google.gu\r\n ava.guava\r\n"
             "Bundle-Version: 32.1.2.jre\r\nBundle-License: http://www.apache.org/licenses/"
             "LICENSE-2.0.txt\r\n\r\n");
    zip_end(z);
}

/* app.jar (Spring Boot layout): its own pom, and both jars above in BOOT-INF/lib. */
static void make_app(struct zip *z, const struct zip *commons, const struct zip *guava)
{
    zip_begin(z);
    zip_adds(z, "META-INF/MANIFEST.MF",
             "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\n"
             "Implementation-Title: app\nImplementation-Version: 1.0.0\n\n");
    zip_adds(z, "META-INF/maven/com.example/app/pom.properties",
             "artifactId=app\ngroupId=com.example\nversion=1.0.0\n");
    zip_add(z, "BOOT-INF/lib/commons-lang3-3.12.0.jar", commons->buf, commons->used);
    zip_add(z, "BOOT-INF/lib/guava-32.1.2-jre.jar", guava->buf, guava->used);
    zip_end(z);
}

static const char *field(json_t *pkg, const char *key)
{
    return json_string_value(json_object_get(pkg, key));
}

static const char *spdx_sha1(json_t *pkg)
{
    json_t *c = json_array_get(json_object_get(pkg, "checksums"), 0);
    return json_string_value(json_object_get(c, "checksumValue"));
}

Test(java, archives_nested_and_manifest_only)
{
    cleanup_free char *root = test_tmpdir();
    struct zip commons, guava, app, empty;
    make_commons(&commons);
    make_guava(&guava);
    make_app(&app, &commons, &guava);
    write_at(root, "opt/app/app.jar", app.buf, app.used);
    write_at(root, "usr/share/java/guava-32.1.2-jre.jar", guava.buf, guava.used);
    zip_begin(&empty);
    zip_adds(&empty, "README.txt", "no metadata at all");
    zip_end(&empty);
    write_at(root, "usr/share/java/plain-1.0.war", empty.buf, empty.used);
    write_at(root, "opt/bad.jar", "this is not a zip archive", 25);

    struct sbom_result r;
    test_generate(root, &r);
    json_t *pkgs = test_spdx_packages(&r);
    static const char *const want[] = {
        "pkg:maven/com.example/app@1.0.0",
        "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
        "pkg:maven/com.google.guava/guava@32.1.2-jre",
        "pkg:maven/plain/plain@1.0",
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        cr_expect_not_null(test_find_purl(pkgs, want[i]), "missing %s", want[i]);
    cr_expect_eq(r.counts[SBOM_PKG_MAVEN], ARRAY_SIZE(want), "guava twice is one package");
    cr_expect_eq(json_array_size(pkgs), ARRAY_SIZE(want) + 1);

    char sha[41];
    sha1_of(app.buf, app.used, sha);
    json_t *p = test_find_purl(pkgs, want[0]);
    cr_expect_str_eq(spdx_sha1(p), sha);
    sha1_of(commons.buf, commons.used, sha);
    p = test_find_purl(pkgs, want[1]);
    cr_expect_str_eq(spdx_sha1(p), sha);
    cr_expect_str_eq(field(p, "sourceInfo"),
                     "acquired package info from java archive: "
                     "/opt/app/app.jar!/BOOT-INF/lib/commons-lang3-3.12.0.jar");
    p = test_find_purl(pkgs, want[2]);
    cr_expect_str_eq(field(p, "supplier"), "Organization: Google, Inc.");
    cr_expect_str_eq(field(p, "licenseDeclared"), "NOASSERTION", "a URL is not a license id");
    bool warned = false;
    for (size_t i = 0; i < r.n_warnings; i++)
        warned |= strstr(r.warnings[i], "'/opt/bad.jar'") != NULL;
    cr_expect(warned, "no warning for a .jar that is not a zip");
    json_decref(pkgs);
    test_validate_result("java", &r);
    sbom_result_release(&r);
    free(commons.buf), free(guava.buf), free(app.buf), free(empty.buf);
    test_rm_rf(root);
}
