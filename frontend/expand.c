/* ARG/ENV scoping (expand.h). */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "expand.h"
#include "shell.h"
#include "util.h"
#include "vec.h"

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
static const char *const proxy_names[] = {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY",
                                          "ALL_PROXY"};
static const char *const platform_names[] = {"BUILDPLATFORM", "BUILDOS",         "BUILDOSVERSION",
                                             "BUILDARCH",     "BUILDVARIANT",    "TARGETPLATFORM",
                                             "TARGETOS",      "TARGETOSVERSION", "TARGETARCH",
                                             "TARGETVARIANT", "TARGETSTAGE"};

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

bool df_arg_is_proxy(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(proxy_names); i++)
        if (strcasecmp(name, proxy_names[i]) == 0)
            return true;
    return false;
}

bool df_arg_is_platform(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(platform_names); i++)
        if (strcmp(name, platform_names[i]) == 0)
            return true;
    return false;
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

static void platform_defaults(struct df_vars *g, const struct df_platform *build,
                              const struct df_platform *target, const char *stage)
{
    cleanup_free char *bp = platform_string(build);
    cleanup_free char *tp = platform_string(target);
    const char *values[] = {
        bp,   build->os,  "", build->arch,  build->variant ? build->variant : "",
        tp,   target->os, "", target->arch, target->variant ? target->variant : "",
        stage};
    for (size_t i = 0; i < ARRAY_SIZE(platform_names); i++)
        df_vars_set(g, platform_names[i], values[i]);
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

int df_scope_global(const struct df_file *f, const struct df_platform *build,
                    const struct df_platform *target, const char *target_stage,
                    const struct kiln_kv *build_args, size_t nbuild_args, struct df_vars *out,
                    kiln_error_t **err)
{
    struct df_vars g = {0};
    const char *stage = target_stage;
    if (!stage || !*stage)
        stage = f->nstages && f->stages[f->nstages - 1].name ? f->stages[f->nstages - 1].name
                                                             : "default";
    platform_defaults(&g, build, target, stage);
    for (size_t i = 0; i < g.n; i++) {
        const char *ov = build_arg(build_args, nbuild_args, g.v[i].key);
        if (ov)
            df_vars_set(&g, g.v[i].key, ov);
    }
    for (size_t i = 0; i < f->nmeta_args; i++) {
        if (meta_arg(f, f->meta_args[i], &g, build_args, nbuild_args, err) < 0) {
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
        df_vars_set(&s->image_env, "PATH", default_path);
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

int df_scope_expand(const struct df_scope *s, const char *word, char **out, kiln_error_t **err)
{
    return df_vars_expand(&s->env, s->escape, word, out, err);
}

int df_scope_expand_words(const struct df_scope *s, const char *word, char ***out, size_t *n,
                          kiln_error_t **err)
{
    return shell_expand_words(word, s->escape, df_vars_lookup, (void *)&s->env, out, n, err);
}

int df_scope_expander(void *ctx, const char *word, char **out, kiln_error_t **err)
{
    return df_scope_expand(ctx, word, out, err);
}

int df_scope_expand_heredoc(const struct df_scope *s, const char *body, char **out,
                            kiln_error_t **err)
{
    return shell_expand_heredoc(body, df_vars_lookup, (void *)&s->env, out, err);
}

static bool env_excluded(const char *key)
{
    return strcmp(key, "BUILDKIT_SBOM_SCAN_CONTEXT") == 0 ||
           strcmp(key, "BUILDKIT_SBOM_SCAN_STAGE") == 0;
}

int df_scope_apply_arg(struct df_scope *s, const struct df_instr *arg, kiln_error_t **err)
{
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
        if (value && !env_excluded(key))
            df_vars_set(&s->env, key, value);
        df_vars_set(&s->args, key, value);
    }
    return 0;
}

int df_scope_apply_env(struct df_scope *s, const struct df_instr *env, kiln_error_t **err)
{
    for (size_t i = 0; i + 1 < env->nargs; i += 2) {
        cleanup_free char *k = NULL;
        cleanup_free char *v = NULL;
        if (df_scope_expand(s, env->args[i], &k, err) < 0 ||
            df_scope_expand(s, env->args[i + 1], &v, err) < 0)
            return -1;
        df_vars_set(&s->env, k, v);
        df_vars_set(&s->image_env, k, v);
    }
    return 0;
}

/* The value BuildKit's ProxyEnv would carry for proxy name p (upper case): the build arg
 * whose key matches in any case, the last in sorted key order. */
static const char *proxy_value(const struct df_scope *s, const char *p)
{
    const char *best_key = NULL, *v = NULL;
    for (size_t i = 0; i < s->nbuild_args; i++) {
        const struct kiln_kv *a = &s->build_args[i];
        if (a->value && strcasecmp(a->key, p) == 0 && (!best_key || strcmp(a->key, best_key) >= 0))
            best_key = a->key, v = a->value;
    }
    return v;
}

char **df_scope_run_env(const struct df_scope *s, size_t *n)
{
    char **out = df_vars_environ(&s->env, n);
    for (size_t i = 0; i < ARRAY_SIZE(proxy_names); i++) {
        const char *v = proxy_value(s, proxy_names[i]);
        if (!v || !*v)
            continue;
        cleanup_free char *lower = xstrdup(proxy_names[i]);
        str_lower(lower);
        const char *names[] = {proxy_names[i], lower};
        for (size_t k = 0; k < 2; k++)
            if (!df_vars_get(&s->env, names[k]))
                strv_add(&out, n, xasprintf("%s=%s", names[k], v));
    }
    return out;
}

char *df_scope_history_args(const struct df_scope *s)
{
    if (s->args.n == 0)
        return xstrdup("");
    const char **vals = xcalloc(s->args.n, sizeof(*vals));
    size_t n = 2 + 3 * sizeof(size_t); /* "|" and the count, in decimal */
    for (size_t i = 0; i < s->args.n; i++) {
        const struct df_var *a = &s->args.v[i];
        const char *v = df_vars_get(&s->env, a->key);
        vals[i] = v ? v : a->value ? a->value : "";
        n += 2 + strlen(a->key) + strlen(vals[i]); /* " k=v" */
    }
    char *out = xmalloc(n + 1); /* the exact size: nothing to cut */
    size_t o = (size_t)snprintf(out, n + 1, "|%zu", s->args.n);
    for (size_t i = 0; i < s->args.n; i++)
        o += (size_t)snprintf(out + o, n + 1 - o, " %s=%s", s->args.v[i].key, vals[i]);
    free(vals);
    return out;
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
