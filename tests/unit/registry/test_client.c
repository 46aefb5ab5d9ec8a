/* The registry client's pure helpers: loopback detection, the Hub's host, Location resolution,
 * manifest media types. */
#include <criterion/criterion.h>
#include <string.h>

#include "oci/walk.h"
#include "registry/registry_client.h"
#include "util.h"

Test(client, loopback_hosts)
{
    const char *yes[] = {"127.0.0.1",      "127.0.0.1:5000", "127.1.2.3:80", "localhost",
                         "LOCALHOST:5000", "[::1]:5000",     "[::1]"};
    const char *no[] = {"10.0.0.1:5000",
                        "128.0.0.1",
                        "localhost.example.com",
                        "[::2]:5000",
                        "registry-1.docker.io",
                        "127.0.0.1.nip.io:5000",
                        "::1x"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
        cr_expect(registry_client_is_loopback(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < ARRAY_SIZE(no); i++)
        cr_expect_not(registry_client_is_loopback(no[i]), "%s", no[i]);
}

Test(client, docker_hub_host)
{
    cr_expect_str_eq(registry_client_host("docker.io"), "registry-1.docker.io");
    cr_expect_str_eq(registry_client_host("ghcr.io"), "ghcr.io");
}

Test(client, locations_resolve_against_the_base_and_never_downgrade)
{
    struct registry_client c = {.host = "r.example", .base = "https://r.example"};
    char *u = registry_client_resolve(&c, "/v2/a/blobs/uploads/1?_state=x", NULL);
    cr_expect_str_eq(u, "https://r.example/v2/a/blobs/uploads/1?_state=x");
    free(u);
    u = registry_client_resolve(&c, "https://blobs.example/up/1", NULL);
    cr_expect_str_eq(u, "https://blobs.example/up/1");
    free(u);
    kiln_error_t *err = NULL;
    cr_expect_null(registry_client_resolve(&c, "http://r.example/v2/x", &err));
    cr_expect(err && err->code == KILN_ENETWORK);
    kiln_error_free(err);
    cr_expect_null(registry_client_resolve(&c, "ftp://x/y", NULL));
    struct registry_client plain = {.host = "127.0.0.1:5000", .base = "http://127.0.0.1:5000"};
    u = registry_client_resolve(&plain, "http://127.0.0.1:5000/v2/x", NULL);
    cr_expect_str_eq(u, "http://127.0.0.1:5000/v2/x");
    free(u);
}

static const char *type_of(const char *ct, const char *doc)
{
    static char out[128];
    kiln_error_t *err = NULL;
    if (registry_manifest_type(ct, doc, strlen(doc), out, &err) < 0) {
        snprintf(out, sizeof(out), "error: %s", err->msg);
        kiln_error_free(err);
    }
    return out;
}

Test(client, manifest_media_types)
{
    const char *oci = "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST
                      "\",\"config\":{},\"layers\":[]}";
    cr_expect_str_eq(type_of(MEDIA_TYPE_OCI_MANIFEST, oci), MEDIA_TYPE_OCI_MANIFEST);
    cr_expect_str_eq(type_of("application/vnd.oci.image.manifest.v1+json; charset=utf-8", oci),
                     MEDIA_TYPE_OCI_MANIFEST);
    cr_expect_str_eq(type_of("application/octet-stream", oci), MEDIA_TYPE_OCI_MANIFEST);
    cr_expect_str_eq(type_of(NULL, "{\"schemaVersion\":2,\"manifests\":[]}"), MEDIA_TYPE_OCI_INDEX,
                     "shape: an index");
    cr_expect_str_eq(type_of(NULL, "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}"),
                     MEDIA_TYPE_OCI_MANIFEST, "shape: a manifest");
    cr_expect_str_eq(type_of(MEDIA_TYPE_DOCKER_LIST,
                             "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_DOCKER_LIST
                             "\",\"manifests\":[]}"),
                     MEDIA_TYPE_DOCKER_LIST);
    cr_expect(str_has_prefix(type_of(NULL, "{\"schemaVersion\":1,\"fsLayers\":[]}"),
                             "error: Docker schema 1"));
    cr_expect(str_has_prefix(type_of(MEDIA_TYPE_OCI_INDEX, oci), "error: manifest says it is"),
              "a body that contradicts its Content-Type");
    cr_expect(str_has_prefix(type_of(NULL, "{\"mediaType\":\"text/html\"}"), "error:"));
    cr_expect(str_has_prefix(type_of(NULL, "<html>"), "error:"));
    cr_expect(oci_is_index_type(MEDIA_TYPE_DOCKER_LIST));
    cr_expect_not(oci_is_index_type(MEDIA_TYPE_OCI_MANIFEST));
}
