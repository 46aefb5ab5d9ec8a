/* RUN --mount (df_mount_parse): every option, default and error of BuildKit's parseMount. */
#include <criterion/criterion.h>
#include <string.h>

#include "dockerfile.h"
#include "util.h"

/* An expander that replaces "$X" by "x-value" and "$T" by "tmpfs" (enough for the tests). */
static int expand(void *ctx, const char *word, char **out, kiln_error_t **err)
{
    (void)ctx;
    if (strcmp(word, "$BAD") == 0)
        return kiln_err(err, KILN_EINPUT, 0, "bad expansion");
    *out = xstrdup(strcmp(word, "$X") == 0 ? "x-value" : strcmp(word, "$T") == 0 ? "tmpfs" : word);
    return 0;
}

static struct df_mount parse(const char *spec, bool expanded)
{
    struct df_mount m;
    cleanup_error kiln_error_t *err = NULL;
    int r = df_mount_parse(spec, '\\', expanded ? expand : NULL, NULL, &m, &err);
    cr_assert_eq(r, 0, "%s: %s", spec, err ? err->msg : "");
    return m;
}

Test(mount, defaults_per_type)
{
    static const struct {
        const char *spec;
        enum df_mount_type type;
        bool readonly;
    } cases[] = {
        {"target=/x", DF_MOUNT_BIND, true},
        {"type=bind,target=/x", DF_MOUNT_BIND, true},
        {"type=cache,target=/x", DF_MOUNT_CACHE, false},
        {"type=tmpfs,target=/x", DF_MOUNT_TMPFS, false},
        {"type=secret,id=a", DF_MOUNT_SECRET, true},
        {"type=ssh", DF_MOUNT_SSH, true},
        {"TYPE=CACHE,target=/x", DF_MOUNT_CACHE, false},
        {"type=bind,target=/x,rw", DF_MOUNT_BIND, false},
        {"type=bind,target=/x,readwrite=true", DF_MOUNT_BIND, false},
        {"type=cache,target=/x,ro", DF_MOUNT_CACHE, true},
        {"type=cache,target=/x,readonly=1", DF_MOUNT_CACHE, true},
        {"type=cache,target=/x,rw=false", DF_MOUNT_CACHE, true},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct df_mount m = parse(cases[i].spec, true);
        cr_expect_eq(m.type, cases[i].type, "%s", cases[i].spec);
        cr_expect_eq(m.readonly, cases[i].readonly, "%s", cases[i].spec);
        cr_expect(!m.deferred);
        df_mount_release(&m);
    }
}

Test(mount, every_option)
{
    struct df_mount m = parse("type=cache,id=go,target=/root/.cache,sharing=LOCKED,mode=0700,"
                              "uid=1000,gid=1001,from=builder,source=/src",
                              true);
    cr_assert_eq(m.type, DF_MOUNT_CACHE);
    cr_assert_str_eq(m.id, "go");
    cr_assert_str_eq(m.target, "/root/.cache");
    cr_assert_eq(m.sharing, DF_SHARING_LOCKED);
    cr_assert(m.has_mode && m.mode == 0700);
    cr_assert(m.has_uid && m.uid == 1000);
    cr_assert(m.has_gid && m.gid == 1001);
    cr_assert_str_eq(m.from, "builder");
    cr_assert_str_eq(m.source, "/src");
    df_mount_release(&m);

    m = parse("type=secret,id=tok,env=TOKEN,required,dst=/run/t", true);
    cr_assert_str_eq(m.env, "TOKEN");
    cr_assert(m.required);
    cr_assert_str_eq(m.target, "/run/t");
    df_mount_release(&m);

    m = parse("type=ssh,id=gh,required=false,destination=/sock", true);
    cr_assert(!m.required);
    cr_assert_str_eq(m.target, "/sock");
    df_mount_release(&m);

    m = parse("type=tmpfs,target=/t,size=1.5g", true);
    cr_assert_eq(m.size, 1610612736);
    df_mount_release(&m);
    m = parse("type=tmpfs,target=/t,size=64 MiB", true);
    cr_assert_eq(m.size, 64 * 1024 * 1024);
    df_mount_release(&m);
    m = parse("type=tmpfs,target=/t,size=100", true);
    cr_assert_eq(m.size, 100);
    df_mount_release(&m);
    m = parse("type=bind,src=a,target=/x,from=$X", true);
    cr_assert_str_eq(m.from, "x-value");
    df_mount_release(&m);
    m = parse("\"source=a,\"\"b\",target=/x", true); /* CSV quoting */
    cr_assert_str_eq(m.source, "a,\"b");
    df_mount_release(&m);
}

struct err_case {
    const char *spec, *msg;
};

static const struct err_case errors[] = {
    {"", "failed to parse csv mounts: EOF"},
    {"type=cache,target=/a\"b", "failed to parse csv mounts: parse error on line 1, column 21: "
                                "bare \" in non-quoted-field"},
    {"\"type=cache", "failed to parse csv mounts: parse error on line 1, column 2: extraneous "
                     "or missing \" in quoted-field"},
    {"type=volume", "unsupported mount type \"volume\""},
    {"type=cach", "unsupported mount type \"cach\" (did you mean cache?)"},
    {"type=cache,sharing=privat", "unsupported sharing value \"privat\" (did you mean private?)"},
    {"type=cache,sharing=all", "unsupported sharing value \"all\""},
    {"target", "invalid field 'target' must be a key=value pair"},
    {"tagret=/x", "unexpected key 'tagret' in 'tagret=/x' (did you mean target?)"},
    {"foo=bar", "unexpected key 'foo' in 'foo=bar' (did you mean from?)"},
    {"required", "unexpected key 'required' for mount type 'bind'"},
    {"type=cache,required=true", "unexpected key 'required' for mount type 'cache'"},
    {"type=secret,id=a,required=maybe", "invalid value for required: maybe"},
    {"ro=maybe", "invalid value for ro: maybe"},
    {"rw=2", "invalid value for rw: 2"},
    {"size=1g", "unexpected key 'size' for mount type 'bind'"},
    {"type=tmpfs,size=lots", "invalid value for size: lots"},
    {"type=tmpfs,size=1zb", "invalid value for size: 1zb"},
    {"type=tmpfs,size=-1", "invalid value for size: -1"},
    {"type=cache,mode=0800", "invalid value 0800 for mode"},
    {"type=cache,uid=x", "invalid value x for uid"},
    {"type=cache,gid=4294967296", "invalid value 4294967296 for gid"},
    {"type=bind,mode=0700", "mode not allowed for \"bind\" type mounts"},
    {"type=tmpfs,uid=1", "uid not allowed for \"tmpfs\" type mounts"},
    {"gid=1", "gid not allowed for \"bind\" type mounts"},
    {"type=secret", "invalid secret mount. one of source, target required"},
    {"type=secret,id=a,from=b", "secret mount should not have a from"},
    {"type=secret,id=a,sharing=shared", "secret mount should not define sharing"},
    {"type=secret,id=a,source=b", "both source and id can't be set"},
    {"type=bind,sharing=locked", "invalid cache sharing set for bind mount"},
    {"type=cache,target=$BAD", "bad expansion"},
};

Test(mount, errors_in_buildkit_words)
{
    for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
        struct df_mount m;
        cleanup_error kiln_error_t *err = NULL;
        int r = df_mount_parse(errors[i].spec, '\\', expand, NULL, &m, &err);
        cr_expect_eq(r, -1, "should fail: %s", errors[i].spec);
        if (r == 0) {
            df_mount_release(&m);
            continue;
        }
        cr_expect_str_eq(err->msg, errors[i].msg, "%s", errors[i].spec);
    }
}

Test(mount, parse_time_defers_variables)
{
    struct df_mount m = parse("type=$T,target=$X,size=10m,from=stage$", false);
    cr_assert(m.deferred);
    cr_assert_str_eq(m.target, "$X");
    cr_assert_str_eq(m.from, "stage$"); /* a trailing '$' is no variable */
    df_mount_release(&m);
    m = parse("type=cache,target=/x,id=\\a", false);
    cr_assert(m.deferred); /* the escape character may change under expansion */
    df_mount_release(&m);
    /* re-parsed by the builder with its expander */
    m = parse("type=$T,target=$X,size=10m", true);
    cr_assert_eq(m.type, DF_MOUNT_TMPFS);
    cr_assert_str_eq(m.target, "x-value");
    cr_assert_eq(m.size, 10 * 1024 * 1024);
    df_mount_release(&m);

    struct df_mount bad;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_mount_parse("from=$STAGE,target=/x", '\\', NULL, NULL, &bad, &err), -1);
    cr_assert_str_eq(err->msg,
                     "'from' doesn't support variable expansion, define alias stage instead");
    /* without variables, errors come at parse time */
    kiln_error_free(err);
    err = NULL;
    cr_assert_eq(df_mount_parse("type=bogus", '\\', NULL, NULL, &bad, &err), -1);
}

Test(mount, dispatch_defaults)
{
    static const struct {
        const char *spec, *id, *target;
    } cases[] = {
        {"type=secret,id=tok", "tok", "/run/secrets/tok"},
        {"type=secret,target=/etc/secret.txt", "secret.txt", "/etc/secret.txt"},
        {"type=secret,source=a/b", "a/b", "/run/secrets/b"},
        {"type=secret,id=tok,env=TOKEN", "tok", NULL},
        {"type=ssh", "default", NULL},
        {"type=ssh,id=gh,target=/s", "gh", "/s"},
        {"type=cache,target=/root/./.cache/", "/root/.cache", "/root/./.cache/"},
        {"type=cache,id=x,target=/c", "x", "/c"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct df_mount m = parse(cases[i].spec, true);
        cleanup_free char *id = NULL, *target = NULL;
        cr_assert_eq(df_mount_defaults(&m, &id, &target, NULL), 0, "%s", cases[i].spec);
        cr_expect_str_eq(id, cases[i].id, "%s", cases[i].spec);
        if (cases[i].target)
            cr_expect_str_eq(target, cases[i].target, "%s", cases[i].spec);
        else
            cr_expect_null(target, "%s", cases[i].spec);
        df_mount_release(&m);
    }
    struct df_mount m = parse("type=ssh,source=x", true);
    cleanup_free char *id = NULL, *target = NULL;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_mount_defaults(&m, &id, &target, &err), -1);
    cr_assert_str_eq(err->msg, "ssh does not support source");
    df_mount_release(&m);
}
