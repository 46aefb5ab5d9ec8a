/* The linter's building blocks: secret names and token formats (masking), the RUN command
 * splitter, chmod modes, image references, the rule table, configuration, and the output
 * formats. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "dockerfile.h"
#include "lint/lint.h"
#include "lint/lint_internal.h"
#include "util.h"

Test(lint_secret, buildkit_secret_names)
{
    const char *yes[] = {
        "SECRET_PASSPHRASE",        "SUPER_Secret", "password",   "auth", "apikey", "git_key",
        "super_duper_secret_token", "GITHUB_TOKEN", "credentials"};
    const char *no[] = {"PUBLIC_KEY",
                        "public_token",
                        "SECRET_PASSPHRASE_FILE",
                        "password_file",
                        "AUTH_MODULE_VERSION",
                        "sunflower",
                        "keyboard",
                        "api-key",
                        "TOKENS"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
        cr_expect(lint_secret_name(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < ARRAY_SIZE(no); i++)
        cr_expect(!lint_secret_name(no[i]), "%s", no[i]);
}

struct token_case {
    const char *text, *kind, *masked;
};

Test(lint_secret, token_formats_are_found_and_masked)
{
    const struct token_case cases[] = {
        {"AKIAIOSFODNN7EXAMPLE", "an AWS access key ID", "AKIA****, 20 characters"},
        {"x=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8;", "a GitHub personal access token",
         "ghp_****, 40 characters"},
        {"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
         "a GitHub fine-grained access token", "github_pat_****, 57 characters"},
        {"glpat-abcdefghij0123456789", "a GitLab personal access token",
         "glpat-****, 26 characters"},
        {"xoxp-1234-5678-abcdefgh", "a Slack user token", "xoxp-****, 23 characters"},
        {"sk_live_0123456789abcdefABCDEF", "a Stripe live secret key",
         "sk_live_****, 30 characters"},
        {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX3g", "a JSON Web Token",
         "eyJ****, 56 characters"},
        {"-----BEGIN RSA PRIVATE KEY-----\nMIIE", "a private key",
         "-----BEGIN RSA PRIVATE KEY-----"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *kind = NULL;
        char *masked = NULL;
        cr_assert_eq(lint_secret_token(cases[i].text, &kind, &masked), 1, "%s", cases[i].text);
        cr_expect_str_eq(kind, cases[i].kind);
        cr_expect_str_eq(masked, cases[i].masked);
        free(masked);
    }
}

Test(lint_secret, near_misses_are_not_tokens)
{
    const char *no[] = {"AKIA123",
                        "XAKIAIOSFODNN7EXAMPLE",
                        "AKIAIOSFODNN7EXAMPLEX",
                        "ghp_short",
                        "sk_test_0123456789abcdefABCDEF",
                        "/usr/ghp_/x",
                        "eyJhbGciOi.eyJzdWIi",
                        "-----BEGIN CERTIFICATE-----",
                        "npm_install",
                        "pypi-short",
                        ""};
    for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
        const char *kind;
        char *masked = NULL;
        cr_expect_eq(lint_secret_token(no[i], &kind, &masked), 0, "%s", no[i]);
        free(masked);
    }
}

Test(lint_secret, redact_masks_every_token_and_key_bodies)
{
    const char *in =
        "ENV A=AKIAIOSFODNN7EXAMPLE B=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 "
        "K=\"-----BEGIN EC PRIVATE KEY-----\\nsecretbody\\n-----END EC PRIVATE KEY-----\"";
    char *out = lint_secret_redact(in, strlen(in));
    cr_expect_str_eq(out, "ENV A=AKIA**** B=ghp_**** K=\"-----BEGIN EC PRIVATE KEY-----****"
                          "-----END EC PRIVATE KEY-----\"");
    free(out);
}

static size_t split(const char *script, struct lint_cmds *c)
{
    lint_shell_split(script, c);
    return c->n;
}

Test(lint_shell, pipelines_commands_and_quotes)
{
    struct lint_cmds c;
    cr_assert_eq(
        split("A=1 sudo -u root curl -fsSL 'https://x/a b' | bash -s -- -y && echo \"q;|\"", &c),
        3);
    cr_expect_eq(c.v[0].pipeline, c.v[1].pipeline);
    cr_expect_neq(c.v[1].pipeline, c.v[2].pipeline);
    cr_expect_str_eq(c.v[0].words[6], "https://x/a b");
    cr_expect_str_eq(c.v[2].words[1], "q;|");
    bool sudo;
    size_t first;
    cr_expect_str_eq(lint_shell_command(&c.v[0], &sudo, &first), "curl");
    cr_expect(sudo);
    cr_expect_eq(first, 5);
    cr_expect_str_eq(lint_shell_command(&c.v[1], &sudo, &first), "bash");
    cr_expect(!sudo);
    lint_shell_release(&c);
}

Test(lint_shell, substitutions_redirections_comments_continuations)
{
    struct lint_cmds c;
    cr_assert_eq(split("sh -c \"$(curl -fsSL https://x | tr a b)\" 2>&1 >/dev/null # | sh\n"
                       "bash <(wget -O- x) ; /usr/bin/apt-get \\\n install x",
                       &c),
                 3);
    cr_expect_eq(c.v[0].nwords, 3);
    cr_expect_str_eq(c.v[0].words[2], "$(curl -fsSL https://x | tr a b)");
    cr_expect_str_eq(c.v[1].words[1], "<(wget -O- x)");
    bool sudo;
    size_t first;
    cr_expect_str_eq(lint_shell_command(&c.v[2], &sudo, &first), "apt-get");
    cr_expect_str_eq(c.v[2].words[first], "install");
    lint_shell_release(&c);
    cr_expect_eq(split("echo 'unterminated | sh", &c), 1);
    lint_shell_release(&c);
    cr_expect_eq(split("", &c), 0);
    lint_shell_release(&c);
}

Test(lint_run, world_writable_modes)
{
    const char *yes[] = {"777",   "0666",  "0777",    "002",   "o+w",
                         "a+rwx", "go+rw", "u+x,o+w", "a=rwx", "766"};
    const char *no[] = {"755", "0644", "1777",  "01777", "g+w",
                        "o-w", "+w",   "u+rwX", "o+rwt", "770"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
        cr_expect(lint_run_mode_world_writable(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < ARRAY_SIZE(no); i++)
        cr_expect(!lint_run_mode_world_writable(no[i]), "%s", no[i]);
}

Test(lint_ref, references)
{
    const char *valid[] = {"scratch",
                           "alpine",
                           "alpine:3.20",
                           "library/alpine:latest",
                           "localhost:5000/a/b:1",
                           "registry.example.com/team/app@sha256:"
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                           "golang:1.22-bookworm",
                           "a__b/c---d.e_f",
                           "[::1]:5000/x"};
    const char *invalid[] = {
        "",     "busybox:",          "Alpine",    "alpine:", ":tag", "a/",
        "a//b", "alpine@sha256:123", "alpine:-x", "-a",      "a..b", "host:port/x"};
    for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
        cr_expect(lint_ref_valid(valid[i]), "%s", valid[i]);
    for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
        cr_expect(!lint_ref_valid(invalid[i]), "%s", invalid[i]);
    char *tag;
    bool digest;
    lint_ref_split("localhost:5000/app", &tag, &digest);
    cr_expect_null(tag);
    cr_expect(!digest);
    lint_ref_split("a/b:1.0@sha256:00", &tag, &digest);
    cr_expect_str_eq(tag, "1.0");
    cr_expect(digest);
    free(tag);
}

Test(lint_rules, table_is_complete_and_named)
{
    size_t buildkit = 0;
    for (size_t i = 0; i < LINT_RULE_COUNT; i++) {
        const struct lint_rule *r = lint_rule((enum lint_rule_id)i);
        cr_expect_eq((size_t)r->id, i, "rule %zu is at its index", i);
        cr_expect(r->name && r->description && r->url && r->fix, "rule %zu is complete", i);
        cr_expect(str_has_prefix(r->url, "https://"), "%s url", r->name);
        cr_expect_eq(lint_rule_find(r->name), r);
        buildkit += r->buildkit;
    }
    cr_expect_eq(buildkit, 22, "BuildKit's 22 build checks");
    cr_expect_null(lint_rule_find("fromascasing"));
    cr_expect(lint_rule(LINT_INVALID_DEFINITION_DESCRIPTION)->experimental);
    cr_expect_eq(lint_rule(LINT_SECRET_VALUE_IN_ARG_OR_ENV)->level, LINT_ERROR);
}

static struct df_file *parse(const char *text)
{
    struct df_file *f = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(df_parse("Dockerfile", text, strlen(text), &f, &err), 0, "%s",
                 err ? err->msg : "");
    return f;
}

Test(lint_config, bad_check_options_are_errors)
{
    struct df_file *f = parse("# check=skip=all;bogus=1\nFROM scratch\n");
    struct lint_result r;
    kiln_error_t *err = NULL;
    struct lint_opts o = {0};
    cr_assert_eq(lint_run(f, &o, &r, &err), -1);
    cr_expect(strstr(err->msg, "failed to parse check options: invalid check option \"bogus\""),
              "%s", err->msg);
    kiln_error_free(err);
    err = NULL;
    struct kiln_kv arg = {"BUILDKIT_DOCKERFILE_CHECK", "error=maybe"};
    o.build_args = &arg;
    o.nbuild_args = 1;
    cr_assert_eq(lint_run(f, &o, &r, &err), -1);
    cr_expect(strstr(err->msg, "failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK"), "%s",
              err->msg);
    kiln_error_free(err);
    df_file_free(f);
}

Test(lint_config, result_add_respects_skip_and_error)
{
    struct df_file *f = parse("# check=skip=SetuidFilesInImage;error=true\nFROM scratch\n");
    struct lint_result r;
    struct lint_opts o = {0};
    cr_assert_eq(lint_result_init(f, &o, &r, NULL), 0);
    cr_expect_eq(lint_result_add(&r, LINT_SETUID_FILES_IN_IMAGE, 2, 2, "x", NULL), 1);
    cr_expect_eq(lint_result_add(&r, LINT_SECRET_LIKE_FILE_IN_IMAGE, 2, 2, "y", "fix it"), 0);
    cr_expect_eq(lint_result_add(&r, LINT_SECRET_LIKE_FILE_IN_IMAGE, 2, 2, "y", "fix it"), 0);
    cr_assert_eq(r.n, 1, "duplicates are kept once");
    /* error=true is BuildKit's: it makes BuildKit's checks errors, not kiln's own rules */
    cr_expect_eq(r.v[0].level, LINT_WARNING);
    cr_expect_str_eq(r.v[0].fix, "fix it");
    cr_expect_eq(lint_result_errors(&r), 0);
    cr_expect_eq(lint_result_add(&r, LINT_FROM_AS_CASING, 1, 1, "z", NULL), 0);
    cr_expect_eq(lint_result_errors(&r), 1);
    lint_result_release(&r);
    o.strict = true; /* --strict: every rule */
    cr_assert_eq(lint_result_init(f, &o, &r, NULL), 0);
    cr_expect_eq(lint_result_add(&r, LINT_SECRET_LIKE_FILE_IN_IMAGE, 2, 2, "y", NULL), 0);
    cr_expect_eq(lint_result_errors(&r), 1);
    lint_result_release(&r);
    df_file_free(f);
}

Test(lint_output, json_sarif_short)
{
    struct df_file *f = parse("FROM scratch AS Base\nMAINTAINER me\nCMD [\"/x\"]\n");
    struct lint_result r;
    struct lint_opts o = {0};
    cr_assert_eq(lint_run(f, &o, &r, NULL), 0);
    cr_assert_eq(r.n, 3); /* StageNameCasing, MaintainerDeprecated, FinalUserRoot */
    char *s = lint_output_short(&r.v[0]);
    cr_expect_str_eq(s, "StageNameCasing: Stage name 'Base' should be lowercase (line 1)");
    free(s);
    char *js = lint_output_json(&r, "Dockerfile");
    json_t *j = json_loads(js, 0, NULL);
    cr_assert_not_null(j);
    cr_expect_eq(json_array_size(json_object_get(j, "findings")), 3);
    cr_expect_eq(json_integer_value(json_object_get(j, "warnings")), 3);
    json_decref(j);
    free(js);
    char *sarif = lint_output_sarif(&r, "sub dir/Dockerfile");
    j = json_loads(sarif, 0, NULL);
    cr_assert_not_null(j);
    json_t *run = json_array_get(json_object_get(j, "runs"), 0);
    json_t *res = json_array_get(json_object_get(run, "results"), 2);
    cr_expect_str_eq(json_string_value(json_object_get(res, "ruleId")), "MaintainerDeprecated");
    json_t *loc =
        json_object_get(json_array_get(json_object_get(res, "locations"), 0), "physicalLocation");
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(loc, "artifactLocation"), "uri")),
        "sub%20dir/Dockerfile");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(loc, "region"), "startLine")),
                 2);
    json_decref(j);
    free(sarif);
    lint_result_release(&r);
    df_file_free(f);
}
