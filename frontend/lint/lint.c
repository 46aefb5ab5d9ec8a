/* lint_run() and the result (lint.h): configuration as BuildKit's linter.Linter, findings
 * kept sorted and deduplicated. */
#include <string.h>

#include "frontend/lint/lint_internal.h"
#include "util.h"

static bool listed(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], name) == 0)
            return true;
    return false;
}

/* linter.Run: an experimental rule runs only when enabled; any other unless skipped. */
static bool enabled(const struct df_check *g, const struct df_check *l,
                    const struct lint_rule *rule)
{
    if (rule->experimental)
        return g->experimental_all || listed(g->experimental, g->nexperimental, rule->name) ||
               (l &&
                (l->experimental_all || listed(l->experimental, l->nexperimental, rule->name)));
    if (g->skip_all || listed(g->skip, g->nskip, rule->name))
        return false;
    return !(l && (l->skip_all || listed(l->skip, l->nskip, rule->name)));
}

bool lint_result_enabled(const struct lint_result *r, enum lint_rule_id id)
{
    return enabled(&r->config, NULL, lint_rule(id));
}

static int finding_cmp(const struct lint_finding *a, const struct lint_finding *b)
{
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->rule->id != b->rule->id)
        return a->rule->id < b->rule->id ? -1 : 1;
    return strcmp(a->message, b->message);
}

/* Inserts in order; an identical finding (same rule, line and message) is kept once. */
static void insert(struct lint_result *r, struct lint_finding *nf)
{
    size_t pos = r->n;
    while (pos > 0 && finding_cmp(&r->v[pos - 1], nf) > 0)
        pos--;
    if ((pos > 0 && finding_cmp(&r->v[pos - 1], nf) == 0) || r->n >= LINT_MAX_FINDINGS) {
        r->dropped += r->n >= LINT_MAX_FINDINGS;
        free(nf->message);
        free(nf->fix);
        return;
    }
    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    memmove(&r->v[pos + 1], &r->v[pos], (r->n - pos) * sizeof(*r->v));
    r->v[pos] = *nf;
    r->n++;
}

static void add_owned(struct lint_result *r, enum lint_rule_id id, int line, int end_line,
                      char *msg, char *fix)
{
    const struct lint_rule *rule = lint_rule(id);
    enum lint_level level = rule->level;
    /* error=true (the directive or BUILDKIT_DOCKERFILE_CHECK) is BuildKit's: it makes BuildKit's
     * checks errors, so a Dockerfile that builds under BuildKit with it builds under kiln too;
     * kiln's own rules become errors with --strict only */
    if ((r->config.error && rule->buildkit) || r->strict)
        level = LINT_ERROR;
    struct lint_finding nf = {rule, level, line, end_line < line ? line : end_line, msg, fix};
    insert(r, &nf);
}

int lint_result_add(struct lint_result *r, enum lint_rule_id id, int line, int end_line,
                    const char *msg, const char *fix)
{
    if (!lint_result_enabled(r, id))
        return 1;
    add_owned(r, id, line, end_line, xstrdup(msg), fix ? xstrdup(fix) : NULL);
    return 0;
}

bool lint_enabled(struct lint_ctx *c, const struct df_instr *in, enum lint_rule_id id)
{
    struct df_check local = {0};
    bool has = in && df_check_from_comments(in->comments, in->ncomments, &local) == 1;
    bool on = enabled(&c->r->config, has ? &local : NULL, lint_rule(id));
    df_check_release(&local);
    return on;
}

void lint_emit_at(struct lint_ctx *c, const struct df_instr *in, enum lint_rule_id id, int line,
                  int end_line, char *msg, char *fix)
{
    if (!lint_enabled(c, in, id)) {
        free(msg);
        free(fix);
        return;
    }
    add_owned(c->r, id, line, end_line, msg, fix);
}

void lint_emit(struct lint_ctx *c, const struct df_instr *in, enum lint_rule_id id, char *msg,
               char *fix)
{
    lint_emit_at(c, in, id, in ? in->line : 0, in ? in->end_line : 0, msg, fix);
}

size_t lint_result_errors(const struct lint_result *r)
{
    size_t n = r->build_error != NULL;
    for (size_t i = 0; i < r->n; i++)
        n += r->v[i].level == LINT_ERROR;
    return n;
}

void lint_result_release(struct lint_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].message);
        free(r->v[i].fix);
    }
    free(r->v);
    free(r->build_error);
    df_check_release(&r->config);
    memset(r, 0, sizeof(*r));
}

static const char *build_arg(const struct lint_opts *o, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < o->nbuild_args; i++)
        if (strcmp(o->build_args[i].key, name) == 0 && o->build_args[i].value)
            v = o->build_args[i].value; /* the last one wins */
    return v;
}

int lint_result_init(const struct df_file *f, const struct lint_opts *o, struct lint_result *out,
                     kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    const char *arg = build_arg(o, LINT_BUILD_ARG_NAME);
    if (arg && df_check_parse(arg, &out->config, err) < 0)
        return kiln_err_wrap(err, "failed to parse build-arg:%s", LINT_BUILD_ARG_NAME);
    if (!arg && f && f->check && df_check_parse(f->check, &out->config, err) < 0)
        return kiln_err_wrap(err, "failed to parse check options");
    out->strict = o->strict;
    return 0;
}

/* The platform of opts as os/arch/variant (borrowed into buf). */
static struct df_platform platform(const struct lint_opts *o, char *buf, size_t size)
{
    snprintf(buf, size, "%s", o->target_platform ? o->target_platform : "linux/amd64");
    struct df_platform p = {buf, "amd64", ""};
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = '\0';
        p.arch = slash + 1;
        char *v = strchr(slash + 1, '/');
        if (v) {
            *v = '\0';
            p.variant = v + 1;
        }
    }
    return p;
}

/* The stage graph a build of the target would use; a Dockerfile that cannot be planned gets
 * its error in the result (BuildKit's lint: the build error with the findings so far). */
static void plan(struct lint_ctx *c)
{
    struct df_plan_opts po = {.target = c->o->target,
                              .global = &c->global,
                              .contexts = c->o->contexts,
                              .ncontexts = c->o->ncontexts};
    cleanup_error kiln_error_t *e = NULL;
    if (df_plan_build(c->f, &po, &c->plan, &e) < 0)
        c->r->build_error = xstrdup(e->msg);
}

static int global_scopes(struct lint_ctx *c, kiln_error_t **err)
{
    char buf[128];
    struct df_platform p = platform(c->o, buf, sizeof(buf));
    struct df_global_opts g = {p, p, c->o->target, c->o->build_args, c->o->nbuild_args, NULL};
    struct df_global_opts defaults = {p, p, c->o->target, NULL, 0, NULL};
    if (df_scope_global(c->f, &g, &c->global, err) < 0 ||
        df_scope_global(c->f, &defaults, &c->global_defaults, err) < 0)
        return -1;
    for (size_t i = 0; i < c->f->nmeta_args; i++) {
        const struct df_instr *a = c->f->meta_args[i];
        for (size_t k = 0; k < a->nargs; k++) {
            cleanup_free char *name = xstrndup(a->args[k], strcspn(a->args[k], "="));
            lint_names_add(&c->meta_names, name);
        }
    }
    return 0;
}

static void ctx_release(struct lint_ctx *c)
{
    for (size_t i = 0; c->stages && i < c->f->nstages; i++) {
        struct lint_stage *s = &c->stages[i];
        df_scope_release(&s->scope);
        free(s->user_value);
    }
    free(c->stages);
    df_plan_free(c->plan);
    df_vars_release(&c->global);
    df_vars_release(&c->global_defaults);
    lint_names_release(&c->meta_names);
}

/* Whether in is an ARG that declares name ("NAME" or "NAME=default"). */
static bool arg_declares(const struct df_instr *in, const char *name)
{
    size_t len = strlen(name);
    for (size_t a = 0; in->cmd == DF_ARG && a < in->nargs; a++)
        if (strncmp(in->args[a], name, len) == 0 &&
            (in->args[a][len] == '=' || in->args[a][len] == '\0'))
            return true;
    return false;
}

/* SecretValueInArgOrEnv on --build-arg values: reported at the ARG that declares the name, or
 * without a line when none does. */
static void build_arg_secrets(struct lint_ctx *c)
{
    for (size_t i = 0; i < c->o->nbuild_args; i++) {
        const struct kiln_kv *kv = &c->o->build_args[i];
        const char *kind;
        char *masked;
        if (!kv->value || lint_secret_token(kv->value, &kind, &masked) != 1)
            continue;
        const struct df_instr *decl = NULL;
        for (size_t k = 0; k < c->f->ninstrs && !decl; k++)
            if (arg_declares(&c->f->instrs[k], kv->key))
                decl = &c->f->instrs[k];
        char *msg =
            xasprintf("Build argument \"%s\" holds what looks like %s (%s)", kv->key, kind, masked);
        free(masked);
        lint_emit(c, decl, LINT_SECRET_VALUE_IN_ARG_OR_ENV, msg, NULL);
    }
}

int lint_run(const struct df_file *f, const struct lint_opts *opts, struct lint_result *out,
             kiln_error_t **err)
{
    if (lint_result_init(f, opts, out, err) < 0)
        return -1;
    struct lint_ctx c = {.f = f, .o = opts, .r = out};
    if (global_scopes(&c, err) < 0) {
        ctx_release(&c);
        lint_result_release(out);
        return -1;
    }
    c.stages = xcalloc(f->nstages + 1, sizeof(*c.stages));
    plan(&c);
    lint_parse_checks(&c);
    for (size_t i = 0; i < f->nstages; i++) {
        lint_from_checks(&c, i);
        if (c.plan)
            lint_dispatch_stage(&c, i);
    }
    if (c.plan)
        lint_dispatch_final_user(&c);
    build_arg_secrets(&c);
    ctx_release(&c);
    return 0;
}
