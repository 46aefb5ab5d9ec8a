/* kiln inspect LAYOUT[:TAG|@DIGEST]: a summary of an image in an OCI layout. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "json.h"
#include "oci/inspect.h"
#include "util.h"

/* Splits "DIR:TAG" or "DIR@sha256:..."; a ':' that is part of the path (no such tag) stays. */
static void split_ref(const char *arg, char **dir, char **ref)
{
    const char *at = strstr(arg, "@sha256:");
    const char *colon = strrchr(arg, ':');
    const char *slash = strrchr(arg, '/');
    if (at) {
        *dir = xstrndup(arg, (size_t)(at - arg));
        *ref = xstrdup(at + 1);
    } else if (colon && (!slash || colon > slash) && colon[1]) {
        *dir = xstrndup(arg, (size_t)(colon - arg));
        *ref = xstrdup(colon + 1);
    } else {
        *dir = xstrdup(arg);
        *ref = NULL;
    }
}

static const char *type_of_purl(const char *purl)
{
    static char t[32];
    if (!purl || strncmp(purl, "pkg:", 4))
        return "other";
    size_t n = strcspn(purl + 4, "/@");
    snprintf(t, sizeof(t), "%.*s", (int)(n < sizeof(t) ? n : sizeof(t) - 1), purl + 4);
    return t;
}

/* Package counts by purl type, from the SPDX statement. */
static void print_packages(json_t *atts)
{
    size_t i;
    json_t *st;
    json_array_foreach(atts, i, st)
    {
        const char *pt = json_string_value(json_object_get(st, "predicateType"));
        if (!pt || !str_has_prefix(pt, "https://spdx.dev/Document"))
            continue;
        cleanup_json json_t *counts = json_object();
        size_t k, total = 0;
        json_t *p;
        json_array_foreach(json_object_get(json_object_get(st, "predicate"), "packages"), k, p)
        {
            json_t *refs = json_object_get(p, "externalRefs");
            size_t r;
            json_t *ref;
            json_array_foreach(refs, r, ref)
            {
                const char *purl = json_string_value(json_object_get(ref, "referenceLocator"));
                const char *t = type_of_purl(purl);
                if (!strcmp(t, "oci"))
                    continue;
                json_object_set_new(
                    counts, t, json_integer(json_integer_value(json_object_get(counts, t)) + 1));
                total++;
                break;
            }
        }
        printf("SBOM packages: %zu", total);
        const char *key;
        json_t *v;
        json_object_foreach(counts, key, v)
            printf(" %s=%lld", key, (long long)json_integer_value(v));
        printf("\n");
    }
}

int cmd_inspect(int argc, char **argv)
{
    kiln_error_t *err = NULL;
    int first;
    int pr = cli_parse_args(&cli_inspect, argc, argv, NULL, &first, &err);
    if (pr != 0)
        return cli_parse_failed(&cli_inspect, pr, err);
    cleanup_free char *dir = NULL, *ref = NULL;
    split_ref(argv[first], &dir, &ref);
    struct inspect_result r;
    if (layout_inspect(dir, ref, &r, &err) < 0) {
        inspect_result_release(&r);
        return cli_fail(err);
    }
    json_t *cfg = json_object_get(r.config, "config");
    json_t *layers = json_object_get(r.manifest, "layers");
    json_int_t bytes = 0;
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) bytes += json_integer_value(json_object_get(l, "size"));
    if (*r.index_digest)
        printf("Index: %s\n", r.index_digest);
    printf("Digest: %s\nPlatform: %s/%s\nCreated: %s\nLayers: %zu (%.1f MiB compressed)\n",
           r.manifest_digest, json_string_value(json_object_get(r.config, "os")) ?: "?",
           json_string_value(json_object_get(r.config, "architecture")) ?: "?",
           json_string_value(json_object_get(r.config, "created")) ?: "?", json_array_size(layers),
           (double)bytes / 1048576.0);
    const char *user = json_string_value(json_object_get(cfg, "User"));
    printf("User: %s\n", user && *user ? user : "(none: root)");
    printf("Attestations: %zu\n", json_array_size(r.attestations));
    print_packages(r.attestations);
    inspect_result_release(&r);
    return 0;
}

const struct cli_command cli_inspect = {
    .name = "inspect",
    .summary = "Summarise an image in an OCI layout",
    .usage = "kiln inspect LAYOUT[:TAG|@sha256:DIGEST]",
    .description = "Summary of an image in an OCI layout: digest, platform, layers, user, SBOM.",
    .min_args = 1,
    .max_args = 1,
    .args_complete = "@dir",
    .run = cmd_inspect,
};
