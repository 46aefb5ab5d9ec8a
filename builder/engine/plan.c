/* The frontend's plan for this build (plan.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "build.h"
#include "json.h"
#include "plan.h"
#include "util.h"

/* --build-arg K alone takes K from the environment, as the docker CLI does. */
static void resolve_args(struct build *b)
{
    const struct kiln_build_opts *o = b->o;
    struct build_plan *p = &b->plan;
    p->args = xcalloc(o->nbuild_args + 1, sizeof(*p->args));
    for (size_t i = 0; i < o->nbuild_args; i++) {
        const struct kiln_kv *kv = &o->build_args[i];
        const char *v = kv->value ? kv->value : getenv(kv->key);
        p->args[i] = (struct kiln_kv){xstrdup(kv->key), v ? xstrdup(v) : NULL};
    }
    p->nargs = o->nbuild_args;
    p->contexts = xcalloc(o->ncontexts + 1, sizeof(*p->contexts));
    for (size_t i = 0; i < o->ncontexts; i++)
        p->contexts[i] = xstrdup(o->contexts[i].name);
}

int plan_init(struct build *b, kiln_error_t **err)
{
    struct build_plan *p = &b->plan;
    resolve_args(b);
    cleanup_free char *epoch = xasprintf("%lld", (long long)b->epoch);
    struct df_global_opts g = {b->platform, b->platform, b->o->target, p->args, p->nargs, epoch};
    if (df_scope_global(b->input.df, &g, &p->global, err) < 0)
        return -1;
    p->opts = (struct df_plan_opts){.target = b->o->target,
                                    .global = &p->global,
                                    .contexts = p->contexts,
                                    .ncontexts = b->o->ncontexts};
    return df_plan_build(b->input.df, &p->opts, &p->p, err);
}

const char *plan_build_arg(struct build *b, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < b->plan.nargs; i++)
        if (b->plan.args[i].value && strcmp(b->plan.args[i].key, name) == 0)
            v = b->plan.args[i].value;
    return v;
}

const struct df_plan_dep *plan_dep(struct build *b, struct build_stage *st,
                                   const struct df_instr *in, const struct df_mount *m)
{
    return st->index < 0 ? NULL : df_plan_dep(b->plan.p, (size_t)st->index, in, m);
}

/* The config's OnBuild strings (borrowed from cfg), NULL-terminated. */
static int onbuild_strings(struct build *b, struct build_stage *st, json_t *ob, const char ***out,
                           kiln_error_t **err)
{
    size_t n = json_array_size(ob);
    *out = xcalloc(n + 1, sizeof(**out));
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = json_string_value(json_array_get(ob, i));
        if (!(*out)[i])
            return kiln_err(err, KILN_EINPUT, 0,
                            "%s:%d: the base image's config has an OnBuild trigger that is not a "
                            "string",
                            b->input.src.name, st->df->from->line);
    }
    return 0;
}

int plan_image_triggers(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    json_t *cfg = image_cfg(st->img);
    cleanup_json json_t *ob = json_incref(json_object_get(cfg, "OnBuild"));
    /* triggers are not inherited: a stage built on a stage runs that stage's own ONBUILDs,
     * which the plan holds already */
    json_object_del(cfg, "OnBuild");
    int rc = 0;
    if (st->index >= 0 && json_array_size(ob) && b->plan.p->stages[st->index].base < 0) {
        cleanup_free const char **trig = NULL;
        rc = onbuild_strings(b, st, ob, &trig, err);
        pthread_mutex_lock(&b->lock);
        if (rc == 0)
            rc =
                df_plan_add_image_triggers(b->input.df, b->plan.p, &b->plan.opts, (size_t)st->index,
                                           (char *const *)trig, json_array_size(ob), err);
        pthread_mutex_unlock(&b->lock);
    }
    return rc;
}

/* An ARG before the first FROM or in a stage the build dispatched declares name. */
static bool consumed(struct build *b, const char *name)
{
    const struct df_file *f = b->input.df;
    size_t len = strlen(name);
    for (size_t i = 0; i < f->nmeta_args; i++)
        for (size_t k = 0; k < f->meta_args[i]->nargs; k++) {
            const char *a = f->meta_args[i]->args[k];
            if (!strncmp(a, name, len) && (a[len] == '=' || !a[len]))
                return true;
        }
    for (size_t i = 0; i < b->sched.nstages; i++)
        if (b->sched.stages[i].state == STAGE_DONE &&
            df_vars_has(&b->sched.stages[i].scope.args, name))
            return true;
    return false;
}

void plan_warn_unused(struct build *b)
{
    cleanup_buf struct buf list = BUF_INIT(64 * 1024);
    for (size_t i = 0; i < b->plan.nargs; i++) {
        const char *k = b->plan.args[i].key;
        if (df_arg_predefined(k) != DF_ARG_NONE || consumed(b, k))
            continue;
        if (buf_addf(&list, NULL, "%s%s", list.len ? " " : "", k) < 0)
            break; /* a long list is cut: the warning names the first ones */
    }
    if (list.len)
        step_log(b, KILN_LOG_WARN, "one or more build-args [%s] were not consumed", buf_str(&list));
}

void plan_release(struct build_plan *p)
{
    for (size_t i = 0; i < p->nargs; i++) {
        free(p->args[i].key);
        free(p->args[i].value);
    }
    free(p->args);
    strv_free(p->contexts);
    df_vars_release(&p->global);
    df_plan_free(p->p);
}
