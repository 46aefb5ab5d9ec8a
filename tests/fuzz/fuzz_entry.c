#include <string.h>

#include "ast.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "expand.h"
#include "fuzz_entry.h"
#include "lint/lint.h"
#include "shell.h"
#include "stages.h"
#include "util.h"

#define FUZZ_MAX_INPUT (256u * 1024)

static void drop(kiln_error_t **err)
{
    kiln_error_free(*err);
    *err = NULL;
}

static void fuzz_ast(const char *s, size_t n)
{
    struct df_ast *a = NULL;
    kiln_error_t *err = NULL;
    if (df_ast_parse("Dockerfile", s, n, &a, &err) == 0) {
        free(df_ast_dump(a, NULL));
        for (size_t i = 0; i < a->nnodes; i++)
            free(df_node_dump(&a->nodes[i], NULL));
        df_ast_free(a);
    }
    drop(&err);
}

/* RUN: each mount as the engine takes it (a deferred one parsed again with the step's
 * variables), its dependency in the plan, and the step's environment and history. */
static void fuzz_run(const struct df_plan *p, size_t stage, struct df_scope *sc,
                     const struct df_instr *in)
{
    kiln_error_t *err = NULL;
    for (size_t k = 0, seen = 0; k < in->nflags; k++) {
        if (strcmp(in->flags[k].name, "mount") != 0)
            continue;
        if (seen < in->nmounts)
            (void)df_plan_dep(p, stage, in, &in->mounts[seen]);
        seen++;
        struct df_mount m;
        if (df_mount_parse(in->flags[k].value, sc->escape, df_scope_expander, sc, &m, &err) == 0) {
            char *id = NULL, *target = NULL;
            if (df_mount_defaults(&m, &id, &target, &err) == 0)
                free(id), free(target);
            df_mount_release(&m);
        }
        drop(&err);
    }
    size_t n;
    strv_free(df_scope_env(sc, &n));
    strv_free(df_scope_proxy_env(sc, &n));
    char *hist = NULL;
    if (df_scope_history_args(sc, &hist, &err) == 0)
        free(hist);
    drop(&err);
}

static void fuzz_expose(struct df_scope *sc, const char *word)
{
    kiln_error_t *err = NULL;
    char **v = NULL;
    size_t n = 0;
    if (df_scope_expand_words(sc, word, &v, &n, &err) == 0) {
        for (size_t k = 0; k < n; k++) {
            char **ports = NULL;
            size_t np = 0;
            if (df_expose_parse(v[k], &ports, &np, &err) == 0)
                strv_free(ports);
            drop(&err);
            struct df_port_parts pp = {0};
            df_expose_split(v[k], &pp);
            df_port_parts_release(&pp);
        }
        strv_free(v);
    }
    drop(&err);
}

/* Every part the engine expands of an instruction (expand.h's table). */
static void fuzz_expand_instr(struct df_scope *sc, const struct df_instr *in)
{
    kiln_error_t *err = NULL;
    unsigned what = df_expands(in->cmd);
    for (size_t i = 0; (what & DF_EXPAND_ARGS) && i < in->nargs; i++) {
        char *out = NULL;
        if (df_scope_expand(sc, in->args[i], &out, &err) == 0)
            free(out);
        drop(&err);
    }
    for (size_t i = 0; (what & DF_EXPAND_WORDS) && i < in->nargs; i++)
        fuzz_expose(sc, in->args[i]);
    for (size_t i = 0; (what & DF_EXPAND_HEREDOCS) && i < in->nheredocs; i++) {
        char *out = NULL;
        if (in->heredocs[i].expand &&
            df_scope_expand_heredoc(sc, in->heredocs[i].content, &out, &err) == 0)
            free(out);
        drop(&err);
    }
}

/* One step of a stage, as the engine dispatches it (builder/engine/dispatch.c). */
static void fuzz_step(const struct df_plan *p, size_t stage, struct df_scope *sc,
                      const struct df_instr *in)
{
    kiln_error_t *err = NULL;
    char *hist = NULL;
    char **kv = NULL;
    size_t n = 0;
    switch (in->cmd) {
    case DF_ARG:
        if (df_scope_apply_arg(sc, in, &hist, &err) == 0)
            free(hist);
        break;
    case DF_ENV:
        if (df_scope_apply_env(sc, in, &kv, &n, &err) == 0)
            strv_free(kv);
        break;
    case DF_COPY:
    case DF_ADD:
        (void)df_plan_dep(p, stage, in, NULL);
        fuzz_expand_instr(sc, in);
        break;
    case DF_RUN:
        fuzz_run(p, stage, sc, in);
        break;
    default:
        fuzz_expand_instr(sc, in);
    }
    drop(&err);
}

/* The ONBUILD expressions of the file, standing in for a base image's config OnBuild. */
static char **image_triggers(const struct df_file *f, size_t *n)
{
    char **v = xcalloc(f->ninstrs + 1, sizeof(char *));
    *n = 0;
    for (size_t i = 0; i < f->ninstrs && *n < 4; i++)
        if (f->instrs[i].cmd == DF_ONBUILD && f->instrs[i].nargs == 1)
            v[(*n)++] = f->instrs[i].args[0];
    return v;
}

/* One stage as the engine runs it: its variables start from its base stage's (or an image's
 * Env), a base image's triggers are added to the plan, then the triggers and the
 * instructions are dispatched. */
static void fuzz_stage(const struct df_file *f, struct df_plan *p, const struct df_plan_opts *po,
                       const struct kiln_kv *args, size_t nargs, struct df_scope *scopes, size_t i,
                       char **trig, size_t ntrig)
{
    static char *env[] = {"HOME=/root", "PATH=/usr/bin:/bin"};
    const struct df_plan_stage *ps = &p->stages[i];
    if (ps->base >= 0) {
        df_scope_clone(&scopes[i], &scopes[ps->base]);
    } else {
        bool scratch = strcmp(ps->base_name, "scratch") == 0;
        df_scope_init(&scopes[i], po->global, args, nargs, f->escape, scratch ? NULL : env,
                      scratch ? 0 : 2, false);
        kiln_error_t *err = NULL;
        df_plan_add_image_triggers(f, p, po, i, trig, scratch ? 0 : ntrig, &err);
        drop(&err);
    }
    for (size_t t = 0; t < ps->ntriggers; t++)
        fuzz_step(p, i, &scopes[i], &ps->triggers[t]);
    for (size_t t = 0; t < f->stages[i].ninstrs; t++)
        fuzz_step(p, i, &scopes[i], f->stages[i].instrs[t]);
}

/* The stages the target needs in the plan's order (which a base image's triggers may extend:
 * the walk starts again then), each once, after its base. */
static void fuzz_walk(const struct df_file *f, struct df_plan *p, const struct df_plan_opts *po,
                      const struct kiln_kv *args, size_t nargs)
{
    struct df_scope *scopes = xcalloc(f->nstages + 1, sizeof(*scopes));
    bool *done = xcalloc(f->nstages + 1, sizeof(bool));
    size_t ntrig;
    char **trig = image_triggers(f, &ntrig);
    for (size_t k = 0; k < p->norder; k++) {
        size_t i = p->order[k], before = p->norder;
        if (done[i])
            continue;
        fuzz_stage(f, p, po, args, nargs, scopes, i, trig, ntrig);
        done[i] = true;
        if (p->norder != before)
            k = (size_t)-1; /* new stages in the order: from the start again */
    }
    for (size_t i = 0; i < f->nstages; i++)
        df_scope_release(&scopes[i]);
    free(scopes);
    free(done);
    free(trig);
}

/* The global scope, the plan and its walk, with build args and named contexts as a build
 * passes them (proxies, a platform override, a value-less arg). */
static void fuzz_plan(const struct df_file *f, const char *target)
{
    static const struct kiln_kv args[] = {{"HTTP_PROXY", "http://p:3128"},
                                          {"https_proxy", "http://q"},
                                          {"TARGETARCH", "arm64"},
                                          {"A", "1"},
                                          {"NOVALUE", NULL},
                                          {"BUILDKIT_SYNTAX", "x"}};
    static char *const contexts[] = {"ctx", "base"};
    struct df_global_opts go = {
        {"linux", "amd64", ""}, {"linux", "amd64", ""}, target, args, ARRAY_SIZE(args), "0"};
    struct df_vars g = {0};
    kiln_error_t *err = NULL;
    if (df_scope_global(f, &go, &g, &err) < 0) {
        drop(&err);
        return;
    }
    struct df_plan_opts po = {
        .target = target, .global = &g, .contexts = contexts, .ncontexts = ARRAY_SIZE(contexts)};
    struct df_plan *p = NULL;
    if (df_plan_build(f, &po, &p, &err) == 0) {
        fuzz_walk(f, p, &po, args, ARRAY_SIZE(args));
        df_plan_free(p);
    }
    drop(&err);
    df_vars_release(&g);
}

static void fuzz_file(const char *s, size_t n)
{
    struct df_file *f = NULL;
    kiln_error_t *err = NULL;
    if (df_parse("Dockerfile", s, n, &f, &err) < 0) {
        drop(&err);
        return;
    }
    /* the last stage, and the first one's name when it has one (--target) */
    fuzz_plan(f, NULL);
    if (f->nstages && f->stages[0].name)
        fuzz_plan(f, f->stages[0].name);
    for (size_t i = 0; i < f->ninstrs; i++) {
        struct df_check c;
        if (df_check_from_comments(f->instrs[i].comments, f->instrs[i].ncomments, &c) == 1)
            df_check_release(&c);
    }
    df_file_free(f);
}

static void fuzz_shell(const char *s)
{
    struct df_var vars[] = {{"A", "a"}, {"EMPTY", ""}, {"P", "/usr/bin:/bin"}};
    struct df_vars v = {.v = vars, .n = ARRAY_SIZE(vars)};
    struct shell_opts opts[] = {
        {.escape = '\\'},
        {.escape = '`'},
        {.escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true},
        {.escape = '\\', .skip_quotes = true}};
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        char *out = NULL;
        char **words = NULL;
        size_t n;
        kiln_error_t *err = NULL;
        if (shell_process_word(&opts[i], s, df_vars_lookup, &v, &out, &err) == 0)
            free(out);
        drop(&err);
        if (shell_process_words(&opts[i], s, df_vars_lookup, &v, &words, &n, &err) == 0)
            strv_free(words);
        drop(&err);
    }
}

int fuzz_dockerfile_entry(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    const char *s = (const char *)data;
    fuzz_ast(s, size);
    fuzz_file(s, size);
    if (!memchr(s, '\0', size) && size < 4096) {
        char *word = xstrndup(s, size);
        fuzz_shell(word);
        free(word);
    }
    return 0;
}

int fuzz_dockerignore_entry(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    const char *s = (const char *)data;
    struct dockerignore *d = NULL;
    kiln_error_t *err = NULL;
    if (dockerignore_parse(".dockerignore", s, size, &d, &err) < 0) {
        drop(&err);
        return 0;
    }
    /* every line of the input is also a path to check */
    char *copy = xstrndup(s, size);
    for (char *line = copy, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        const char *path = line[0] == '!' ? line + 1 : line;
        dockerignore_excluded(d, path);
        dockerignore_match_line(d, path);
        dockerignore_may_include_below(d, path);
    }
    free(copy);
    dockerignore_free(d);
    return 0;
}

/* kiln lint over the same plan: every rule, the three outputs. */
int fuzz_lint_entry(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    struct df_file *f = NULL;
    kiln_error_t *err = NULL;
    if (df_parse("Dockerfile", (const char *)data, size, &f, &err) < 0) {
        drop(&err);
        return 0;
    }
    static const struct kiln_kv args[] = {{"HTTP_PROXY", "http://p:3128"},
                                          {"TOKEN", "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"},
                                          {"A", "1"}};
    static char *const contexts[] = {"ctx"};
    struct dockerignore *ig = NULL;
    if (dockerignore_parse(".dockerignore", "*.md\nsecret*\n", strlen("*.md\nsecret*\n"), &ig,
                           &err) < 0)
        drop(&err);
    struct lint_opts o = {.ignore = ig,
                          .build_args = args,
                          .nbuild_args = ARRAY_SIZE(args),
                          .contexts = contexts,
                          .ncontexts = ARRAY_SIZE(contexts),
                          .target = f->nstages && f->stages[0].name ? f->stages[0].name : NULL};
    struct lint_result r;
    if (lint_run(f, &o, &r, &err) == 0) {
        free(lint_output_text(&r, "Dockerfile", (const char *)data, size, NULL));
        free(lint_output_json(&r, "Dockerfile"));
        free(lint_output_sarif(&r, "Dockerfile"));
        lint_result_release(&r);
    }
    drop(&err);
    dockerignore_free(ig);
    df_file_free(f);
    return 0;
}
