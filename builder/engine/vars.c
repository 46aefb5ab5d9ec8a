/* Variables: the global ARGs before the first FROM, ARGs declared in a stage, and ENV.
 * Lookup in a stage: ENV first (ENV overrides ARG), then the stage's ARGs. FROM sees only the
 * global ARGs and the predefined platform ARGs. */
#include <string.h>

#include "build.h"
#include "shell.h"
#include "util.h"

struct lookup_ctx {
    struct build *b;
    struct build_stage *st;
};

static const char *kv_get(const struct kiln_kv *kv, size_t n, const char *name)
{
    for (size_t i = n; i-- > 0;)
        if (!strcmp(kv[i].key, name))
            return kv[i].value;
    return NULL;
}

static void kv_set(struct kiln_kv **kv, size_t *n, const char *key, const char *value)
{
    for (size_t i = 0; i < *n; i++) {
        if (!strcmp((*kv)[i].key, key)) {
            free((*kv)[i].value);
            (*kv)[i].value = value ? xstrdup(value) : NULL;
            return;
        }
    }
    *kv = xrealloc(*kv, (*n + 1) * sizeof(**kv));
    (*kv)[(*n)++] = (struct kiln_kv){xstrdup(key), value ? xstrdup(value) : NULL};
}

static const char *lookup(void *ctx, const char *name)
{
    struct lookup_ctx *l = ctx;
    if (!l->st)
        return kv_get(l->b->meta, l->b->nmeta, name);
    const char *v = image_env_get(l->st->img, name);
    return v ? v : vars_stage_arg(l->st, name);
}

const char *vars_stage_arg(struct build_stage *st, const char *name)
{
    return kv_get(st->args, st->nargs, name);
}

int vars_expand(struct build *b, struct build_stage *st, const char *word, char **out,
                kiln_error_t **err)
{
    struct lookup_ctx l = {b, st};
    return shell_expand_word(word, b->df->escape, lookup, &l, out, err);
}

int vars_expand_heredoc(struct build *b, struct build_stage *st, const char *body, char **out,
                        kiln_error_t **err)
{
    struct lookup_ctx l = {b, st};
    return shell_expand_heredoc(body, lookup, &l, out, err);
}

int vars_expand_words(struct build *b, struct build_stage *st, const char *line, char ***out,
                      size_t *n, kiln_error_t **err)
{
    struct lookup_ctx l = {b, st};
    return shell_expand_words(line, b->df->escape, lookup, &l, out, n, err);
}

const char *vars_build_arg(struct build *b, const char *name, bool *given)
{
    for (size_t i = b->o->nbuild_args; i-- > 0;) {
        const struct kiln_kv *kv = &b->o->build_args[i];
        if (strcmp(kv->key, name) != 0)
            continue;
        pthread_mutex_lock(&b->lock);
        b->arg_used[i] = true;
        pthread_mutex_unlock(&b->lock);
        const char *v = kv->value ? kv->value : getenv(name);
        *given = v != NULL;
        return v;
    }
    *given = false;
    return NULL;
}

int vars_declare_arg(struct build *b, struct build_stage *st, const char *name, const char *value)
{
    bool given;
    const char *v = vars_build_arg(b, name, &given);
    if (!given)
        v = value ? value : kv_get(b->meta, b->nmeta, name);
    kv_set(&st->args, &st->nargs, name, v);
    return 0;
}

static void predefined(struct build *b)
{
    cleanup_free char *plat =
        xasprintf("%s/%s%s%s", b->os, b->arch, *b->variant ? "/" : "", b->variant);
    const char *const kv[][2] = {
        {"TARGETPLATFORM", plat},      {"TARGETOS", b->os},          {"TARGETARCH", b->arch},
        {"TARGETVARIANT", b->variant}, {"BUILDPLATFORM", plat},      {"BUILDOS", b->os},
        {"BUILDARCH", b->arch},        {"BUILDVARIANT", b->variant},
    };
    for (size_t i = 0; i < ARRAY_SIZE(kv); i++)
        kv_set(&b->meta, &b->nmeta, kv[i][0], kv[i][1]);
    /* BuildKit's predefined SOURCE_DATE_EPOCH: a stage gets it with ARG SOURCE_DATE_EPOCH */
    cleanup_free char *epoch = xasprintf("%lld", (long long)b->epoch);
    kv_set(&b->meta, &b->nmeta, "SOURCE_DATE_EPOCH", epoch);
}

/* Splits "NAME=default" (raw); *value NULL for a bare NAME. */
static int split_arg(struct build *b, const struct df_instr *in, const char *raw, char **name,
                     char **value, kiln_error_t **err)
{
    const char *eq = strchr(raw, '=');
    *name = eq ? xstrndup(raw, (size_t)(eq - raw)) : xstrdup(raw);
    *value = NULL;
    if (!**name)
        return instr_err(b, in, err, KILN_EINPUT, "ARG names can not be blank");
    return 0;
}

int vars_init_meta(struct build *b, kiln_error_t **err)
{
    predefined(b);
    for (size_t i = 0; i < b->df->nmeta_args; i++) {
        const struct df_instr *in = b->df->meta_args[i];
        for (size_t k = 0; k < in->nargs; k++) {
            cleanup_free char *name = NULL, *def = NULL;
            if (split_arg(b, in, in->args[k], &name, &def, err) < 0)
                return -1;
            const char *eq = strchr(in->args[k], '=');
            if (eq && vars_expand(b, NULL, eq + 1, &def, err) < 0)
                return instr_wrap(b, in, err);
            bool given;
            const char *v = vars_build_arg(b, name, &given);
            if (!given && !def && kv_get(b->meta, b->nmeta, name))
                continue; /* a bare ARG keeps a predefined value (TARGETARCH...) */
            kv_set(&b->meta, &b->nmeta, name, given ? v : def);
        }
    }
    return 0;
}

/* Exposed for dispatch.c: ARG inside a stage. */
int vars_dispatch_arg(struct build *b, struct build_stage *st, const struct df_instr *in,
                      char **history, kiln_error_t **err);
int vars_dispatch_arg(struct build *b, struct build_stage *st, const struct df_instr *in,
                      char **history, kiln_error_t **err)
{
    cleanup_free char *hist = xstrdup("ARG");
    for (size_t k = 0; k < in->nargs; k++) {
        cleanup_free char *name = NULL, *def = NULL;
        if (split_arg(b, in, in->args[k], &name, &def, err) < 0)
            return -1;
        const char *eq = strchr(in->args[k], '=');
        if (eq && vars_expand(b, st, eq + 1, &def, err) < 0)
            return instr_wrap(b, in, err);
        vars_declare_arg(b, st, name, def);
        char *h = def ? xasprintf("%s %s=%s", hist, name, def) : xasprintf("%s %s", hist, name);
        free(hist);
        hist = h;
    }
    *history = steal_ptr(hist);
    return 0;
}
