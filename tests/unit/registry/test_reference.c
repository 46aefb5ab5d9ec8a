/* Reference parsing with Docker's normalisation, as the registry client relies on it. */
#include <criterion/criterion.h>
#include <string.h>

#include "oci/reference.h"
#include "util.h"

#define D64 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static void expect_norm(const char *in, const char *want)
{
    struct reference r;
    kiln_error_t *err = NULL;
    cr_assert_eq(reference_parse(in, &r, &err), 0, "%s: %s", in, err ? err->msg : "");
    char *s = reference_string(&r);
    cr_expect_str_eq(s, want, "%s", in);
    free(s);
    reference_release(&r);
}

static void expect_bad(const char *in)
{
    struct reference r;
    kiln_error_t *err = NULL;
    cr_expect_eq(reference_parse(in, &r, &err), -1, "'%s' must be refused", in);
    if (err) {
        cr_expect_eq(err->code, KILN_EINPUT);
        cr_expect(strstr(err->msg, "invalid reference format") != NULL, "%s", err->msg);
    }
    kiln_error_free(err);
}

Test(reference, docker_hub_names_get_library_and_latest)
{
    expect_norm("python", "docker.io/library/python:latest");
    expect_norm("python:3.12", "docker.io/library/python:3.12");
    expect_norm("docker.io/python", "docker.io/library/python:latest");
    expect_norm("index.docker.io/library/python:3", "docker.io/library/python:3");
    expect_norm("index.docker.io/python", "docker.io/library/python:latest");
    expect_norm("user/app", "docker.io/user/app:latest");
    expect_norm("docker.io/user/app:1", "docker.io/user/app:1");
}

Test(reference, registry_hosts_are_recognised)
{
    expect_norm("127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1");
    expect_norm("localhost/app", "localhost/app:latest");
    expect_norm("localhost:5000/a/b/c", "localhost:5000/a/b/c:latest");
    expect_norm("ghcr.io/org/tool:v1.2", "ghcr.io/org/tool:v1.2");
    expect_norm("[::1]:5000/app:x", "[::1]:5000/app:x");
    expect_norm("Registry/app", "Registry/app:latest"); /* uppercase first part: a host */
    expect_norm("my-reg.example.com:443/x", "my-reg.example.com:443/x:latest");
}

Test(reference, digests_with_and_without_tags)
{
    expect_norm("app@sha256:" D64, "docker.io/library/app@sha256:" D64);
    expect_norm("127.0.0.1:5000/app:1@sha256:" D64, "127.0.0.1:5000/app:1@sha256:" D64);
    struct reference r;
    cr_assert_eq(reference_parse("127.0.0.1:5000/app@sha256:" D64, &r, NULL), 0);
    cr_expect_null(r.tag, "a digest alone gets no tag");
    cr_expect_str_eq(r.digest, "sha256:" D64);
    char *name = reference_name(&r);
    cr_expect_str_eq(name, "127.0.0.1:5000/app");
    free(name);
    reference_release(&r);
}

Test(reference, path_components_follow_the_distribution_grammar)
{
    expect_norm("x/a.b_c__d---e", "docker.io/x/a.b_c__d---e:latest");
    expect_bad("a..b");
    expect_bad("a___b");
    expect_bad("-a");
    expect_bad("a-");
    expect_bad("a/.b");
    expect_bad("a//b");
    expect_bad("a/");
    expect_bad("/a");
    expect_bad("UPPER");
    expect_bad("a:b:c");
    expect_bad("");
}

Test(reference, bad_tags_digests_and_hosts_are_refused)
{
    expect_bad("app:");
    expect_bad("app:-x");
    expect_bad("app@sha256:short");
    expect_bad("app@sha512:" D64);
    expect_bad("app@");
    expect_bad("host:99999/app");
    expect_bad("host:x1/app:1");
    expect_bad("-host.com/app");
    expect_bad("[::1/app");
    char tag[140];
    memset(tag, 'a', sizeof(tag) - 1);
    tag[sizeof(tag) - 1] = '\0';
    char *long_tag = xasprintf("app:%s", tag);
    expect_bad(long_tag);
    free(long_tag);
    char name[300];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    expect_bad(name);
}
