/* ARG/ENV scoping (expand.h) as BuildKit's dockerfile2llb applies it. */
#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "expand.h"
#include "util.h"

static struct df_file *parse_ok(const char *text)
{
    struct df_file *f = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(df_parse("Dockerfile", text, strlen(text), &f, &err), 0, "%s",
                 err ? err->msg : "");
    return f;
}

static const struct df_platform amd64 = {"linux", "amd64", NULL};
static const struct df_platform arm = {"linux", "arm", "v7"};

static char *expand(const struct df_vars *v, const char *word)
{
    char *out = NULL;
    cr_assert_eq(df_vars_expand(v, '\\', word, &out, NULL), 0);
    return out;
}

Test(expand, global_scope)
{
    struct df_file *f = parse_ok("ARG BASE=alpine\nARG TAG=${BASE}-3\nARG UNSET\n"
                                 "ARG FROMCLI=default\nFROM ${BASE}:${TAG} AS final\n");
    struct kiln_kv args[] = {{"FROMCLI", "cli"}, {"TARGETARCH", "riscv64"}, {"IGNORED", NULL}};
    struct df_vars g;
    cr_assert_eq(df_scope_global(f, &amd64, &arm, NULL, args, 3, &g, NULL), 0);
    cr_assert_str_eq(df_vars_get(&g, "BASE"), "alpine");
    cr_assert_str_eq(df_vars_get(&g, "TAG"), "alpine-3");
    cr_assert_null(df_vars_get(&g, "UNSET"));
    cr_assert_str_eq(df_vars_get(&g, "FROMCLI"), "cli");
    cr_assert_str_eq(df_vars_get(&g, "BUILDPLATFORM"), "linux/amd64");
    cr_assert_str_eq(df_vars_get(&g, "TARGETPLATFORM"), "linux/arm/v7");
    cr_assert_str_eq(df_vars_get(&g, "TARGETVARIANT"), "v7");
    cr_assert_str_eq(df_vars_get(&g, "TARGETARCH"), "riscv64"); /* a build arg overrides */
    cr_assert_str_eq(df_vars_get(&g, "TARGETSTAGE"), "final");
    cleanup_free char *base = expand(&g, f->stages[0].base);
    cr_assert_str_eq(base, "alpine:alpine-3");
    df_vars_release(&g);

    cr_assert_eq(df_scope_global(f, &amd64, &amd64, "other", NULL, 0, &g, NULL), 0);
    cr_assert_str_eq(df_vars_get(&g, "TARGETSTAGE"), "other");
    df_vars_release(&g);
    df_file_free(f);

    f = parse_ok("ARG A=${B\nFROM x\n");
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_scope_global(f, &amd64, &amd64, NULL, NULL, 0, &g, &err), -1);
    cr_assert_str_eq(err->msg,
                     "Dockerfile:1: failed to process \"${B\": unsupported modifier (\xEF\xBF\xBD) "
                     "in substitution");
    df_file_free(f);
}

Test(expand, stage_scope_rules)
{
    struct df_file *f = parse_ok(
        "ARG VERSION=1.0\nARG GLOBALONLY=g\nFROM alpine\nARG VERSION\nARG LOCAL=l-$VERSION\n"
        "ARG CLI=default\nARG NOVALUE\nENV LOCAL=env-wins\nRUN echo\n");
    struct kiln_kv args[] = {{"CLI", "from-cli"}, {"HTTP_PROXY", "http://p:3128"}};
    struct df_vars g;
    cr_assert_eq(df_scope_global(f, &amd64, &amd64, NULL, args, 2, &g, NULL), 0);
    char *image_env[] = {"HOME=/root", "FOO=bar"};
    struct df_scope s;
    df_scope_init(&s, &g, args, 2, '\\', image_env, 2, false);
    cr_assert_str_eq(df_vars_get(&s.env, "PATH"),
                     "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    cr_assert_null(df_vars_get(&s.env, "VERSION")); /* global ARGs are not visible */
    struct df_instr **in = f->stages[0].instrs;
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(df_scope_apply_arg(&s, in[i], NULL), 0);
    cr_assert_str_eq(df_vars_get(&s.env, "VERSION"), "1.0"); /* redeclared: the global value */
    cr_assert_null(df_vars_get(&s.env, "GLOBALONLY"));
    cr_assert_str_eq(df_vars_get(&s.env, "LOCAL"), "l-1.0");
    cr_assert_str_eq(df_vars_get(&s.env, "CLI"), "from-cli");
    cr_assert_null(df_vars_get(&s.env, "NOVALUE"));
    cr_assert_eq(df_scope_apply_env(&s, in[4], NULL), 0);
    cr_assert_str_eq(df_vars_get(&s.env, "LOCAL"), "env-wins"); /* ENV overrides ARG */
    cr_assert_str_eq(df_vars_get(&s.image_env, "LOCAL"), "env-wins");
    cr_assert_null(df_vars_get(&s.image_env, "VERSION")); /* ARGs stay out of the image */
    cr_assert_null(df_vars_get(&s.env, "HTTP_PROXY"));    /* not expandable undeclared */

    cleanup_free char *w = NULL;
    cr_assert_eq(df_scope_expand(&s, "$FOO-${VERSION}", &w, NULL), 0);
    cr_assert_str_eq(w, "bar-1.0");

    size_t n;
    char **run = df_scope_run_env(&s, &n);
    bool upper = false, lower = false;
    for (size_t i = 0; i < n; i++) {
        upper |= strcmp(run[i], "HTTP_PROXY=http://p:3128") == 0;
        lower |= strcmp(run[i], "http_proxy=http://p:3128") == 0;
    }
    cr_assert(upper && lower, "proxies reach RUN without ARG");
    strv_free(run);
    cleanup_free char *hist = df_scope_history_args(&s);
    cr_assert_str_eq(hist, "|4 VERSION=1.0 LOCAL=env-wins CLI=from-cli NOVALUE=");

    struct df_scope child;
    df_scope_clone(&child, &s);
    cr_assert_str_eq(df_vars_get(&child.env, "CLI"), "from-cli"); /* inherited from the stage */
    df_scope_release(&child);
    df_scope_release(&s);
    df_vars_release(&g);
    df_file_free(f);
}

Test(expand, declared_proxy_goes_to_history)
{
    struct df_file *f = parse_ok("FROM a\nARG http_proxy\n");
    struct kiln_kv args[] = {{"http_proxy", "http://p"}};
    struct df_vars g = {0};
    struct df_scope s;
    df_scope_init(&s, &g, args, 1, '\\', NULL, 0, true);
    cr_assert_null(df_vars_get(&s.env, "PATH")); /* Windows images get no default PATH */
    cr_assert_eq(df_scope_apply_arg(&s, f->stages[0].instrs[0], NULL), 0);
    cr_assert_str_eq(df_vars_get(&s.env, "http_proxy"), "http://p");
    cleanup_free char *hist = df_scope_history_args(&s);
    cr_assert_str_eq(hist, "|1 http_proxy=http://p");
    size_t n;
    char **run = df_scope_run_env(&s, &n);
    cr_assert_eq(n, 2); /* http_proxy from the ARG, HTTP_PROXY from the proxy rule */
    strv_free(run);
    df_scope_release(&s);
    df_file_free(f);
    cr_assert(df_arg_is_proxy("no_proxy"));
    cr_assert(df_arg_is_proxy("All_Proxy"));
    cr_assert(!df_arg_is_proxy("PROXY"));
    cr_assert(df_arg_is_platform("TARGETOS"));
    cr_assert(!df_arg_is_platform("targetos"));
}

Test(expand, which_instructions_expand)
{
    cr_assert(df_expands(DF_FROM) & DF_EXPAND_GLOBAL);
    cr_assert(df_expands(DF_COPY) & DF_EXPAND_HEREDOCS);
    cr_assert(df_expands(DF_ENV) & DF_EXPAND_ARGS);
    cr_assert(df_expands(DF_EXPOSE) & DF_EXPAND_WORDS);
    cr_assert_eq(df_expands(DF_RUN), DF_EXPAND_MOUNTS);
    cr_assert_eq(df_expands(DF_CMD), 0);
    cr_assert_eq(df_expands(DF_ONBUILD), 0);
    cr_assert_eq(df_expands(DF_HEALTHCHECK), 0);
    cr_assert(df_expands_flag(DF_COPY, "chown"));
    cr_assert(!df_expands_flag(DF_COPY, "from"));
    cr_assert(!df_expands_flag(DF_COPY, "exclude"));
    cr_assert(!df_expands_flag(DF_COPY, "checksum"));
    cr_assert(df_expands_flag(DF_ADD, "checksum"));
    cr_assert(df_expands_flag(DF_FROM, "platform"));
}

Test(expand, mounts_through_the_scope)
{
    struct df_vars g = {0};
    struct df_scope s;
    char *env[] = {"CACHE=/root/.cache"};
    df_scope_init(&s, &g, NULL, 0, '\\', env, 1, false);
    struct df_mount m;
    cr_assert_eq(df_mount_parse("type=cache,target=$CACHE", '\\', df_scope_expander, &s, &m, NULL),
                 0);
    cr_assert_str_eq(m.target, "/root/.cache");
    df_mount_release(&m);
    cleanup_free char *body = NULL;
    cr_assert_eq(df_scope_expand_heredoc(&s, "dir=\"$CACHE\"\n", &body, NULL), 0);
    cr_assert_str_eq(body, "dir=\"/root/.cache\"\n");
    df_scope_release(&s);
}

Test(expand, expose_specs)
{
    static const struct {
        const char *spec, *first, *last;
        size_t n;
    } ok[] = {
        {"80", "80/tcp", "80/tcp", 1},
        {"53/UDP", "53/udp", "53/udp", 1},
        {"8000-8002/sctp", "8000/sctp", "8002/sctp", 3},
        {"127.0.0.1:8080:80", "80/tcp", "80/tcp", 1},
        {"[::1]:8080:80/udp", "80/udp", "80/udp", 1},
        {"80-80", "80/tcp", "80/tcp", 1},
        {"8080:80", "80/tcp", "80/tcp", 1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        char **v = NULL;
        size_t n = 0;
        cleanup_error kiln_error_t *err = NULL;
        cr_assert_eq(df_expose_parse(ok[i].spec, &v, &n, &err), 0, "%s: %s", ok[i].spec,
                     err ? err->msg : "");
        cr_expect_eq(n, ok[i].n, "%s", ok[i].spec);
        cr_expect_str_eq(v[0], ok[i].first);
        cr_expect_str_eq(v[n - 1], ok[i].last);
        strv_free(v);
    }
    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"abc", "invalid containerPort: abc"},
        {"70000", "invalid containerPort: 70000"},
        {"90-80", "invalid containerPort: 90-80"},
        {"80/http", "invalid port: \"80/http\": invalid proto: http"},
        {"/tcp", "invalid port: \"/tcp\": no port specified"},
        {"x.y:80:80", "invalid IP address: x.y"},
        {"a:80", "invalid hostPort: a"},
        {"1-3:5-6", "invalid ranges specified for container and host Ports: 5-6 and 1-3"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char **v = NULL;
        size_t n = 0;
        cleanup_error kiln_error_t *err = NULL;
        cr_expect_eq(df_expose_parse(bad[i].spec, &v, &n, &err), -1, "%s", bad[i].spec);
        if (err)
            cr_expect_str_eq(err->msg, bad[i].msg, "%s", bad[i].spec);
    }
}

/* Inputs with very many items stay linear (fuzzing found a quadratic EXPOSE range). */
Test(expand, many_items_stay_fast)
{
    char **v = NULL;
    size_t n = 0;
    cr_assert_eq(df_expose_parse("1-65535/udp", &v, &n, NULL), 0);
    cr_assert_eq(n, 65535);
    cr_assert_str_eq(v[65534], "65535/udp");
    strv_free(v);

    struct buf b = BUF_INIT(DF_MAX_FILE_SIZE);
    cr_assert_eq(buf_addstr(&b, "FROM a\nARG", NULL), 0);
    for (int i = 0; i < 50000; i++)
        cr_assert_eq(
            buf_addf(&b, NULL, " a%d=${a%d:-x}%s", i, i ? i - 1 : 0, i % 100 == 99 ? " \\\n" : ""),
            0);
    cr_assert_eq(buf_addstr(&b, "\n", NULL), 0);
    cleanup_free char *text = buf_detach(&b);
    struct df_file *f = parse_ok(text);
    struct df_vars g = {0};
    struct df_scope s;
    df_scope_init(&s, &g, NULL, 0, '\\', NULL, 0, false);
    cr_assert_eq(df_scope_apply_arg(&s, f->stages[0].instrs[0], NULL), 0);
    cr_assert_str_eq(df_vars_get(&s.env, "a49999"), "x");
    df_scope_release(&s);
    df_file_free(f);
}
