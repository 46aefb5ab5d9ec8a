#include <string.h>

#include "buf.h"
#include "registry_platform.h"
#include "util.h"

#define PLATFORM_LIST_LEN 400  /* listed platforms stop past this length */
#define PLATFORM_LIST_MAX 1024 /* PLATFORM_LIST_LEN + one entry of at most 3 * 40 + 4 bytes */

const char *registry_platform_arch(const char *arch)
{
    static const struct {
        const char *alias, *name;
    } names[] = {
        {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"aarch64", "arm64"}, {"i386", "386"},
        {"i686", "386"},     {"armhf", "arm"},    {"armel", "arm"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (!strcmp(arch, names[i].alias))
            return names[i].name;
    return arch;
}

/* The variant level: "vN" -> N; "" -> the architecture's default level. -1: not "vN". */
static int variant_level(const char *arch, const char *v)
{
    if (!v || !*v) {
        if (!strcmp(arch, "arm64"))
            return 8;
        return !strcmp(arch, "arm") ? 7 : 1;
    }
    uint64_t n;
    if (v[0] != 'v' || parse_u64(v + 1, 99, &n) < 0)
        return -1;
    return (int)n;
}

bool registry_platform_match(const struct registry_platform *want, const char *os, const char *arch,
                             const char *variant, int *score)
{
    if (!os || !arch || strcmp(os, want->os) != 0)
        return false;
    const char *wa = registry_platform_arch(want->arch), *a = registry_platform_arch(arch);
    if (strcmp(wa, a) != 0)
        return false;
    int wl = variant_level(wa, want->variant), l = variant_level(a, variant);
    if (wl < 0 || l < 0) {
        *score = 0;
        return !strcmp(want->variant ? want->variant : "", variant ? variant : "");
    }
    *score = l;
    return l <= wl;
}

static bool is_attestation(json_t *d)
{
    json_t *ann = json_object_get(d, "annotations");
    return json_object_get(ann, "vnd.docker.reference.type") != NULL;
}

/* The platforms an index offers, for the error message: about PLATFORM_LIST_LEN bytes, each
 * part cut at 40 bytes (the index comes from the registry). */
static int list_platform(struct buf *b, json_t *p)
{
    const char *os = json_string_value(json_object_get(p, "os"));
    const char *arch = json_string_value(json_object_get(p, "architecture"));
    const char *v = json_string_value(json_object_get(p, "variant"));
    if (!os || !arch || b->len >= PLATFORM_LIST_LEN)
        return 0;
    return buf_addf(b, NULL, "%s%.40s/%.40s%s%.40s", b->len ? ", " : "", os, arch,
                    v && *v ? "/" : "", v ? v : "");
}

int registry_platform_pick(json_t *index, const struct registry_platform *want,
                           struct oci_desc *out, kiln_error_t **err)
{
    json_t *ms = json_object_get(index, "manifests");
    if (!json_is_array(ms))
        return kiln_err(err, KILN_ECORRUPT, 0, "image index has no manifests array");
    cleanup_buf struct buf seen = BUF_INIT(PLATFORM_LIST_MAX);
    int best = -1;
    size_t i;
    json_t *d;
    json_array_foreach(ms, i, d)
    {
        json_t *p = json_object_get(d, "platform");
        int score;
        if (!json_is_object(p) || is_attestation(d))
            continue;
        if (list_platform(&seen, p) < 0)
            return kiln_err(err, KILN_EINTERNAL, 0, "platform list over %d bytes",
                            PLATFORM_LIST_MAX);
        if (!registry_platform_match(want, json_string_value(json_object_get(p, "os")),
                                     json_string_value(json_object_get(p, "architecture")),
                                     json_string_value(json_object_get(p, "variant")), &score) ||
            score <= best)
            continue;
        if (desc_parse(d, "image index", out, err) < 0)
            return -1;
        best = score;
    }
    if (best >= 0)
        return 0;
    const char *v = want->variant && *want->variant ? want->variant : NULL;
    return kiln_err(err, KILN_EINPUT, 0,
                    "no image for platform %s/%s%s%s in the index (it has: %s)", want->os,
                    want->arch, v ? "/" : "", v ? v : "", seen.len ? buf_str(&seen) : "none");
}
