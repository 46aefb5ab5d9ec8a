/* Platform selection from an image index or a Docker manifest list. */
#include <criterion/criterion.h>
#include <string.h>

#include "registry/registry_platform.h"
#include "util.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DD "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

static json_t *entry(const char *digest, const char *os, const char *arch, const char *variant)
{
    json_t *d = json_pack("{s:s,s:s,s:i}", "mediaType", MEDIA_TYPE_OCI_MANIFEST, "digest", digest,
                          "size", 100);
    if (os) {
        json_t *p = json_pack("{s:s,s:s}", "os", os, "architecture", arch);
        if (variant)
            json_object_set_new(p, "variant", json_string(variant));
        json_object_set_new(d, "platform", p);
    }
    return d;
}

static json_t *index_of(json_t *a, json_t *b, json_t *c, json_t *d)
{
    json_t *ms = json_array();
    json_t *all[] = {a, b, c, d};
    for (size_t i = 0; i < 4; i++)
        if (all[i])
            json_array_append_new(ms, all[i]);
    return json_pack("{s:i,s:o}", "schemaVersion", 2, "manifests", ms);
}

static const struct registry_platform amd64 = {"linux", "amd64", ""};

static const char *pick(json_t *idx, const struct registry_platform *p)
{
    static struct oci_desc d;
    kiln_error_t *err = NULL;
    int r = registry_platform_pick(idx, p, &d, &err);
    json_decref(idx);
    if (r < 0) {
        static char msg[512];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        kiln_error_free(err);
        return msg;
    }
    return d.digest;
}

Test(platform, picks_linux_amd64_from_a_multi_arch_index)
{
    cr_expect_str_eq(
        pick(index_of(entry(DA, "linux", "arm64", "v8"), entry(DB, "linux", "amd64", NULL),
                      entry(DC, "windows", "amd64", NULL), NULL),
             &amd64),
        DB);
}

Test(platform, skips_attestations_and_entries_without_a_platform)
{
    json_t *att = entry(DA, "unknown", "unknown", NULL);
    json_object_set_new(att, "annotations",
                        json_pack("{s:s,s:s}", "vnd.docker.reference.type", "attestation-manifest",
                                  "vnd.docker.reference.digest", DB));
    json_t *fake_att = entry(DC, "linux", "amd64", NULL);
    json_object_set_new(fake_att, "annotations",
                        json_pack("{s:s}", "vnd.docker.reference.type", "attestation-manifest"));
    cr_expect_str_eq(pick(index_of(att, fake_att, entry(DD, NULL, NULL, NULL),
                                   entry(DB, "linux", "amd64", NULL)),
                          &amd64),
                     DB);
}

Test(platform, amd64_microarchitecture_levels)
{
    /* v2/v3 images need CPU features a plain amd64 platform does not promise */
    cr_expect_str_eq(pick(index_of(entry(DA, "linux", "amd64", "v3"),
                                   entry(DB, "linux", "amd64", "v1"), NULL, NULL),
                          &amd64),
                     DB);
    const char *msg = pick(index_of(entry(DA, "linux", "amd64", "v3"), NULL, NULL, NULL), &amd64);
    cr_expect(strstr(msg, "no image for platform linux/amd64") != NULL, "%s", msg);
    struct registry_platform v3 = {"linux", "amd64", "v3"};
    cr_expect_str_eq(
        pick(index_of(entry(DA, "linux", "amd64", "v2"), entry(DB, "linux", "amd64", "v3"),
                      entry(DC, "linux", "amd64", NULL), NULL),
             &v3),
        DB, "the closest level wins");
}

Test(platform, arm_variants_and_arch_aliases)
{
    struct registry_platform arm64 = {"linux", "aarch64", NULL};
    cr_expect_str_eq(pick(index_of(entry(DA, "linux", "arm", "v7"),
                                   entry(DB, "linux", "arm64", "v8"), NULL, NULL),
                          &arm64),
                     DB);
    struct registry_platform armv7 = {"linux", "arm", "v7"};
    cr_expect_str_eq(pick(index_of(entry(DA, "linux", "arm", "v6"), entry(DB, "linux", "arm", "v5"),
                                   entry(DC, "linux", "arm64", NULL), NULL),
                          &armv7),
                     DA);
    int score;
    cr_expect(registry_platform_match(&amd64, "linux", "x86_64", NULL, &score));
    cr_expect_not(registry_platform_match(&amd64, "linux", "386", NULL, &score));
    cr_expect_str_eq(registry_platform_arch("aarch64"), "arm64");
}

Test(platform, no_match_lists_what_the_index_has)
{
    const char *msg = pick(
        index_of(entry(DA, "linux", "arm64", "v8"), entry(DB, "linux", "arm", "v7"), NULL, NULL),
        &amd64);
    cr_expect(strstr(msg, "it has: linux/arm64/v8, linux/arm/v7") != NULL, "%s", msg);
    json_t *bad = json_pack("{s:i}", "schemaVersion", 2);
    msg = pick(bad, &amd64);
    cr_expect(strstr(msg, "no manifests") != NULL, "%s", msg);
}
