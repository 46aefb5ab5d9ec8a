/* The instruction layer (df_parse): BuildKit's checks and words, parsed options. */
#include <criterion/criterion.h>
#include <string.h>

#include "dockerfile.h"
#include "util.h"

static struct df_file *parse_ok(const char *text)
{
    struct df_file *f = NULL;
    kiln_error_t *err = NULL;
    int r = df_parse("Dockerfile", text, strlen(text), &f, &err);
    cr_assert_eq(r, 0, "parse failed: %s: %s", text, err ? err->msg : "");
    return f;
}

struct err_case {
    const char *text, *msg;
};

static const struct err_case errors[] = {
    {"FROM a\nRUNN x\n", "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)"},
    {"FROM a\nrunn x\n", "Dockerfile:2: unknown instruction: runn (did you mean run?)"},
    {"FROM a\nFOO x\n", "Dockerfile:2: unknown instruction: FOO (did you mean FROM?)"},
    {"FROM a\nFOOBAR x\n", "Dockerfile:2: unknown instruction: FOOBAR"},
    {"RUN x\n", "Dockerfile:1: no build stage in current context"},
    {"ARG a\n", "Dockerfile: dockerfile contains no stages to build"},
    {"FROM\n", "Dockerfile:1: FROM requires either one or three arguments"},
    {"FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments"},
    {"FROM a AS b c\n", "Dockerfile:1: FROM requires either one or three arguments"},
    {"FROM a AS Bad!\n", "Dockerfile:1: invalid name for build stage: \"Bad!\", name can't "
                         "start with a number or contain symbols"},
    {"FROM --plat=x a\n", "Dockerfile:1: unknown flag: --plat"},
    {"FROM --platfrm=x a\n", "Dockerfile:1: unknown flag: --platfrm (did you mean platform?)"},
    {"FROM --platform a\n", "Dockerfile:1: missing a value on flag: --platform"},
    {"FROM a\nCOPY --fromm=x a b\n", "Dockerfile:2: unknown flag: --fromm (did you mean from?)"},
    {"FROM a\nCOPY --x a b\n", "Dockerfile:2: unknown flag: --x"},
    {"FROM a\nCOPY --from=a --from=b a b\n", "Dockerfile:2: duplicate flag specified: --from"},
    {"FROM a\nCOPY --link=maybe a b\n",
     "Dockerfile:2: expecting boolean value for flag --link, not: maybe"},
    {"FROM a\nCOPY --link= a b\n", "Dockerfile:2: missing a value on flag: --link"},
    {"FROM a\nCOPY --exclude a b\n", "Dockerfile:2: missing a value on flag: --exclude"},
    {"FROM a\nCOPY a\n", "Dockerfile:2: COPY requires at least two arguments, but only one "
                         "was provided. Destination could not be determined"},
    {"FROM a\nADD --checksum=sha256:x a\n", "Dockerfile:2: ADD requires at least two "
                                            "arguments, but only one was provided. "
                                            "Destination could not be determined"},
    {"FROM a\nCOPY a <<EOF\nx\nEOF\n",
     "Dockerfile:2: COPY cannot accept a heredoc as a destination"},
    {"FROM a\nADD --parents a b\n", "Dockerfile:2: unknown flag: --parents"},
    {"FROM a\nCOPY --checksum=x a b\n", "Dockerfile:2: unknown flag: --checksum"},
    {"FROM a\nENV\n", "Dockerfile:2: ENV requires at least one argument"},
    {"FROM a\nENV =x\n", "Dockerfile:2: ENV names can not be blank"},
    {"FROM a\nENV a=1 =x\n", "Dockerfile:2: ENV names can not be blank"}, /* fuzz finding */
    {"FROM a\nLABEL a=1 b=2 =x\n", "Dockerfile:2: LABEL names can not be blank"},
    {"FROM a\nLABEL --x a=b\n", "Dockerfile:2: unknown flag: --x"},
    {"FROM a\nARG\n", "Dockerfile:2: ARG requires at least one argument"},
    {"FROM a\nARG =x\n", "Dockerfile:2: ARG names can not be blank"},
    {"FROM a\nMAINTAINER\n", "Dockerfile:2: MAINTAINER requires exactly one argument"},
    {"FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument"},
    {"FROM a\nUSER\n", "Dockerfile:2: USER requires exactly one argument"},
    {"FROM a\nSTOPSIGNAL\n", "Dockerfile:2: STOPSIGNAL requires exactly one argument"},
    {"FROM a\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument"},
    {"FROM a\nVOLUME\n", "Dockerfile:2: VOLUME requires at least one argument"},
    {"FROM a\nVOLUME [\"\"]\n", "Dockerfile:2: VOLUME specified can not be an empty string"},
    {"FROM a\nSHELL\n", "Dockerfile:2: SHELL requires at least one argument"},
    {"FROM a\nSHELL []\n", "Dockerfile:2: SHELL requires at least one argument"},
    {"FROM a\nSHELL sh -c\n", "Dockerfile:2: SHELL requires the arguments to be in JSON form"},
    {"FROM a\nCMD --x y\n", "Dockerfile:2: unknown flag: --x"},
    {"FROM a\nONBUILD\n", "Dockerfile:2: ONBUILD requires at least one argument"},
    {"FROM a\nONBUILD ONBUILD RUN x\n",
     "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
    {"FROM a\nONBUILD from b\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger"},
    {"FROM a\nONBUILD maintainer me\n",
     "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger"},
    {"FROM a\nONBUILD --x RUN y\n", "Dockerfile:2: unknown flag: --x"},
    {"FROM a\nHEALTHCHECK\n", "Dockerfile:2: HEALTHCHECK requires at least one argument"},
    {"FROM a\nHEALTHCHECK NONE x\n", "Dockerfile:2: HEALTHCHECK NONE takes no arguments"},
    {"FROM a\nHEALTHCHECK CMD\n", "Dockerfile:2: Missing command after HEALTHCHECK CMD"},
    {"FROM a\nHEALTHCHECK CONNECT TCP 7000\n",
     "Dockerfile:2: Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)"},
    {"FROM a\nHEALTHCHECK --interval=1us CMD x\n",
     "Dockerfile:2: Interval \"interval\" cannot be less than 1ms"},
    {"FROM a\nHEALTHCHECK --timeout=5 CMD x\n",
     "Dockerfile:2: time: missing unit in duration \"5\""},
    {"FROM a\nHEALTHCHECK --start-period=1y CMD x\n",
     "Dockerfile:2: time: unknown unit \"y\" in duration \"1y\""},
    {"FROM a\nHEALTHCHECK --start-interval=x CMD x\n",
     "Dockerfile:2: time: invalid duration \"x\""},
    {"FROM a\nHEALTHCHECK --retries=x CMD x\n",
     "Dockerfile:2: strconv.ParseInt: parsing \"x\": invalid syntax"},
    {"FROM a\nHEALTHCHECK --retries=99999999999 CMD x\n",
     "Dockerfile:2: strconv.ParseInt: parsing \"99999999999\": value out of range"},
    {"FROM a\nHEALTHCHECK --retries=-1 CMD x\n", "Dockerfile:2: --retries cannot be negative (-1)"},
    {"FROM a\nHEALTHCHECK --foo=1 CMD x\n", "Dockerfile:2: unknown flag: --foo"},
    {"FROM a\nRUN --network=foo x\n", "Dockerfile:2: invalid network mode \"foo\""},
    {"FROM a\nRUN --security=x y\n", "Dockerfile:2: security \"x\" is not valid"},
    {"FROM a\nRUN --networks=host x\n",
     "Dockerfile:2: unknown flag: --networks (did you mean network?)"},
    {"FROM a\nRUN --device=a,b x\n", "Dockerfile:2: invalid field 'b' must be a key=value pair"},
    {"FROM a\nRUN --device=name=a,name=b x\n", "Dockerfile:2: device name already set to a"},
    {"FROM a\nRUN --device=a,foo=b x\n", "Dockerfile:2: unexpected key 'foo' in 'foo=b'"},
    {"FROM a\nCMD [\"a\\u0000\"]\n", "Dockerfile:2: a JSON argument holds a NUL character"},
};

Test(instructions, errors_in_buildkit_words)
{
    for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
        struct df_file *f = NULL;
        cleanup_error kiln_error_t *err = NULL;
        int r = df_parse("Dockerfile", errors[i].text, strlen(errors[i].text), &f, &err);
        cr_expect_eq(r, -1, "should fail: %s", errors[i].text);
        if (r == 0) {
            df_file_free(f);
            continue;
        }
        cr_expect_str_eq(err->msg, errors[i].msg, "%s", errors[i].text);
        cr_expect_eq(err->code, KILN_EINPUT);
    }
}

Test(instructions, quirks_buildkit_accepts)
{
    /* STOPSIGNAL and ARG never look at their flags; HEALTHCHECK NONE neither; an ONBUILD
     * trigger is only validated when the image is used. */
    struct df_file *f = parse_ok("FROM a\nSTOPSIGNAL --x SIGKILL\nARG --y z\nHEALTHCHECK --z NONE\n"
                                 "ONBUILD RUNN x\nONBUILD COPY --bad a b\nRUN\n");
    cr_assert_eq(f->stages[0].ninstrs, 6);
    cr_assert_null(f->stages[0].instrs[3]->sub);
    cr_assert_eq(f->nwarnings, 2);
    cr_assert_str_eq(f->warnings[0].rule, "InvalidOnbuildTrigger");
    cr_assert(strstr(f->warnings[0].msg, "unknown instruction: RUNN"));
    df_file_free(f);
}

Test(instructions, layout_of_args)
{
    struct df_file *f = parse_ok(
        "ARG BASE=alpine\nFROM ${BASE} as Builder\nENV a=1 b=\"2 3\"\nENV legacy the value\n"
        "LABEL k=v\nRUN echo $a\nRUN [\"sh\", \"-c\", \"x\"]\nCMD\nEXPOSE 80/tcp 443\n"
        "ONBUILD RUN <<EOF\nhi\nEOF\nHEALTHCHECK --interval=1m30s --retries=3 CMD curl x\n"
        "HEALTHCHECK none\nWORKDIR /a b\nSTOPSIGNAL SIGTERM\n");
    cr_assert_eq(f->nmeta_args, 1);
    cr_assert_eq(f->nstages, 1);
    struct df_stage *s = &f->stages[0];
    cr_assert_str_eq(s->name, "builder");
    cr_assert_str_eq(s->base, "${BASE}");
    cr_assert_str_eq(s->from->as_keyword, "as");
    struct df_instr **in = s->instrs;
    cr_assert_eq(in[0]->nargs, 4);
    cr_assert_str_eq(in[0]->args[3], "\"2 3\"");
    cr_assert(!in[0]->kv_legacy);
    cr_assert_eq(in[1]->nargs, 2);
    cr_assert_str_eq(in[1]->args[1], "the value");
    cr_assert(in[1]->kv_legacy);
    cr_assert_str_eq(in[3]->args[0], "echo $a");
    cr_assert(!in[3]->json);
    cr_assert(in[4]->json);
    cr_assert_eq(in[4]->nargs, 3);
    cr_assert_eq(in[5]->nargs, 0);
    cr_assert_eq(in[6]->nargs, 2);
    cr_assert_str_eq(in[7]->args[0], "RUN <<EOF\nhi\nEOF");
    cr_assert_eq(in[7]->sub->cmd, DF_RUN);
    cr_assert_eq(in[7]->sub->nheredocs, 1);
    cr_assert_eq(in[7]->end_line, 12);
    struct df_healthcheck *h = in[8]->health;
    cr_assert_str_eq(h->test[0], "CMD-SHELL");
    cr_assert_str_eq(h->test[1], "curl x");
    cr_assert_eq(h->interval, 90ll * 1000000000);
    cr_assert_eq(h->retries, 3);
    cr_assert_str_eq(in[9]->health->test[0], "NONE");
    cr_assert_str_eq(in[10]->args[0], "/a b");
    cr_assert_str_eq(df_cmd_name(in[11]->cmd), "STOPSIGNAL");
    df_file_free(f);
}

Test(instructions, copy_and_add_options)
{
    struct df_file *f =
        parse_ok("FROM a\nCOPY --from=build --chown=1:2 --chmod=0755 --link --parents "
                 "--exclude=*.md --exclude=tmp/ src/ /dst/\n"
                 "ADD --checksum=sha256:abc --keep-git-dir=false --unpack=TRUE --link=false "
                 "https://x/y.tgz /d\nCOPY <<EOF <<-TWO /dst/\nx\nEOF\n\tone\n\tTWO\nCOPY a b\n");
    struct df_instr **in = f->stages[0].instrs;
    struct df_copy_opts *c = &in[0]->copy;
    cr_assert_str_eq(c->from, "build");
    cr_assert_str_eq(c->chown, "1:2");
    cr_assert_str_eq(c->chmod, "0755");
    cr_assert(c->link);
    cr_assert(c->parents);
    cr_assert_eq(c->nexclude, 2);
    cr_assert_str_eq(c->exclude[1], "tmp/");
    cr_assert_str_eq(df_instr_flag(in[0], "from", NULL), "build");
    struct df_copy_opts *a = &in[1]->copy;
    cr_assert_str_eq(a->checksum, "sha256:abc");
    cr_assert_eq(a->keep_git_dir, 0);
    cr_assert_eq(a->unpack, 1);
    cr_assert(!a->link);
    cr_assert_eq(in[2]->nheredocs, 2);
    cr_assert_str_eq(in[2]->heredocs[1].content, "one\n"); /* <<- strips tabs */
    const struct df_heredoc *hd = df_instr_heredoc_source(in[2], in[2]->args[1]);
    cr_assert_not_null(hd);
    cr_assert_str_eq(hd->name, "TWO");
    cr_assert_null(df_instr_heredoc_source(in[2], "/dst/"));
    cr_assert_eq(in[3]->copy.keep_git_dir, -1);
    cr_assert_null(in[3]->copy.from);
    bool present;
    cr_assert_null(df_instr_flag(in[3], "from", &present));
    cr_assert(!present);
    df_file_free(f);
}

Test(instructions, run_options)
{
    struct df_file *f = parse_ok(
        "FROM a\nRUN --network=none --security=insecure --device=nvidia.com/gpu=all,required "
        "--mount=type=cache,target=/c --mount=type=secret,id=tok x\n");
    struct df_instr *r = f->stages[0].instrs[0];
    cr_assert_eq(r->network, DF_NETWORK_NONE);
    cr_assert_eq(r->security, DF_SECURITY_INSECURE);
    cr_assert_eq(r->ndevices, 1);
    cr_assert_str_eq(r->devices[0].name, "nvidia.com/gpu=all");
    cr_assert(r->devices[0].required);
    cr_assert_eq(r->nmounts, 2);
    cr_assert_eq(r->mounts[0].type, DF_MOUNT_CACHE);
    cr_assert_eq(r->mounts[1].type, DF_MOUNT_SECRET);
    cr_assert(r->mounts[1].readonly);
    df_file_free(f);
}

Test(instructions, check_directives)
{
    struct df_check c;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_check_parse("skip=JSONArgsRecommended, StageNameCasing;error=true", &c, &err),
                 0);
    cr_assert_eq(c.nskip, 2); /* only up to the first space, as BuildKit */
    cr_assert_str_eq(c.skip[1], "");
    df_check_release(&c);
    cr_assert_eq(df_check_parse("skip=A,B;error=true;experimental=all", &c, &err), 0);
    cr_assert_eq(c.nskip, 2);
    cr_assert_str_eq(c.skip[1], "B");
    cr_assert(c.error);
    cr_assert(c.experimental_all);
    df_check_release(&c);
    cr_assert_eq(df_check_parse("skip=all", &c, &err), 0);
    cr_assert(c.skip_all);
    df_check_release(&c);
    cr_assert_eq(df_check_parse("nope", &c, &err), -1);
    cr_assert_str_eq(err->msg, "invalid check option \"nope\"");
    kiln_error_free(err);
    err = NULL;
    cr_assert_eq(df_check_parse("foo=1", &c, &err), -1);
    cr_assert_str_eq(err->msg, "invalid check option \"foo\"");
    kiln_error_free(err);
    err = NULL;
    cr_assert_eq(df_check_parse("error=maybe", &c, &err), -1);
    cr_assert_str_eq(err->msg, "failed to parse check option \"error=maybe\": "
                               "strconv.ParseBool: parsing \"maybe\": invalid syntax");

    struct df_file *f = parse_ok("# check=skip=all\nFROM a\n# check=error=true\n# hi\nRUN x\n");
    cr_assert_str_eq(f->check, "skip=all");
    struct df_instr *r = f->stages[0].instrs[0];
    struct df_check cc;
    cr_assert_eq(df_check_from_comments(r->comments, r->ncomments, &cc), 1);
    cr_assert(cc.error);
    df_check_release(&cc);
    cr_assert_eq(df_check_from_comments(NULL, 0, &cc), 0);
    df_file_free(f);
}
