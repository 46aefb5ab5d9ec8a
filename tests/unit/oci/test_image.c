#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>

#include "fsutil.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "util.h"

static char root[64];
static struct store *st;

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kiln-img-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    cr_assert_eq(store_open(root, &st, NULL), 0);
}

static void teardown(void)
{
    store_close(st);
    rm_rf_at(AT_FDCWD, root, NULL);
}

TestSuite(image, .init = setup, .fini = teardown);

Test(image, scratch_config_is_buildkits_empty_image)
{
    struct image *img = image_new_scratch("linux", "amd64", "");
    cr_expect_null(image_env_get(img, "PATH")); /* the frontend's scope adds the default PATH */
    cr_expect_str_eq(image_cfg_string(img, "WorkingDir"), "/");
    image_env_set(img, "A", "1");
    image_env_set(img, "A", "2");
    cr_expect_str_eq(image_env_get(img, "A"), "2");
    cr_expect_eq(json_array_size(json_object_get(image_cfg(img), "Env")), 1);
    image_free(img);
}

Test(image, commit_writes_config_and_manifest_and_load_reads_them_back)
{
    struct image *img = image_new_scratch("linux", "amd64", "");
    const char *digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const char *diff = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    cr_assert_eq(image_add_layer(img, digest, diff, 42, MEDIA_TYPE_LAYER_GZIP, NULL), 0);
    image_add_history(img, "COPY a b # buildkit", false, 86400);
    struct oci_desc m, c;
    kiln_error_t *err = NULL;
    cr_assert_eq(image_commit(st, img, 86400, NULL, &m, &c, &err), 0);
    char *cfg;
    cr_assert_eq(store_read_blob(st, c.digest, 1 << 20, &cfg, NULL, NULL), 0);
    cr_expect_not_null(strstr(cfg, "\"created\":\"1970-01-02T00:00:00Z\""), "%s", cfg);
    cr_expect_not_null(strstr(cfg, "\"diff_ids\":[\"sha256:2222"), "%s", cfg);
    cr_expect_not_null(strstr(cfg, "\"comment\":\"buildkit.dockerfile.v0\""), "%s", cfg);
    free(cfg);
    struct image *back = NULL;
    cr_assert_eq(image_load(st, m.digest, &back, &err), 0, "%s", err ? err->msg : "");
    cr_expect_eq(back->nlayers, 1);
    cr_expect_str_eq(back->layers[0].digest, digest);
    cr_expect_eq(back->layers[0].size, 42);
    struct oci_desc m2;
    cr_assert_eq(image_commit(st, back, 86400, NULL, &m2, NULL, &err), 0);
    cr_expect_str_eq(m.digest, m2.digest, "stable serialisation");
    image_free(img);
    image_free(back);
}

Test(image, load_refuses_diff_id_count_mismatch)
{
    const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
                      "\"layers\",\"diff_ids\":[]}}";
    char cd[DIGEST_STR_LEN + 1], md[DIGEST_STR_LEN + 1];
    cr_assert_eq(store_put_blob(st, cfg, strlen(cfg), cd, NULL), 0);
    char *man = xasprintf(
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
        "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"sha256:"
        "1111111111111111111111111111111111111111111111111111111111111111\",\"size\":1}]}",
        MEDIA_TYPE_OCI_CONFIG, cd, strlen(cfg), MEDIA_TYPE_LAYER_GZIP);
    cr_assert_eq(store_put_blob(st, man, strlen(man), md, NULL), 0);
    struct image *img = NULL;
    kiln_error_t *err = NULL;
    cr_expect_eq(image_load(st, md, &img, &err), -1);
    cr_assert_not_null(err);
    cr_expect_eq(err->code, KILN_ECORRUPT);
    kiln_error_free(err);
    free(man);
}

Test(reference, docker_normalisation)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"python", "docker.io/library/python:latest"},
        {"python:3.12-slim", "docker.io/library/python:3.12-slim"},
        {"user/app:1", "docker.io/user/app:1"},
        {"127.0.0.1:5000/repo/x:tag", "127.0.0.1:5000/repo/x:tag"},
        {"localhost/app", "localhost/app:latest"},
        {"app@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
         "docker.io/library/"
         "app@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct reference r;
        cr_assert_eq(reference_parse(cases[i].in, &r, NULL), 0, "%s", cases[i].in);
        char *s = reference_string(&r);
        cr_expect_str_eq(s, cases[i].out);
        free(s);
        reference_release(&r);
    }
    struct reference r;
    const char *bad[] = {"UPPER", "a:b:c", "", "app@sha256:short", "a//b"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        cr_expect_eq(reference_parse(bad[i], &r, NULL), -1, "'%s' must be refused", bad[i]);
}
