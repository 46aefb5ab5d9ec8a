/* ARG/ENV scoping (expand.h). */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "expand.h"
#include "shell.h"
#include "util.h"
#include "vec.h"

static size_t key_hash(const char *key)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ull;
    return h;
}

/* The index slot of key: where it is, or the empty slot where it would go. */
static size_t *index_slot(const struct df_vars *vars, const char *key)
{
    size_t mask = vars->nindex - 1;
    for (size_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
        size_t *slot = &vars->index[i];
        if (*slot == 0 || strcmp(vars->v[*slot - 1].key, key) == 0)
            return slot;
    }
}

/* Keeps the index at most half full (positions are stored plus one; 0 is empty). */
static void index_grow(struct df_vars *vars)
{
    if (vars->index && 2 * (vars->n + 1) <= vars->nindex)
        return;
    free(vars->index);
    vars->nindex = 16;
    while (vars->nindex < 4 * (vars->n + 1))
        vars->nindex *= 2;
    vars->index = xcalloc(vars->nindex, sizeof(size_t));
    for (size_t i = 0; i < vars->n; i++)
        *index_slot(vars, vars->v[i].key) = i + 1;
}

static struct df_var *vars_find(const struct df_vars *vars, const char *key)
{
    if (!vars->index) {
        for (size_t i = 0; i < vars->n; i++)
            if (strcmp(vars->v[i].key, key) == 0)
                return &vars->v[i];
        return NULL;
    }
    size_t pos = *index_slot(vars, key);
    return pos ? &vars->v[pos - 1] : NULL;
}

void df_vars_set(struct df_vars *vars, const char *key, const char *value)
{
    struct df_var *v = vars_find(vars, key);
    if (!v) {
        index_grow(vars);
        vec_reserve(&vars->v, vars->n, sizeof(*vars->v));
        v = &vars->v[vars->n++];
        v->key = xstrdup(key);
        *index_slot(vars, key) = vars->n;
    } else {
        free(v->value);
    }
    v->value = value ? xstrdup(value) : NULL;
}

const char *df_vars_get(const struct df_vars *vars, const char *key)
{
    const struct df_var *v = vars_find(vars, key);
    return v ? v->value : NULL;
}

bool df_vars_has(const struct df_vars *vars, const char *key)
{
    return vars_find(vars, key) != NULL;
}

void df_vars_copy(struct df_vars *dst, const struct df_vars *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->n; i++)
        df_vars_set(dst, src->v[i].key, src->v[i].value);
}

void df_vars_release(struct df_vars *vars)
{
    for (size_t i = 0; i < vars->n; i++) {
        free(vars->v[i].key);
        free(vars->v[i].value);
    }
    free(vars->v);
    free(vars->index);
    memset(vars, 0, sizeof(*vars));
}

const char *df_vars_lookup(void *ctx, const char *name)
{
    return df_vars_get(ctx, name);
}

char **df_vars_environ(const struct df_vars *vars, size_t *n)
{
    char **out = NULL;
    *n = 0;
    for (size_t i = 0; i < vars->n; i++)
        if (vars->v[i].value)
            strv_add(&out, n, xasprintf("%s=%s", vars->v[i].key, vars->v[i].value));
    return out ? out : xcalloc(1, sizeof(char *));
}

int df_vars_expand(const struct df_vars *vars, char escape, const char *word, char **out,
                   kiln_error_t **err)
{
    return shell_expand_word(word, escape, df_vars_lookup, (void *)vars, out, err);
}

/* The last build arg named key with a value, or NULL. */
static const char *build_arg(const struct kiln_kv *args, size_t n, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (args[i].value && strcmp(args[i].key, key) == 0)
            v = args[i].value;
    return v;
}

static char *platform_string(const struct df_platform *p)
{
    if (p->variant && *p->variant)
        return xasprintf("%s/%s/%s", p->os, p->arch, p->variant);
    return xasprintf("%s/%s", p->os, p->arch);
}

/* The predefined ARGs of the global scope, in args.h's order: the platform, then the epoch. */
static void predefined(struct df_vars *g, const struct df_global_opts *o, const char *stage)
{
    cleanup_free char *bp = platform_string(&o->build);
    cleanup_free char *tp = platform_string(&o->target);
    const struct df_platform *b = &o->build, *t = &o->target;
    const char *values[] = {bp,   b->os, "", b->arch, b->variant ? b->variant : "",
                            tp,   t->os, "", t->arch, t->variant ? t->variant : "",
                            stage};
    const char *const *names = df_arg_names(DF_ARG_PLATFORM);
    for (size_t i = 0; names[i] && i < ARRAY_SIZE(values); i++)
        df_vars_set(g, names[i], values[i]);
    if (o->source_date_epoch)
        df_vars_set(g, df_arg_names(DF_ARG_EPOCH)[0], o->source_date_epoch);
}

/* One "name[=default]" word of an ARG: the key and the default (NULL when none). */
static char *arg_split(const char *word, const char **def)
{
    const char *eq = strchr(word, '=');
    *def = eq ? eq + 1 : NULL;
    return eq ? xstrndup(word, (size_t)(eq - word)) : xstrdup(word);
}

static int meta_arg(const struct df_file *f, const struct df_instr *in, struct df_vars *g,
                    const struct kiln_kv *args, size_t nargs, kiln_error_t **err)
{
    for (size_t i = 0; i < in->nargs; i++) {
        const char *def;
        cleanup_free char *key = arg_split(in->args[i], &def);
        cleanup_free char *value = NULL;
        const char *given = build_arg(args, nargs, key);
        if (given)
            value = xstrdup(given);
        else if (def && df_vars_expand(g, f->escape, def, &value, err) < 0)
            return kiln_err_wrap(err, "%s:%d", f->name ? f->name : "Dockerfile", in->line);
        if (value)
            df_vars_set(g, key, value);
    }
    return 0;
}

int df_scope_global(const struct df_file *f, const struct df_global_opts *o, struct df_vars *out,
                    kiln_error_t **err)
{
    struct df_vars g = {0};
    const char *stage = o->target_stage;
    if (!stage || !*stage)
        stage = f->nstages && f->stages[f->nstages - 1].name ? f->stages[f->nstages - 1].name
                                                             : "default";
    predefined(&g, o, stage);
    for (size_t i = 0; i < g.n; i++) {
        const char *ov = build_arg(o->build_args, o->nbuild_args, g.v[i].key);
        if (ov)
            df_vars_set(&g, g.v[i].key, ov);
    }
    for (size_t i = 0; i < f->nmeta_args; i++) {
        if (meta_arg(f, f->meta_args[i], &g, o->build_args, o->nbuild_args, err) < 0) {
            df_vars_release(&g);
            return -1;
        }
    }
    *out = g;
    return 0;
}

void df_scope_init(struct df_scope *s, const struct df_vars *global,
                   const struct kiln_kv *build_args, size_t nbuild_args, char escape,
                   char *const *image_env, size_t nimage_env, bool windows)
{
    memset(s, 0, sizeof(*s));
    s->global = global;
    s->build_args = build_args;
    s->nbuild_args = nbuild_args;
    s->escape = escape;
    for (size_t i = 0; i < nimage_env; i++) {
        const char *eq = strchr(image_env[i], '=');
        cleanup_free char *k =
            eq ? xstrndup(image_env[i], (size_t)(eq - image_env[i])) : xstrdup(image_env[i]);
        df_vars_set(&s->image_env, k, eq ? eq + 1 : "");
    }
    if (!windows && !df_vars_get(&s->image_env, "PATH"))
        df_vars_set(&s->image_env, "PATH", DF_DEFAULT_PATH);
    df_vars_copy(&s->env, &s->image_env);
}

void df_scope_clone(struct df_scope *dst, const struct df_scope *parent)
{
    *dst = *parent;
    df_vars_copy(&dst->env, &parent->env);
    df_vars_copy(&dst->image_env, &parent->image_env);
    df_vars_copy(&dst->args, &parent->args);
}

void df_scope_release(struct df_scope *s)
{
    df_vars_release(&s->env);
    df_vars_release(&s->image_env);
    df_vars_release(&s->args);
}

/* The scope's lookup: the step environment, and the observer told. */
static const char *scope_lookup(void *ctx, const char *name)
{
    const struct df_scope *s = ctx;
    const char *v = df_vars_get(&s->env, name);
    if (s->observe)
        s->observe(s->observe_ctx, name, v != NULL);
    return v;
}

int df_scope_expand(const struct df_scope *s, const char *word, char **out, kiln_error_t **err)
{
    return shell_expand_word(word, s->escape, scope_lookup, (void *)s, out, err);
}

int df_scope_expand_words(const struct df_scope *s, const char *word, char ***out, size_t *n,
                          kiln_error_t **err)
{
    return shell_expand_words(word, s->escape, scope_lookup, (void *)s, out, n, err);
}

int df_scope_expander(void *ctx, const char *word, char **out, kiln_error_t **err)
{
    return df_scope_expand(ctx, word, out, err);
}

int df_scope_expand_heredoc(const struct df_scope *s, const char *body, char **out,
                            kiln_error_t **err)
{
    return shell_expand_heredoc(body, scope_lookup, (void *)s, out, err);
}

int df_scope_apply_arg(struct df_scope *s, const struct df_instr *arg, char **history,
                       kiln_error_t **err)
{
    cleanup_buf struct buf h = BUF_INIT(DF_MAX_HISTORY);
    if (buf_addstr(&h, "ARG", err) < 0)
        return -1;
    for (size_t i = 0; i < arg->nargs; i++) {
        const char *def;
        cleanup_free char *key = arg_split(arg->args[i], &def);
        cleanup_free char *value = NULL;
        const char *given = build_arg(s->build_args, s->nbuild_args, key);
        const char *global = s->global ? df_vars_get(s->global, key) : NULL;
        if (given)
            value = xstrdup(given);
        else if (def && df_scope_expand(s, def, &value, err) < 0)
            return -1;
        else if (!def && global)
            value = xstrdup(global);
        if (value && df_arg_in_env(key))
            df_vars_set(&s->env, key, value);
        df_vars_set(&s->args, key, value);
        /* BuildKit's commit string: the name, with "=value" when it has one */
        if (history && buf_addf(&h, err, value ? " %s=%s" : " %s", key, value) < 0)
            return -1;
    }
    if (history)
        *history = buf_detach(&h);
    return 0;
}

/* Every word of the instruction, expanded before any is set (BuildKit's Expand). */
static int env_words(struct df_scope *s, const struct df_instr *env, char ***kv, size_t *n,
                     kiln_error_t **err)
{
    *kv = xcalloc(env->nargs + 1, sizeof(char *));
    *n = 0;
    for (size_t i = 0; i + 1 < env->nargs; i += 2) {
        if (df_scope_expand(s, env->args[i], &(*kv)[i], err) < 0 ||
            df_scope_expand(s, env->args[i + 1], &(*kv)[i + 1], err) < 0)
            return -1;
        *n = i + 2;
        if (!*(*kv)[i])
            return kiln_err(err, KILN_EINPUT, 0, "ENV names can not be blank");
    }
    return 0;
}

int df_scope_apply_env(struct df_scope *s, const struct df_instr *env, char ***pairs,
                       size_t *npairs, kiln_error_t **err)
{
    char **kv = NULL;
    size_t n = 0;
    int rc = env_words(s, env, &kv, &n, err);
    for (size_t i = 0; rc == 0 && i + 1 < n; i += 2) {
        df_vars_set(&s->env, kv[i], kv[i + 1]);
        df_vars_set(&s->image_env, kv[i], kv[i + 1]);
    }
    if (rc == 0 && pairs) {
        *pairs = kv;
        *npairs = n;
        return 0;
    }
    for (size_t i = 0; i < env->nargs; i++)
        free(kv[i]);
    free(kv);
    return rc;
}

char **df_scope_env(const struct df_scope *s, size_t *n)
{
    return df_vars_environ(&s->env, n);
}

static bool env_has(void *ctx, const char *name)
{
    return df_vars_get(ctx, name) != NULL;
}

char **df_scope_proxy_env(const struct df_scope *s, size_t *n)
{
    char **out = NULL;
    *n = 0;
    df_proxy_env(s->build_args, s->nbuild_args, env_has, (void *)&s->env, &out, n);
    return out ? out : xcalloc(1, sizeof(char *));
}

char **df_scope_run_env(const struct df_scope *s, size_t *n)
{
    char **out = df_vars_environ(&s->env, n);
    size_t np;
    char **proxy = df_scope_proxy_env(s, &np);
    for (size_t i = 0; i < np; i++)
        strv_add(&out, n, proxy[i]);
    free(proxy);
    return out;
}

int df_scope_history_args(const struct df_scope *s, char **out, kiln_error_t **err)
{
    cleanup_buf struct buf b = BUF_INIT(DF_MAX_HISTORY);
    if (s->args.n && buf_addf(&b, err, "|%zu", s->args.n) < 0)
        return -1;
    for (size_t i = 0; i < s->args.n; i++) {
        const struct df_var *a = &s->args.v[i];
        const char *v = df_vars_get(&s->env, a->key);
        if (buf_addf(&b, err, " %s=%s", a->key, v ? v : a->value ? a->value : "") < 0)
            return -1;
    }
    *out = buf_detach(&b);
    return 0;
}

unsigned df_expands(enum df_cmd cmd)
{
    switch (cmd) {
    case DF_FROM:
        return DF_EXPAND_ARGS | DF_EXPAND_FLAGS | DF_EXPAND_GLOBAL;
    case DF_ADD:
    case DF_COPY:
        return DF_EXPAND_ARGS | DF_EXPAND_FLAGS | DF_EXPAND_HEREDOCS;
    case DF_ENV:
    case DF_LABEL:
    case DF_STOPSIGNAL:
    case DF_USER:
    case DF_VOLUME:
    case DF_WORKDIR:
        return DF_EXPAND_ARGS;
    case DF_ARG:
        return DF_EXPAND_DEFAULTS;
    case DF_EXPOSE:
        return DF_EXPAND_WORDS;
    case DF_RUN:
        return DF_EXPAND_MOUNTS;
    default:
        return 0;
    }
}

bool df_expands_flag(enum df_cmd cmd, const char *flag)
{
    switch (cmd) {
    case DF_FROM:
        return strcmp(flag, "platform") == 0;
    case DF_ADD:
        return !strcmp(flag, "chown") || !strcmp(flag, "chmod") || !strcmp(flag, "checksum");
    case DF_COPY:
        return !strcmp(flag, "chown") || !strcmp(flag, "chmod");
    case DF_RUN:
        return strcmp(flag, "mount") == 0;
    default:
        return false;
    }
}
