/* The attestation manifest: an OCI layout holding a tiny image, its SBOM and provenance
 * statements and the attestation manifest passes the shared layout checker. */
#include "helpers.h"
#include "sbom/attest.h"
#include "sbom/provenance.h"
#include "store/store.h"

#define CHECKER KILN_SHARED_DIR "/tools/check-oci-layout.mjs"

static void put(struct store *s, const char *data, size_t n, char d[DIGEST_STR_LEN + 1])
{
    kiln_error_t *e = NULL;
    cr_assert_eq(store_put_blob(s, data, n, d, &e), 0, "%s", e ? e->msg : "");
}

/* A one-layer image (an empty tar) with a non-root user; its manifest descriptor. */
static void make_image(struct store *s, struct attest_desc *m)
{
    static const char tar[1024];
    char layer[DIGEST_STR_LEN + 1], config[DIGEST_STR_LEN + 1];
    put(s, tar, sizeof(tar), layer);
    cleanup_free char *cfg =
        xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"1000\"},"
                  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
                  layer);
    put(s, cfg, strlen(cfg), config);
    cleanup_free char *man = xasprintf(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
        "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer."
        "v1.tar\",\"digest\":\"%s\",\"size\":1024}]}",
        config, strlen(cfg), layer);
    put(s, man, strlen(man), m->digest);
    m->size = strlen(man);
    m->media_type = ATTEST_MANIFEST_TYPE;
}

static void statement(struct store *s, const char *ptype, const char *pred, size_t len,
                      const char *subject, struct attest_layer *out)
{
    struct intoto_subject sub = {"registry.example/app:1", subject};
    char *st = NULL;
    size_t stlen = 0;
    kiln_error_t *e = NULL;
    cr_assert_eq(intoto_statement(ptype, &sub, 1, pred, len, &st, &stlen, &e), 0);
    cr_assert_eq(attest_put_statement(s, st, stlen, ptype, out, &e), 0);
    free(st);
}

static void write_index(const char *root, const struct attest_desc *img,
                        const struct attest_desc *att)
{
    cleanup_free char *entry = attest_index_entry(att, img->digest);
    cleanup_free char *index = xasprintf(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
        "\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu,\"platform\":"
        "{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":{\"org.opencontainers."
        "image.ref.name\":\"app\"}},%s]}",
        img->media_type, img->digest, (unsigned long long)img->size, entry);
    cleanup_free char *ip = xasprintf("%s/index.json", root);
    cleanup_free char *lp = xasprintf("%s/oci-layout", root);
    test_write(ip, index, strlen(index));
    test_write(lp, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
}

Test(attest, layout_with_sbom_and_provenance_passes_the_checker)
{
    cleanup_free char *root = test_tmpdir();
    struct store *s = NULL;
    kiln_error_t *e = NULL;
    cr_assert_eq(store_open(root, &s, &e), 0);
    struct attest_desc img, att;
    make_image(s, &img);

    struct sbom_result r;
    test_generate(KILN_SOURCE_DIR "/testdata/sbom/alpine/rootfs", &r);
    struct provenance_info pi = {.dockerfile_path = "Dockerfile", .image_digest = img.digest};
    cleanup_free char *prov = NULL;
    size_t plen = 0;
    cr_assert_eq(provenance_predicate(&pi, &prov, &plen, &e), 0);
    struct attest_layer layers[3];
    statement(s, SBOM_SPDX_PREDICATE_TYPE, r.spdx_json, r.spdx_len, img.digest, &layers[0]);
    statement(s, SBOM_CDX_PREDICATE_TYPE, r.cdx_json, r.cdx_len, img.digest, &layers[1]);
    statement(s, PROVENANCE_PREDICATE_TYPE, prov, plen, img.digest, &layers[2]);
    cr_assert_eq(attest_put_manifest(s, &img, layers, 3, &att, &e), 0, "%s", e ? e->msg : "");
    store_close(s);
    write_index(root, &img, &att);
    sbom_result_release(&r);

    cleanup_free char *blob = xasprintf("%s/blobs/sha256/%s", root, digest_hex(att.digest));
    char *man = NULL;
    size_t mlen = 0;
    cr_assert_eq(read_file_limited(AT_FDCWD, blob, 1 << 20, &man, &mlen, &e), 0);
    json_t *j = json_loads(man, 0, NULL);
    free(man);
    cr_expect_str_eq(json_string_value(json_object_get(j, "artifactType")), ATTEST_ARTIFACT_TYPE);
    json_t *cfg = json_object_get(j, "config");
    cr_expect_str_eq(json_string_value(json_object_get(cfg, "digest")), ATTEST_EMPTY_DIGEST);
    cr_expect_str_eq(json_string_value(json_object_get(cfg, "data")), "e30=");
    json_t *subj = json_object_get(j, "subject");
    cr_expect_str_eq(json_string_value(json_object_get(subj, "digest")), img.digest);
    json_decref(j);

    if (test_have_tool(CHECKER, "check-oci-layout of the attestation layout")) {
        cleanup_free char *cmd = xasprintf("node '%s' '%s' --ref app 2>&1", CHECKER, root);
        int st = system(cmd);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "check-oci-layout failed on %s", root);
    }
    if (!getenv("KILN_TEST_KEEP"))
        test_rm_rf(root);
}

Test(attest, build_all_in_one)
{
    cleanup_free char *root = test_tmpdir();
    struct store *s = NULL;
    kiln_error_t *e = NULL;
    cr_assert_eq(store_open(root, &s, &e), 0);
    struct attest_desc img, att, att2;
    make_image(s, &img);
    struct sbom_result r;
    test_generate(KILN_SOURCE_DIR "/testdata/sbom/npm/rootfs", &r);
    struct provenance_info pi = {.dockerfile_path = "Dockerfile", .image_digest = img.digest};
    cr_assert_eq(attest_build(s, &img, "app", &r, &pi, &att, &e), 0, "%s", e ? e->msg : "");
    cr_assert_eq(attest_build(s, &img, "app", &r, &pi, &att2, &e), 0);
    cr_expect_str_eq(att.digest, att2.digest, "the same inputs give the same manifest");
    cr_expect_eq(attest_build(s, &img, "app", NULL, NULL, &att2, &e), -1);
    kiln_error_free(e);
    store_close(s);
    write_index(root, &img, &att);
    sbom_result_release(&r);
    if (test_have_tool(CHECKER, "check-oci-layout of the all-in-one layout")) {
        cleanup_free char *cmd =
            xasprintf("node '%s' '%s' --ref app >/dev/null 2>&1", CHECKER, root);
        int st = system(cmd);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "check-oci-layout failed on %s", root);
    }
    test_rm_rf(root);
}

Test(attest, refuses_bad_descriptors)
{
    struct attest_desc subj = {.media_type = ATTEST_MANIFEST_TYPE, .digest = "sha256:x"};
    struct attest_layer l = {.digest = TEST_DIGEST, .size = 1, .predicate_type = "x"};
    char *out = NULL;
    size_t len = 0;
    kiln_error_t *e = NULL;
    cr_expect_eq(attest_manifest_json(&subj, &l, 1, &out, &len, &e), -1);
    kiln_error_free(e);
    e = NULL;
    memcpy(subj.digest, TEST_DIGEST, sizeof(TEST_DIGEST));
    cr_expect_eq(attest_manifest_json(&subj, &l, 0, &out, &len, &e), -1);
    kiln_error_free(e);
}
