/* Shared helpers of the sbom unit tests (header-only: every test_*.c is its own program). */
#ifndef KILN_TEST_SBOM_HELPERS_H
#define KILN_TEST_SBOM_HELPERS_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../skipcheck.h"
#include "fsutil.h"
#include "sbom/intoto.h"
#include "sbom/sbom.h"
#include "snapshot/view.h"
#include "util.h"

#define TEST_DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define VALIDATOR   KILN_SHARED_DIR "/tools/validate-sbom.mjs"

static inline struct view *test_view(const char *dir)
{
    const char *dirs[] = {dir};
    struct view *v = NULL;
    kiln_error_t *e = NULL;
    int r = view_new(dirs, 1, &v, &e);
    cr_assert_eq(r, 0, "view_new '%s': %s", dir, e ? e->msg : "?");
    return v;
}

static inline void test_write(const char *path, const void *data, size_t n)
{
    cleanup_free char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        kiln_error_t *e = NULL;
        cr_assert_eq(mkdir_p_at(AT_FDCWD, dir, 0755, &e), 0, "mkdir '%s'", dir);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0, "create '%s'", path);
    cr_assert_eq(write_all(fd, data, n), 0);
    close(fd);
}

static inline char *test_tmpdir(void)
{
    char tmpl[] = "/tmp/kiln-sbom-test-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static inline void test_rm_rf(const char *dir)
{
    kiln_error_t *e = NULL;
    rm_rf_at(AT_FDCWD, dir, &e);
    kiln_error_free(e);
}

/* node and the shared checker TOOL (a path under ../shared) are there; else the check is
 * reported as skipped. */
static inline bool test_have_tool(const char *tool, const char *what)
{
    if (system("command -v node >/dev/null 2>&1") != 0) {
        test_skip_check(what, "node is not installed");
        return false;
    }
    if (access(tool, R_OK) != 0) {
        test_skip_check(what, "no ../shared/tools next to the checkout");
        return false;
    }
    return true;
}

/* Runs the shared validator on a file; returns its exit status (0 valid). Prints its output. */
static inline int test_validate(const char *mode, const char *path)
{
    cleanup_free char *cmd = xasprintf("node '%s' %s '%s' 2>&1", VALIDATOR, mode, path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[1024];
    while (fgets(line, sizeof(line), p))
        fprintf(stderr, "  validator: %s", line);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

/* Writes doc, and doc wrapped in an in-toto statement, under dir and checks both with the
 * validator in mode; fails the test when the validator fails (a skipped check without it). */
static inline void test_validate_doc(const char *dir, const char *tag, const char *mode,
                                     const char *ptype, const char *doc, size_t len)
{
    cleanup_free char *what = xasprintf("validate-sbom %s", tag);
    if (!test_have_tool(VALIDATOR, what))
        return;
    cleanup_free char *plain = xasprintf("%s/%s.json", dir, tag);
    cleanup_free char *wrapped = xasprintf("%s/%s.intoto.json", dir, tag);
    test_write(plain, doc, len);
    struct intoto_subject s = {"test-image", TEST_DIGEST};
    char *st = NULL;
    size_t stlen = 0;
    kiln_error_t *e = NULL;
    cr_assert_eq(intoto_statement(ptype, &s, 1, doc, len, &st, &stlen, &e), 0, "%s",
                 e ? e->msg : "");
    test_write(wrapped, st, stlen);
    free(st);
    cr_expect_eq(test_validate(mode, plain), 0, "validator %s failed on %s", mode, plain);
    cr_expect_eq(test_validate(mode, wrapped), 0, "validator %s failed on %s", mode, wrapped);
}

static inline void test_validate_result(const char *tag, const struct sbom_result *r)
{
    cleanup_free char *dir = test_tmpdir();
    cleanup_free char *spdx = xasprintf("%s-spdx", tag), *cdx = xasprintf("%s-cdx", tag);
    test_validate_doc(dir, spdx, "spdx-strict", SBOM_SPDX_PREDICATE_TYPE, r->spdx_json,
                      r->spdx_len);
    test_validate_doc(dir, cdx, "cdx", SBOM_CDX_PREDICATE_TYPE, r->cdx_json, r->cdx_len);
    if (!getenv("KILN_TEST_KEEP"))
        test_rm_rf(dir);
    else
        fprintf(stderr, "kept %s\n", dir);
}

/* Generates the SBOMs of the one-layer view over dir. */
static inline void test_generate(const char *dir, struct sbom_result *r)
{
    cleanup_view struct view *v = test_view(dir);
    struct sbom_image_info info = {.name = "registry.example/team/test-image:1",
                                   .manifest_digest = TEST_DIGEST,
                                   .arch = "amd64",
                                   .epoch = 0};
    kiln_error_t *e = NULL;
    int rc = sbom_generate(v, &info, r, &e);
    cr_assert_eq(rc, 0, "sbom_generate: %s", e ? e->msg : "");
    for (size_t i = 0; i < r->n_warnings; i++)
        fprintf(stderr, "warning: %s\n", r->warnings[i]);
}

/* "name version extra" lines of the SPDX packages whose purl starts with prefix, sorted, one
 * per line; extra is the purl. */
static inline json_t *test_spdx_packages(const struct sbom_result *r)
{
    json_error_t je;
    json_t *doc = json_loads(r->spdx_json, 0, &je);
    cr_assert_not_null(doc, "SPDX is not JSON: %s", je.text);
    json_t *pk = json_incref(json_object_get(doc, "packages"));
    json_decref(doc);
    return pk;
}

static inline const char *test_purl_of(json_t *pkg)
{
    json_t *refs = json_object_get(pkg, "externalRefs");
    json_t *first = json_array_get(refs, 0);
    return json_string_value(json_object_get(first, "referenceLocator"));
}

/* Finds the SPDX package with this purl; NULL when absent. */
static inline json_t *test_find_purl(json_t *pkgs, const char *purl)
{
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p)
    {
        const char *u = test_purl_of(p);
        if (u && !strcmp(u, purl))
            return p;
    }
    return NULL;
}

#endif
