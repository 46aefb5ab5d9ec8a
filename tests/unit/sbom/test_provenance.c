/* SLSA v1 provenance: the parameters a build records, secrets by id or name only, and the same
 * bytes for the same build. */
#include "helpers.h"
#include "sbom/provenance.h"

#define DF_DIGEST   "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define IMG_DIGEST  "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define BASE_DIGEST "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define CANARY      "s3cr3t-CANARY-value"

static const struct provenance_arg args[] = {
    {"VERSION", "1.2.3", false},
    {"API_TOKEN", CANARY, true},
    {"EMPTY", NULL, false},
};
static const char *const secret_ids[] = {"npmrc", "aws"};
static const struct provenance_material materials[] = {
    {"docker.io/library/debian:bookworm", BASE_DIGEST, "linux/amd64", NULL},
    {"ghcr.io/acme/tools:v2", BASE_DIGEST, "linux/amd64", NULL},
    {"https://example.com/file.tgz", BASE_DIGEST, NULL, NULL},
};

static struct provenance_info info(void)
{
    return (struct provenance_info){
        .dockerfile_path = "build/Dockerfile",
        .dockerfile_digest = DF_DIGEST,
        .context = ".",
        .target = "release",
        .platform = "linux/amd64",
        .args = args,
        .n_args = ARRAY_SIZE(args),
        .secret_ids = secret_ids,
        .n_secret_ids = ARRAY_SIZE(secret_ids),
        .materials = materials,
        .n_materials = ARRAY_SIZE(materials),
        .network = "none",
        .builder_platform = "linux/amd64",
        .source_date_epoch = 1700000000,
        .started_on = 1700000000,
        .finished_on = 1700000000,
        .image_digest = IMG_DIGEST,
    };
}

static json_t *predicate(const struct provenance_info *pi, char **text)
{
    size_t len = 0;
    kiln_error_t *e = NULL;
    cr_assert_eq(provenance_predicate(pi, text, &len, &e), 0, "%s", e ? e->msg : "");
    json_error_t je;
    json_t *j = json_loads(*text, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    return j;
}

static const char *at(json_t *root, const char *path)
{
    cleanup_free char *p = xstrdup(path);
    json_t *cur = root;
    char *save = NULL;
    for (char *k = strtok_r(p, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)strtoul(k, NULL, 10))
                                 : json_object_get(cur, k);
    return json_string_value(cur);
}

Test(provenance, records_the_build)
{
    struct provenance_info pi = info();
    cleanup_free char *text = NULL;
    json_t *j = predicate(&pi, &text);
    cr_expect_str_eq(at(j, "buildDefinition.buildType"), "https://kiln.dev/build/v1");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.dockerfile.path"),
                     "build/Dockerfile");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.dockerfile.digest.sha256"),
                     DF_DIGEST + 7);
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.target"), "release");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.context"), ".");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.buildArgs.VERSION"), "1.2.3");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.buildArgs.EMPTY"), "");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.secretBuildArgs.0"), "API_TOKEN");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.secrets.0.id"), "npmrc");
    cr_expect_str_eq(at(j, "buildDefinition.externalParameters.secrets.1.id"), "aws");
    cr_expect_str_eq(at(j, "buildDefinition.internalParameters.network"), "none");
    cr_expect_str_eq(at(j, "buildDefinition.resolvedDependencies.0.uri"),
                     "pkg:docker/debian@bookworm?platform=linux%2Famd64");
    cr_expect_str_eq(at(j, "buildDefinition.resolvedDependencies.0.digest.sha256"),
                     BASE_DIGEST + 7);
    cr_expect_str_eq(at(j, "buildDefinition.resolvedDependencies.1.uri"),
                     "pkg:docker/ghcr.io/acme/tools@v2?platform=linux%2Famd64");
    cr_expect_str_eq(at(j, "buildDefinition.resolvedDependencies.2.uri"),
                     "https://example.com/file.tgz");
    const char *builder = at(j, "runDetails.builder.id"), *version;
    cr_assert(str_has_prefix(builder, "https://kiln.dev/builder/kiln@"), "%s", builder);
    version = at(j, "runDetails.builder.version.kiln");
    cr_expect(version && *version && !strcmp(strchr(builder, '@') + 1, version));
    cr_expect_str_eq(at(j, "runDetails.metadata.startedOn"), "2023-11-14T22:13:20Z");
    cr_expect_str_eq(at(j, "runDetails.metadata.finishedOn"), "2023-11-14T22:13:20Z");
    const char *id = at(j, "runDetails.metadata.invocationId");
    cr_assert_not_null(id);
    cr_expect_eq(strlen(id), 36);
    cr_expect_null(strstr(text, CANARY), "a secret build arg value is in the provenance");
    json_decref(j);
}

Test(provenance, deterministic_and_input_sensitive)
{
    struct provenance_info pi = info();
    cleanup_free char *a = NULL, *b = NULL, *c = NULL;
    json_decref(predicate(&pi, &a));
    json_decref(predicate(&pi, &b));
    cr_expect_str_eq(a, b);
    pi.target = "debug";
    json_t *j = predicate(&pi, &c);
    json_t *ja = json_loads(a, 0, NULL);
    cr_expect_str_neq(at(j, "runDetails.metadata.invocationId"),
                      at(ja, "runDetails.metadata.invocationId"));
    json_decref(j);
    json_decref(ja);
}

Test(provenance, statement_and_bad_input)
{
    struct provenance_info pi = info();
    char *st = NULL;
    size_t len = 0;
    kiln_error_t *e = NULL;
    cr_assert_eq(provenance_statement(&pi, "registry.example/app:1", &st, &len, &e), 0);
    json_t *j = json_loads(st, 0, NULL);
    cr_expect_str_eq(at(j, "_type"), "https://in-toto.io/Statement/v1");
    cr_expect_str_eq(at(j, "predicateType"), "https://slsa.dev/provenance/v1");
    cr_expect_str_eq(at(j, "subject.0.name"), "registry.example/app:1");
    cr_expect_str_eq(at(j, "subject.0.digest.sha256"), IMG_DIGEST + 7);
    cr_expect_str_eq(at(j, "predicate.buildDefinition.buildType"), PROVENANCE_BUILD_TYPE);
    json_decref(j);
    free(st);
    pi.dockerfile_digest = "sha256:nothex";
    cr_expect_eq(provenance_predicate(&pi, &st, &len, &e), -1);
    cr_expect_eq(e->code, KILN_EINPUT);
    kiln_error_free(e);
    e = NULL;
    pi = info();
    struct provenance_arg bad[] = {{"X", "\xff\xfe", false}};
    pi.args = bad;
    pi.n_args = 1;
    cr_expect_eq(provenance_predicate(&pi, &st, &len, &e), -1, "not UTF-8 accepted");
    kiln_error_free(e);
}
