/* The stage graph, --target, build order and ONBUILD triggers (stages.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "stages.h"
#include "util.h"

static struct df_file *parse_ok(const char *text)
{
    struct df_file *f = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(df_parse("Dockerfile", text, strlen(text), &f, &err), 0, "%s",
                 err ? err->msg : "");
    return f;
}

/* The build order as "0,2,3", or the error message. */
static char *plan(const char *text, const char *target)
{
    struct df_file *f = parse_ok(text);
    struct df_plan_opts o = {.target = target};
    struct df_plan *p = NULL;
    kiln_error_t *err = NULL;
    char *out;
    if (df_plan_build(f, &o, &p, &err) < 0) {
        out = xstrdup(err->msg);
        kiln_error_free(err);
    } else {
        struct buf b = BUF_INIT(4096);
        for (size_t i = 0; i < p->norder; i++)
            cr_assert_eq(buf_addf(&b, NULL, "%s%zu", i ? "," : "", p->order[i]), 0);
        out = buf_detach(&b);
        df_plan_free(p);
    }
    df_file_free(f);
    return out;
}

struct plan_case {
    const char *text, *target, *want;
};

static const struct plan_case cases[] = {
    /* only what the target reaches, dependencies first */
    {"FROM a AS one\nFROM b AS two\nFROM c\n", NULL, "2"},
    {"FROM a AS one\nFROM b AS two\nCOPY --from=one /x /y\n", NULL, "0,1"},
    {"FROM a AS one\nFROM one AS two\nFROM b\nCOPY --from=two /x /y\n", NULL, "0,1,2"},
    {"FROM a AS one\nFROM b AS two\nFROM c\n", "one", "0"},
    {"FROM a AS One\nFROM b\n", "ONE", "0"},
    {"FROM a AS base\nFROM b\nRUN --mount=from=base,target=/m x\n", NULL, "0,1"},
    {"FROM a\nFROM b\nCOPY --from=0 /x /y\n", NULL, "0,1"},
    {"FROM a AS x\nFROM b AS x\nFROM c\nCOPY --from=x / /\n", NULL, "1,2"},
    {"FROM a AS scratch\nFROM b\nRUN --mount=type=cache,target=/c x\n", NULL, "0,1"},
    /* FROM <later stage> is an image, not a stage */
    {"FROM later\nFROM a AS later\n", "0", NULL},
    /* errors in BuildKit's words */
    {"FROM a AS one\nFROM b\n", "oen",
     "target stage \"oen\" could not be found (did you mean one?)"},
    {"FROM a\n", "x", "target stage \"x\" could not be found"},
    {"FROM a AS one\nCOPY --from=two / /\nFROM b AS two\nCOPY --from=one / /\n", NULL,
     "Dockerfile:2: circular dependency detected on stage: one"},
    {"FROM a AS self\nCOPY --from=self / /\n", NULL,
     "Dockerfile:2: circular dependency detected on stage: self"},
    {"FROM a\nCOPY --from=0 / /\n", NULL,
     "Dockerfile:2: circular dependency detected on stage: stage-0"},
    {"FROM a AS one\nCOPY --from=two / /\nFROM b AS two\n", "one",
     "Dockerfile:2: cannot copy from stage \"two\", it needs to be defined before current stage "
     "\"one\""},
    {"FROM a AS one\nRUN --mount=from=two,target=/t x\nFROM b AS two\n", "one",
     "Dockerfile:2: cannot mount from stage \"two\" to \"/t\", stage needs to be defined before "
     "current command"},
    {"FROM a\nCOPY --from=5 / /\n", NULL, "Dockerfile:2: invalid stage index 5"},
    {"FROM a\nCOPY --from=-1 / /\n", NULL, "Dockerfile:2: invalid stage index -1"},
    {"FROM a\nCOPY --from=$X / /\n", NULL,
     "Dockerfile:2: variable expansion is not supported for --from, define a new stage with "
     "FROM using ARG from global scope as a workaround"},
    /* an unreachable stage is still checked, as BuildKit builds the whole graph */
    {"FROM a\nCOPY --from=9 / /\nFROM b\n", NULL, "Dockerfile:2: invalid stage index 9"},
};

Test(stages, plans_and_errors)
{
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (!cases[i].want)
            continue;
        cleanup_free char *got = plan(cases[i].text, cases[i].target);
        cr_expect_str_eq(got, cases[i].want, "%s (target %s)", cases[i].text,
                         cases[i].target ? cases[i].target : "-");
    }
}

Test(stages, bases_and_externals)
{
    struct df_file *f = parse_ok("ARG IMG=golang\nFROM ${IMG} AS build\nFROM later AS x\n"
                                 "FROM build AS test\nCOPY --from=alpine:3 /a /b\n"
                                 "COPY --from=0 /c /d\nRUN --mount=from=ctx,target=/m x\n"
                                 "FROM scratch AS later\n");
    char *bases[] = {"golang", NULL, NULL, NULL};
    struct df_plan_opts o = {.target = "test", .bases = bases};
    struct df_plan *p = NULL;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_plan_build(f, &o, &p, &err), 0, "%s", err ? err->msg : "");
    cr_assert_str_eq(p->stages[0].base_name, "golang");
    cr_assert_eq(p->stages[1].base, -1); /* "later" comes after */
    cr_assert_eq(p->stages[2].base, 0);
    cr_assert_str_eq(p->stages[2].display_name, "test");
    cr_assert_eq(p->stages[2].ndeps, 3);
    cr_assert_eq(p->stages[2].deps[0].stage, -1);
    cr_assert_str_eq(p->stages[2].deps[0].external, "alpine:3");
    cr_assert_eq(p->stages[2].deps[1].stage, 0); /* by index */
    cr_assert_eq(p->stages[2].deps[2].stage, -1);
    cr_assert_str_eq(p->stages[2].deps[2].external, "ctx");
    cr_assert_not_null(p->stages[2].deps[2].mount);
    df_plan_free(p);
    df_file_free(f);
}

Test(stages, stage_find_and_display_names)
{
    struct df_file *f = parse_ok("FROM a AS Build\nFROM b\n");
    cr_assert_eq(df_stage_find(f, "BUILD"), 0);
    cr_assert_eq(df_stage_find(f, "nope"), -1);
    struct df_plan *p = NULL;
    cr_assert_eq(df_plan_build(f, NULL, &p, NULL), 0);
    cr_assert_str_eq(p->stages[1].display_name, "stage-1");
    cr_assert_eq(p->target, 1);
    df_plan_free(p);
    df_file_free(f);
    f = parse_ok("FROM a\n");
    cr_assert_eq(df_plan_build(f, NULL, &p, NULL), 0);
    cr_assert_str_eq(p->stages[0].display_name, "");
    df_plan_free(p);
    df_file_free(f);
}

Test(stages, onbuild_triggers_of_images)
{
    char *trig[] = {"RUN echo hi", "COPY --from=assets /a /b", "ONBUILD RUN x"};
    struct df_instr *v = NULL;
    size_t n = 0;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_onbuild_parse("Dockerfile", trig, 2, 7, &v, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].cmd, DF_RUN);
    cr_assert_eq(v[0].line, 7);
    cr_assert_str_eq(v[1].copy.from, "assets");
    df_instrs_free(v, n);

    static const struct {
        char *trigger;
        const char *msg;
    } bad[] = {
        {"ONBUILD RUN x",
         "Dockerfile:7: ONBUILD trigger: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
        {"FROM x", "Dockerfile:7: ONBUILD trigger: FROM isn't allowed as an ONBUILD trigger"},
        {"maintainer me",
         "Dockerfile:7: ONBUILD trigger: MAINTAINER isn't allowed as an ONBUILD trigger"},
        {"RUN a\nRUN b", "Dockerfile:7: onbuild trigger should be a single expression"},
        {"COPY --bad a b", "Dockerfile:7: ONBUILD trigger: unknown flag: --bad"},
        {"", "Dockerfile:7: ONBUILD trigger:0: file with no instructions"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        cleanup_error kiln_error_t *e = NULL;
        cr_expect_eq(df_onbuild_parse("Dockerfile", &bad[i].trigger, 1, 7, &v, &n, &e), -1);
        if (e)
            cr_expect_str_eq(e->msg, bad[i].msg, "%s", bad[i].trigger);
    }

    /* image triggers add dependencies to the plan */
    struct df_file *f = parse_ok("FROM a AS assets\nFROM onbuild-image\nRUN x\n");
    char *const *per_stage[] = {NULL, trig};
    size_t counts[] = {0, 2};
    struct df_plan_opts o = {.image_triggers = per_stage, .nimage_triggers = counts};
    struct df_plan *p = NULL;
    cr_assert_eq(df_plan_build(f, &o, &p, NULL), 0);
    cr_assert_eq(p->stages[1].ntriggers, 2);
    cr_assert_eq(p->norder, 2); /* the trigger's COPY --from=assets made stage 0 needed */
    df_plan_free(p);
    df_file_free(f);
}

Test(stages, onbuild_of_a_parent_stage)
{
    struct df_file *f = parse_ok("FROM a AS files\nFROM b AS base\nONBUILD COPY --from=files / /\n"
                                 "FROM base\nRUN x\n");
    struct df_plan *p = NULL;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(df_plan_build(f, NULL, &p, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(p->stages[2].ntriggers, 1);
    cr_assert_eq(p->stages[2].triggers[0].cmd, DF_COPY);
    cr_assert_eq(p->stages[2].triggers[0].line, 4);
    cr_assert_eq(p->norder, 3);
    cr_assert_eq(p->stages[2].deps[0].stage, 0);
    df_plan_free(p);
    df_file_free(f);
}
