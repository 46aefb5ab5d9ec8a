/* RUN --mount values parsed as BuildKit's instructions.ParseMount. */
#include <criterion/criterion.h>
#include <string.h>

#include "build/mounts.h"

static struct run_mount parse_ok(const char *spec)
{
    struct run_mount m;
    kiln_error_t *err = NULL;
    int rc = mount_parse(spec, NULL, NULL, &m, &err);
    cr_assert_eq(rc, 0, "%s: %s", spec, err ? err->msg : "");
    return m;
}

static void parse_fails(const char *spec, const char *want)
{
    struct run_mount m;
    kiln_error_t *err = NULL;
    cr_assert_eq(mount_parse(spec, NULL, NULL, &m, &err), -1, "%s parsed", spec);
    cr_expect(strstr(err->msg, want), "%s: got '%s', want '%s'", spec, err->msg, want);
    cr_expect_eq(err->code, KILN_EINPUT);
    kiln_error_free(err);
}

Test(mounts_parse, secret_fields_and_defaults)
{
    struct run_mount m =
        parse_ok("type=secret,id=tok,dst=/t,mode=0440,uid=1,gid=2,required,env=TOK");
    cr_expect_eq(m.type, RUN_MOUNT_SECRET);
    cr_expect_str_eq(m.id, "tok");
    cr_expect_str_eq(m.target, "/t");
    cr_expect_str_eq(m.env, "TOK");
    cr_expect(m.has_mode && m.mode == 0440 && m.uid == 1 && m.gid == 2 && m.required);
    cr_expect(m.readonly, "secrets are read-only");
    run_mount_release(&m);
    m = parse_ok("type=secret,id=a,required=false");
    cr_expect_not(m.required);
    run_mount_release(&m);
}

Test(mounts_parse, type_defaults_to_bind_and_read_only_follows_the_type)
{
    struct run_mount m = parse_ok("target=/src,source=dir,from=stage");
    cr_expect_eq(m.type, RUN_MOUNT_BIND);
    cr_expect(m.readonly);
    cr_expect_str_eq(m.source, "dir");
    cr_expect_str_eq(m.from, "stage");
    run_mount_release(&m);
    m = parse_ok("type=bind,target=/src,rw");
    cr_expect_not(m.readonly);
    run_mount_release(&m);
    m = parse_ok("type=bind,target=/src,readwrite=true");
    cr_expect_not(m.readonly);
    run_mount_release(&m);
    m = parse_ok("type=cache,target=/c");
    cr_expect_not(m.readonly, "cache mounts are writable by default");
    cr_expect_eq(m.sharing, RUN_SHARING_UNSET);
    run_mount_release(&m);
    m = parse_ok("type=cache,target=/c,ro,sharing=LOCKED,id=x");
    cr_expect(m.readonly);
    cr_expect_eq(m.sharing, RUN_SHARING_LOCKED);
    run_mount_release(&m);
    m = parse_ok("TYPE=TMPFS,Target=/t,size=64m");
    cr_expect_eq(m.type, RUN_MOUNT_TMPFS);
    cr_expect_eq(m.size, 64 << 20);
    run_mount_release(&m);
}

Test(mounts_parse, csv_quoting)
{
    struct run_mount m = parse_ok("type=bind,\"target=/a,b\",source=x");
    cr_expect_str_eq(m.target, "/a,b");
    run_mount_release(&m);
    parse_fails("type=bind,\"target=/a", "quoted-field");
}

Test(mounts_parse, buildkit_errors)
{
    parse_fails("type=nfs,target=/x", "unsupported mount type \"nfs\"");
    parse_fails("type=bind,target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'");
    parse_fails("type=bind,target=/x,required", "unexpected key 'required' for mount type 'bind'");
    parse_fails("type=bind,target=/x,size=1m", "unexpected key 'size' for mount type 'bind'");
    parse_fails("type=tmpfs,target=/x,sharing=shared",
                "unexpected key 'sharing' for mount type 'tmpfs'");
    parse_fails("type=cache,target=/x,sharing=sometimes",
                "unsupported sharing value \"sometimes\"");
    parse_fails("type=bind,target=/x,mode=0700", "mode not allowed for \"bind\" type mounts");
    parse_fails("type=tmpfs,target=/x,uid=1", "uid not allowed for \"tmpfs\" type mounts");
    parse_fails("type=cache,target=/x,mode=9", "invalid value 9 for mode");
    parse_fails("type=cache,target=/x,uid=-1", "invalid value -1 for uid");
    parse_fails("type=bind,target=/x,ro=maybe", "invalid value for ro: maybe");
    parse_fails("type=bind,target=/x,nonsense",
                "invalid field 'nonsense' must be a key=value pair");
    parse_fails("type=secret", "one of source, target required");
    parse_fails("type=secret,source=a,id=b", "both source and id can't be set");
    parse_fails("type=secret,id=a,from=st", "secret mount should not have a from");
}

static int upper(void *ctx, const char *word, char **out, kiln_error_t **err)
{
    (void)ctx, (void)err;
    *out = strdup(word);
    for (char *p = *out; *p; p++)
        *p = (char)(*p == '$' ? 'X' : *p);
    return 0;
}

Test(mounts_parse, values_are_expanded_but_not_from)
{
    struct run_mount m;
    kiln_error_t *err = NULL;
    cr_assert_eq(mount_parse("type=cache,target=/$a,id=$b,from=$c", upper, NULL, &m, &err), 0);
    cr_expect_str_eq(m.target, "/Xa");
    cr_expect_str_eq(m.id, "Xb");
    cr_expect_str_eq(m.from, "$c");
    run_mount_release(&m);
}
