/* WWW-Authenticate parsing, token URLs and responses, Basic header values. */
#include <criterion/criterion.h>
#include <string.h>

#include "registry/registry_auth.h"
#include "secmem.h"
#include "util.h"

static struct registry_challenge parse_ok(const char *h)
{
    struct registry_challenge c;
    kiln_error_t *err = NULL;
    cr_assert_eq(registry_auth_parse_challenge(h, &c, &err), 0, "%s: %s", h, err ? err->msg : "");
    return c;
}

Test(auth, docker_hub_bearer_challenge)
{
    struct registry_challenge c =
        parse_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                 "scope=\"repository:library/python:pull\"");
    cr_expect_eq(c.scheme, REGISTRY_AUTH_BEARER);
    cr_expect_str_eq(c.realm, "https://auth.docker.io/token");
    cr_expect_str_eq(c.service, "registry.docker.io");
    cr_expect_str_eq(c.scope, "repository:library/python:pull");
    cr_expect_null(c.error);
    registry_challenge_release(&c);
}

Test(auth, basic_challenge_and_case_insensitive_names)
{
    struct registry_challenge c = parse_ok("basic REALM=\"Registry Realm\"");
    cr_expect_eq(c.scheme, REGISTRY_AUTH_BASIC);
    cr_expect_str_eq(c.realm, "Registry Realm");
    registry_challenge_release(&c);
    c = parse_ok("Basic");
    cr_expect_eq(c.scheme, REGISTRY_AUTH_BASIC);
    cr_expect_null(c.realm);
    registry_challenge_release(&c);
}

Test(auth, bearer_is_preferred_when_several_challenges_are_offered)
{
    struct registry_challenge c =
        parse_ok("Basic realm=\"x\", Bearer realm=\"https://t/token\", service=\"s\"");
    cr_expect_eq(c.scheme, REGISTRY_AUTH_BEARER);
    cr_expect_str_eq(c.realm, "https://t/token");
    cr_expect_str_eq(c.service, "s");
    registry_challenge_release(&c);
    c = parse_ok("Negotiate abc==, Basic realm=\"r\"");
    cr_expect_eq(c.scheme, REGISTRY_AUTH_BASIC);
    registry_challenge_release(&c);
    c = parse_ok("Negotiate abc==");
    cr_expect_eq(c.scheme, REGISTRY_AUTH_NONE);
    registry_challenge_release(&c);
}

Test(auth, quoted_strings_with_escapes_commas_and_errors)
{
    struct registry_challenge c = parse_ok("Bearer realm=\"https://t/tok?a=1,b=2\" , "
                                           "error=\"insufficient_scope\",scope=\"repository:a:pull "
                                           "repository:b:pull,push\",x=\"q\\\"uote\"");
    cr_expect_str_eq(c.realm, "https://t/tok?a=1,b=2");
    cr_expect_str_eq(c.error, "insufficient_scope");
    cr_expect_str_eq(c.scope, "repository:a:pull repository:b:pull,push");
    registry_challenge_release(&c);
    c = parse_ok("Bearer realm=https://t/token,service=reg");
    cr_expect_str_eq(c.realm, "https://t/token");
    cr_expect_str_eq(c.service, "reg");
    registry_challenge_release(&c);
}

Test(auth, malformed_and_oversized_headers_are_errors)
{
    const char *bad[] = {"Bearer realm=\"unterminated", "Bearer realm=", "=x"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct registry_challenge c;
        kiln_error_t *err = NULL;
        cr_expect_eq(registry_auth_parse_challenge(bad[i], &c, &err), -1, "%s", bad[i]);
        cr_expect_eq(err ? err->code : 0, KILN_ENETWORK);
        kiln_error_free(err);
    }
    char *big = xmalloc(REGISTRY_MAX_CHALLENGE + 100);
    memset(big, 'a', REGISTRY_MAX_CHALLENGE + 99);
    big[REGISTRY_MAX_CHALLENGE + 99] = '\0';
    struct registry_challenge c;
    cr_expect_eq(registry_auth_parse_challenge(big, &c, NULL), -1);
    free(big);
}

Test(auth, token_url_escapes_service_and_scopes)
{
    char *scopes[] = {"repository:library/python:pull", "repository:a b:pull,push"};
    char *u = registry_auth_token_url("https://auth.docker.io/token", "registry.docker.io", scopes,
                                      2, NULL);
    cr_expect_str_eq(u, "https://auth.docker.io/token?service=registry.docker.io"
                        "&scope=repository%3Alibrary%2Fpython%3Apull"
                        "&scope=repository%3Aa%20b%3Apull%2Cpush");
    free(u);
    u = registry_auth_token_url("https://t/token?x=1", NULL, scopes, 1, NULL);
    cr_expect_str_eq(u, "https://t/token?x=1&scope=repository%3Alibrary%2Fpython%3Apull");
    free(u);
}

Test(auth, token_responses)
{
    char *t = NULL;
    const char *r1 = "{\"token\":\"abc.def\",\"expires_in\":300}";
    cr_assert_eq(registry_auth_parse_token(r1, strlen(r1), &t, NULL), 0);
    cr_expect_str_eq(t, "abc.def");
    cr_expect(secmem_is_protected(t), "a token lives in secmem");
    registry_auth_free_secret(t);
    const char *r2 = "{\"access_token\":\"xyz\"}";
    cr_assert_eq(registry_auth_parse_token(r2, strlen(r2), &t, NULL), 0);
    cr_expect_str_eq(t, "xyz");
    registry_auth_free_secret(t);
    const char *bad[] = {"{}", "not json", "{\"token\":\"a b\"}", "{\"token\":\"a\\r\\nX: y\"}",
                         "{\"token\":\"\"}"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        kiln_error_t *err = NULL;
        cr_expect_eq(registry_auth_parse_token(bad[i], strlen(bad[i]), &t, &err), -1, "%s", bad[i]);
        cr_expect(err && !strstr(err->msg, "a b"), "the response is never echoed");
        kiln_error_free(err);
    }
    cr_expect_eq(registry_auth_parse_token("{}", REGISTRY_MAX_TOKEN + 1, &t, NULL), -1);
}

Test(auth, basic_header)
{
    char *h = registry_auth_basic("user", "p@ss:word");
    cr_expect_str_eq(h, "Basic dXNlcjpwQHNzOndvcmQ=");
    cr_expect(secmem_is_protected(h), "a Basic value lives in secmem");
    char *a = registry_auth_header("Bearer", "tok");
    cr_expect_str_eq(a, "Authorization: Bearer tok");
    registry_auth_free_secret(a);
    a = registry_auth_header(NULL, h);
    cr_expect_str_eq(a, "Authorization: Basic dXNlcjpwQHNzOndvcmQ=");
    registry_auth_free_secret(a);
    registry_auth_free_secret(h);
}
