/* Docker config.json parsing: auths, credHelpers, credsStore; host matching; helper output. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "registry/registry_creds.h"
#include "util.h"

static struct registry_cred_config parse(const char *json, const char *host)
{
    struct registry_cred_config c;
    kiln_error_t *err = NULL;
    cr_assert_eq(registry_creds_parse(json, strlen(json), "config.json", host, &c, &err), 0, "%s",
                 err ? err->msg : "");
    return c;
}

Test(creds, key_matching)
{
    cr_expect(registry_creds_key_matches("https://index.docker.io/v1/", "docker.io"));
    cr_expect(registry_creds_key_matches("index.docker.io", "docker.io"));
    cr_expect(registry_creds_key_matches("docker.io", "registry-1.docker.io"));
    cr_expect(registry_creds_key_matches("127.0.0.1:5000", "127.0.0.1:5000"));
    cr_expect(registry_creds_key_matches("http://127.0.0.1:5000/v2/", "127.0.0.1:5000"));
    cr_expect(registry_creds_key_matches("Ghcr.IO", "ghcr.io"));
    cr_expect_not(registry_creds_key_matches("127.0.0.1:5000", "127.0.0.1:5001"));
    cr_expect_not(registry_creds_key_matches("127.0.0.1", "127.0.0.1:5000"));
    cr_expect_not(registry_creds_key_matches("ghcr.io.evil.com", "ghcr.io"));
    cr_expect_not(registry_creds_key_matches("https://index.docker.io/v1/", "quay.io"));
    cr_expect_str_eq(registry_creds_server_url("docker.io"), "https://index.docker.io/v1/");
    cr_expect_str_eq(registry_creds_server_url("r:5000"), "r:5000");
}

Test(creds, auths_entry_base64_and_username_password)
{
    /* dXNlcjpwYTpzcw== is user:pa:ss */
    struct registry_cred_config c =
        parse("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
              "\"r:5000\":{\"username\":\"u2\",\"password\":\"p2\"}}}",
              "docker.io");
    cr_expect_null(c.helper);
    cr_expect_str_eq(c.cred.username, "user");
    cr_expect_str_eq(c.cred.password, "pa:ss");
    registry_cred_config_release(&c);
    c = parse("{\"auths\":{\"r:5000\":{\"username\":\"u2\",\"password\":\"p2\"}}}", "r:5000");
    cr_expect_str_eq(c.cred.username, "u2");
    cr_expect_str_eq(c.cred.password, "p2");
    registry_cred_config_release(&c);
    c = parse("{\"auths\":{\"r:5000\":{\"identitytoken\":\"rt\"}}}", "r:5000");
    cr_expect_str_eq(c.cred.identity_token, "rt");
    cr_expect_not(registry_cred_empty(&c.cred));
    registry_cred_config_release(&c);
    c = parse("{\"auths\":{\"other\":{\"auth\":\"dXNlcjpwYTpzcw==\"}}}", "r:5000");
    cr_expect(registry_cred_empty(&c.cred));
    registry_cred_config_release(&c);
    c = parse("{}", "r:5000");
    cr_expect(registry_cred_empty(&c.cred));
    registry_cred_config_release(&c);
}

Test(creds, helpers_per_host_then_store)
{
    const char *j = "{\"credsStore\":\"desktop\",\"credHelpers\":{\"gcr.io\":\"gcloud\"},"
                    "\"auths\":{\"gcr.io\":{}}}";
    struct registry_cred_config c = parse(j, "gcr.io");
    cr_expect_str_eq(c.helper, "gcloud");
    registry_cred_config_release(&c);
    c = parse(j, "quay.io");
    cr_expect_str_eq(c.helper, "desktop");
    registry_cred_config_release(&c);
}

Test(creds, bad_files_are_errors_that_hold_no_secret)
{
    const char *bad[] = {
        "{\"auths\":{\"r\":{\"auth\":\"c2VjcmV0LXZhbHVl\"}}}",   /* no colon */
        "{\"auths\":{\"r\":{\"auth\":\"!!!!\"}}}",               /* not base64 */
        "{\"credsStore\":\"../../bin/sh\"}",                     /* not a helper name */
        "{\"auths\":{\"r\":{\"auth\":\"secret-value\" \"x\"}}}", /* not JSON */
        "[]",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct registry_cred_config c;
        kiln_error_t *err = NULL;
        cr_expect_eq(registry_creds_parse(bad[i], strlen(bad[i]), "cfg.json", "r", &c, &err), -1,
                     "%s", bad[i]);
        cr_assert_not_null(err);
        cr_expect_eq(err->code, KILN_EINPUT);
        cr_expect(strstr(err->msg, "cfg.json") != NULL, "%s", err->msg);
        cr_expect(!strstr(err->msg, "secret") && !strstr(err->msg, "c2VjcmV0"), "%s", err->msg);
        kiln_error_free(err);
    }
    cr_expect(registry_creds_helper_name_ok("ecr-login"));
    cr_expect(registry_creds_helper_name_ok("pass"));
    cr_expect_not(registry_creds_helper_name_ok("a/b"));
    cr_expect_not(registry_creds_helper_name_ok(""));
    cr_expect_not(registry_creds_helper_name_ok("-x"));
}

Test(creds, helper_output)
{
    struct registry_cred c;
    const char *o1 = "{\"ServerURL\":\"r\",\"Username\":\"bob\",\"Secret\":\"hunter2\"}";
    cr_assert_eq(registry_creds_parse_helper(o1, strlen(o1), &c, NULL), 0);
    cr_expect_str_eq(c.username, "bob");
    cr_expect_str_eq(c.password, "hunter2");
    registry_cred_release(&c);
    const char *o2 = "{\"ServerURL\":\"r\",\"Username\":\"<token>\",\"Secret\":\"rt\"}";
    cr_assert_eq(registry_creds_parse_helper(o2, strlen(o2), &c, NULL), 0);
    cr_expect_null(c.username);
    cr_expect_str_eq(c.identity_token, "rt");
    registry_cred_release(&c);
    cr_expect_eq(registry_creds_parse_helper("{}", 2, &c, NULL), -1);
}

/* The whole lookup with a fake helper on PATH and DOCKER_CONFIG pointing at a temp dir. */
Test(creds, lookup_runs_the_helper_and_falls_back_to_auths)
{
    char dir[] = "/tmp/kiln-creds-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *cfg = xasprintf("%s/config.json", dir);
    const char *json = "{\"credHelpers\":{\"h:1\":\"fake\",\"h:2\":\"fake\"},"
                       "\"auths\":{\"h:2\":{\"auth\":\"YTpi\"}}}"; /* a:b */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    cr_assert_eq(write_file_atomic(dfd, "config.json", json, strlen(json), 0600, NULL), 0);
    char *helper = xasprintf("%s/docker-credential-fake", dir);
    const char *sh = "#!/bin/sh\nread url\nif [ \"$url\" = h:1 ]; then\n"
                     "echo '{\"ServerURL\":\"h:1\",\"Username\":\"hu\",\"Secret\":\"hs\"}'\n"
                     "else echo 'credentials not found in native keychain'; exit 1; fi\n";
    cr_assert_eq(write_file_atomic(dfd, "docker-credential-fake", sh, strlen(sh), 0755, NULL), 0);
    close(dfd);
    char *path = xasprintf("%s:%s", dir, getenv("PATH"));
    setenv("PATH", path, 1);
    setenv("DOCKER_CONFIG", dir, 1);
    unsetenv("REGISTRY_AUTH_FILE");
    struct registry_cred c;
    char *src = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(registry_creds_lookup(NULL, "h:1", &c, &src, &err), 0, "%s", err ? err->msg : "");
    cr_expect_str_eq(c.username, "hu");
    cr_expect_str_eq(src, "docker-credential-fake");
    registry_cred_release(&c);
    free(src);
    cr_assert_eq(registry_creds_lookup(NULL, "h:2", &c, &src, NULL), 0);
    cr_expect_str_eq(c.username, "a");
    cr_expect_str_eq(c.password, "b");
    cr_expect_str_eq(src, cfg);
    registry_cred_release(&c);
    free(src);
    cr_assert_eq(registry_creds_lookup(NULL, "h:3", &c, &src, NULL), 0);
    cr_expect(registry_cred_empty(&c));
    cr_expect_null(src);
    setenv("REGISTRY_AUTH_FILE", "/nonexistent/auth.json", 1);
    cr_assert_eq(registry_creds_lookup(NULL, "h:2", &c, &src, NULL), 0);
    cr_expect(registry_cred_empty(&c), "REGISTRY_AUTH_FILE replaces the docker config");
    unsetenv("REGISTRY_AUTH_FILE");
    rm_rf_at(AT_FDCWD, dir, NULL);
    free(cfg), free(helper), free(path);
}
