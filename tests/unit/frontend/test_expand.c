/* ARG/ENV scoping (expand.h) as BuildKit's dockerfile2llb applies it. */
#include <criterion/criterion.h>
#include <string.h>
#include <strings.h>

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

static int global(const struct df_file *f, const struct df_platform *build,
                  const struct df_platform *target, const char *stage, const struct kiln_kv *args,
                  size_t nargs, struct df_vars *out, kiln_error_t **err)
{
    struct df_global_opts o = {*build, *target, stage, args, nargs, NULL};
    return df_scope_global(f, &o, out, err);
}

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
    cr_assert_eq(global(f, &amd64, &arm, NULL, args, 3, &g, NULL), 0);
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

    cr_assert_eq(global(f, &amd64, &amd64, "other", NULL, 0, &g, NULL), 0);
    cr_assert_str_eq(df_vars_get(&g, "TARGETSTAGE"), "other");
    cr_assert_null(df_vars_get(&g, "SOURCE_DATE_EPOCH")); /* BuildKit: only when given */
    df_vars_release(&g);
    struct df_global_opts o = {amd64, amd64, NULL, NULL, 0, "1700000000"};
    cr_assert_eq(df_scope_global(f, &o, &g, NULL), 0);
    cr_assert_str_eq(df_vars_get(&g, "SOURCE_DATE_EPOCH"), "1700000000"); /* the builder's */
    df_vars_release(&g);
    df_file_free(f);

    f = parse_ok("ARG A=${B\nFROM x\n");
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(global(f, &amd64, &amd64, NULL, NULL, 0, &g, &err), -1);
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
    cr_assert_eq(global(f, &amd64, &amd64, NULL, args, 2, &g, NULL), 0);
    char *image_env[] = {"HOME=/root", "FOO=bar"};
    struct df_scope s;
    df_scope_init(&s, &g, args, 2, '\\', image_env, 2, false);
    cr_assert_str_eq(df_vars_get(&s.env, "PATH"),
                     "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    cr_assert_null(df_vars_get(&s.env, "VERSION")); /* global ARGs are not visible */
    struct df_instr **in = f->stages[0].instrs;
    const char *hist_args[] = {"ARG VERSION=1.0", "ARG LOCAL=l-1.0", "ARG CLI=from-cli",
                               "ARG NOVALUE"};
    for (size_t i = 0; i < 4; i++) {
        cleanup_free char *h = NULL;
        cr_assert_eq(df_scope_apply_arg(&s, in[i], &h, NULL), 0);
        cr_assert_str_eq(h, hist_args[i]); /* BuildKit's history: the value as used */
    }
    cr_assert_str_eq(df_vars_get(&s.env, "VERSION"), "1.0"); /* redeclared: the global value */
    cr_assert_null(df_vars_get(&s.env, "GLOBALONLY"));
    cr_assert_str_eq(df_vars_get(&s.env, "LOCAL"), "l-1.0");
    cr_assert_str_eq(df_vars_get(&s.env, "CLI"), "from-cli");
    cr_assert_null(df_vars_get(&s.env, "NOVALUE"));
    cr_assert_eq(df_scope_apply_env(&s, in[4], NULL, NULL, NULL), 0);
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
    cleanup_free char *hist = NULL;
    cr_assert_eq(df_scope_history_args(&s, &hist, NULL), 0);
    cr_assert_str_eq(hist, "|4 VERSION=1.0 LOCAL=env-wins CLI=from-cli NOVALUE=");
    char **env = df_scope_env(&s, &n);
    for (size_t i = 0; i < n; i++)
        cr_assert(strncasecmp(env[i], "http_proxy=", 11) != 0, "the step env has no proxy");
    strv_free(env);

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
    cr_assert_eq(df_scope_apply_arg(&s, f->stages[0].instrs[0], NULL, NULL), 0);
    cr_assert_str_eq(df_vars_get(&s.env, "http_proxy"), "http://p");
    cleanup_free char *hist = NULL;
    cr_assert_eq(df_scope_history_args(&s, &hist, NULL), 0);
    cr_assert_str_eq(hist, "|1 http_proxy=http://p");
    size_t n;
    char **run = df_scope_run_env(&s, &n);
    cr_assert_eq(n, 2); /* http_proxy from the ARG, HTTP_PROXY from the proxy rule */
    strv_free(run);
    df_scope_release(&s);
    df_file_free(f);
}

Test(expand, predefined_args)
{
    cr_assert_eq(df_arg_predefined("no_proxy"), DF_ARG_PROXY);
    cr_assert_eq(df_arg_predefined("ALL_PROXY"), DF_ARG_PROXY);
    cr_assert_eq(df_arg_predefined("All_Proxy"), DF_ARG_NONE); /* BuildKit's ten names only */
    cr_assert_eq(df_arg_predefined("PROXY"), DF_ARG_NONE);
    cr_assert_eq(df_arg_predefined("TARGETOS"), DF_ARG_PLATFORM);
    cr_assert_eq(df_arg_predefined("BUILDPLATFORM"), DF_ARG_PLATFORM);
    cr_assert_eq(df_arg_predefined("targetos"), DF_ARG_NONE);
    cr_assert_eq(df_arg_predefined("SOURCE_DATE_EPOCH"), DF_ARG_EPOCH);
    cr_assert_eq(df_arg_predefined("BUILDKIT_SYNTAX"), DF_ARG_BUILDKIT);
    cr_assert(!df_arg_in_env("BUILDKIT_SBOM_SCAN_STAGE"));
    cr_assert(df_arg_in_env("BUILDKIT_SYNTAX"));
    /* both spellings given: the lower-case one, the last in sorted key order (ProxyEnv) */
    struct kiln_kv args[] = {{"https_proxy", "http://low"},
                             {"HTTPS_PROXY", "http://up"},
                             {"NO_PROXY", NULL},
                             {"ftp_proxy", ""}};
    cr_assert_str_eq(df_proxy_value(args, 4, "HTTPS_PROXY"), "http://low");
    cr_assert_null(df_proxy_value(args, 4, "NO_PROXY"));
    cr_assert_str_eq(df_proxy_value(args, 4, "FTP_PROXY"), "");
    char **env = NULL;
    size_t n = 0;
    df_proxy_env(args, 4, NULL, NULL, &env, &n);
    cr_assert_eq(n, 2); /* HTTPS_PROXY and https_proxy; an empty ftp proxy is not passed */
    cr_assert_str_eq(env[0], "HTTPS_PROXY=http://low");
    cr_assert_str_eq(env[1], "https_proxy=http://low");
    strv_free(env);
}

Test(expand, env_expands_before_it_sets)
{
    /* Docker's documented rule: def gets the abc from before the instruction */
    struct df_file *f = parse_ok("FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n"
                                 "ENV $UNSET=x\n");
    struct df_vars g = {0};
    struct df_scope s;
    df_scope_init(&s, &g, NULL, 0, '\\', NULL, 0, false);
    struct df_instr **in = f->stages[0].instrs;
    cleanup_strv char **kv = NULL;
    size_t n = 0;
    cr_assert_eq(df_scope_apply_env(&s, in[0], NULL, NULL, NULL), 0);
    cr_assert_eq(df_scope_apply_env(&s, in[1], &kv, &n, NULL), 0);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(kv[3], "hello");
    cr_assert_eq(df_scope_apply_env(&s, in[2], NULL, NULL, NULL), 0);
    cr_assert_str_eq(df_vars_get(&s.env, "def"), "hello");
    cr_assert_str_eq(df_vars_get(&s.image_env, "ghi"), "bye");
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_scope_apply_env(&s, in[3], NULL, NULL, &err), -1);
    cr_assert_str_eq(err->msg, "ENV names can not be blank");
    df_scope_release(&s);
    df_file_free(f);
}

struct lookups {
    char **unset;
    size_t n;
};

static void note_lookup(void *ctx, const char *name, bool set)
{
    struct lookups *l = ctx;
    if (!set)
        strv_push(&l->unset, &l->n, xstrdup(name));
}

Test(expand, observer_sees_every_lookup)
{
    struct df_file *f = parse_ok("FROM a\nARG A=$NOPE\n");
    struct df_vars g = {0};
    struct df_scope s;
    df_scope_init(&s, &g, NULL, 0, '\\', NULL, 0, false);
    struct lookups l = {0};
    s.observe = note_lookup;
    s.observe_ctx = &l;
    cr_assert_eq(df_scope_apply_arg(&s, f->stages[0].instrs[0], NULL, NULL), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.unset[0], "NOPE");
    strv_free(l.unset);
    cr_assert(df_vars_has(&s.args, "A") && !df_vars_has(&s.args, "NOPE"));
    df_scope_release(&s);
    df_file_free(f);
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
    cr_assert_eq(df_scope_apply_arg(&s, f->stages[0].instrs[0], NULL, NULL), 0);
    cr_assert_str_eq(df_vars_get(&s.env, "a49999"), "x");
    df_scope_release(&s);
    df_file_free(f);
}
