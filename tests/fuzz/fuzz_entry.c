#include <string.h>

#include "ast.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "expand.h"
#include "fuzz_entry.h"
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

static void fuzz_expose(const char *spec)
{
    char **ports = NULL;
    size_t np = 0;
    kiln_error_t *err = NULL;
    if (df_expose_parse(spec, &ports, &np, &err) == 0)
        strv_free(ports);
    drop(&err);
}

static void fuzz_mount(struct df_scope *sc, const char *spec)
{
    struct df_mount m;
    kiln_error_t *err = NULL;
    if (df_mount_parse(spec, sc->escape, df_scope_expander, sc, &m, &err) == 0) {
        char *id = NULL, *target = NULL;
        if (df_mount_defaults(&m, &id, &target, &err) == 0)
            free(id), free(target);
        df_mount_release(&m);
    }
    drop(&err);
}

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
    for (size_t i = 0; (what & DF_EXPAND_WORDS) && i < in->nargs; i++) {
        char **v = NULL;
        size_t n = 0;
        if (df_scope_expand_words(sc, in->args[i], &v, &n, &err) == 0) {
            for (size_t k = 0; k < n; k++)
                fuzz_expose(v[k]);
            strv_free(v);
        }
        drop(&err);
    }
    for (size_t k = 0; (what & DF_EXPAND_MOUNTS) && k < in->nflags; k++)
        if (strcmp(in->flags[k].name, "mount") == 0)
            fuzz_mount(sc, in->flags[k].value);
    for (size_t i = 0; (what & DF_EXPAND_HEREDOCS) && i < in->nheredocs; i++) {
        char *out = NULL;
        if (in->heredocs[i].expand &&
            df_scope_expand_heredoc(sc, in->heredocs[i].content, &out, &err) == 0)
            free(out);
        drop(&err);
    }
}

static void fuzz_stage(const struct df_file *f, const struct df_vars *g, size_t i)
{
    kiln_error_t *err = NULL;
    struct kiln_kv args[] = {{"HTTP_PROXY", "http://p"}, {"A", "1"}};
    char *env[] = {"HOME=/root"};
    struct df_scope sc;
    df_scope_init(&sc, g, args, 2, f->escape, env, 1, false);
    const struct df_stage *st = &f->stages[i];
    for (size_t k = 0; k < st->ninstrs; k++) {
        const struct df_instr *in = st->instrs[k];
        if (in->cmd == DF_ARG)
            df_scope_apply_arg(&sc, in, &err);
        else if (in->cmd == DF_ENV)
            df_scope_apply_env(&sc, in, &err);
        else
            fuzz_expand_instr(&sc, in);
        drop(&err);
    }
    size_t n;
    strv_free(df_scope_run_env(&sc, &n));
    free(df_scope_history_args(&sc));
    df_scope_release(&sc);
}

static void fuzz_file(const char *s, size_t n)
{
    struct df_file *f = NULL;
    kiln_error_t *err = NULL;
    if (df_parse("Dockerfile", s, n, &f, &err) < 0) {
        drop(&err);
        return;
    }
    struct df_platform p = {"linux", "amd64", NULL};
    struct df_vars g = {0};
    if (df_scope_global(f, &p, &p, NULL, NULL, 0, &g, &err) == 0) {
        char **bases = xcalloc(f->nstages + 1, sizeof(char *));
        for (size_t i = 0; i < f->nstages; i++) {
            if (df_vars_expand(&g, f->escape, f->stages[i].base, &bases[i], &err) < 0)
                drop(&err);
            fuzz_stage(f, &g, i);
        }
        struct df_plan_opts o = {.bases = bases,
                                 .target = f->stages[0].name ? f->stages[0].name : NULL};
        struct df_plan *plan = NULL;
        if (df_plan_build(f, &o, &plan, &err) == 0)
            df_plan_free(plan);
        for (size_t i = 0; i < f->nstages; i++)
            free(bases[i]);
        free(bases);
        df_vars_release(&g);
    }
    drop(&err);
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
