/* The stage graph and build plan (stages.h): BuildKit's buildDispatchStates,
 * resolveTarget, buildStageDependencyGraph, validateCircularDependency, resolveStages and
 * the dispatch-order checks. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"
#include "stages.h"
#include "suggest.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

struct planner {
    const struct df_file *f;
    const struct df_plan_opts *o;
    struct df_plan *p;
    size_t nstates; /* stages, then one per external reference (BuildKit's dispatch states) */
    bool *triggered;
    kiln_error_t **err;
};

static const char *fname(const struct df_file *f)
{
    return f->name ? f->name : "Dockerfile";
}

int df_stage_find(const struct df_file *f, const char *name)
{
    cleanup_free char *lower = unicode_lower(name);
    int found = -1;
    for (size_t i = 0; i < f->nstages; i++)
        if (f->stages[i].name && strcmp(f->stages[i].name, lower) == 0)
            found = (int)i;
    return found;
}

static void plan_stage_release(struct df_plan_stage *s)
{
    free(s->base_name);
    free(s->platform);
    free(s->display_name);
    df_instrs_free(s->triggers, s->ntriggers);
    for (size_t i = 0; i < s->ndeps; i++)
        free(s->deps[i].external);
    free(s->deps);
}

void df_plan_free(struct df_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nstages; i++)
        plan_stage_release(&p->stages[i]);
    free(p->stages);
    free(p->order);
    strv_free(p->externals);
    free(p);
}

static int fail_at(struct planner *pl, int line, const char *msg)
{
    return kiln_err(pl->err, KILN_EINPUT, 0, "%s:%d: %s", fname(pl->f), line, msg);
}

/* A named context replaces the stage of its name. */
static bool is_context(const struct planner *pl, const char *name)
{
    for (size_t i = 0; i < pl->o->ncontexts; i++)
        if (strcmp(pl->o->contexts[i], name) == 0)
            return true;
    return false;
}

/* The stage a reference names (df_stage_find), or -1 when it is external. */
static int find_stage(const struct planner *pl, const char *name)
{
    return is_context(pl, name) ? -1 : df_stage_find(pl->f, name);
}

/* FROM's image (or --platform's value) in the global scope, else as given. */
static int expand_global(struct planner *pl, const struct df_stage *st, const char *word,
                         const char *given, char **out)
{
    if (!pl->o->global) {
        *out = xstrdup(given ? given : word);
        return 0;
    }
    if (df_vars_expand(pl->o->global, pl->f->escape, word, out, pl->err) < 0)
        return kiln_err_wrap(pl->err, "%s:%d", fname(pl->f), st->from->line);
    return 0;
}

static int stage_platform(struct planner *pl, size_t i)
{
    const struct df_stage *st = &pl->f->stages[i];
    struct df_plan_stage *ps = &pl->p->stages[i];
    if (!st->platform)
        return 0;
    if (expand_global(pl, st, st->platform, NULL, &ps->platform) < 0)
        return -1;
    if (*ps->platform)
        return 0;
    cleanup_free char *m = xasprintf("empty platform value from expression %s", st->platform);
    return fail_at(pl, st->from->line, m);
}

static int resolve_base(struct planner *pl, size_t i)
{
    const struct df_file *f = pl->f;
    struct df_plan_stage *ps = &pl->p->stages[i];
    const char *given = pl->o->bases ? pl->o->bases[i] : NULL;
    if (expand_global(pl, &f->stages[i], f->stages[i].base, given, &ps->base_name) < 0)
        return -1;
    if (!*ps->base_name) {
        cleanup_free char *m = xasprintf("base name (%s) should not be blank", f->stages[i].base);
        return fail_at(pl, f->stages[i].from->line, m);
    }
    ps->base = -1;
    for (size_t j = 0; j < i && !is_context(pl, ps->base_name); j++)
        if (f->stages[j].name && strcmp(f->stages[j].name, ps->base_name) == 0)
            ps->base = (int)j;
    ps->display_name = f->nstages == 1     ? xstrdup("")
                       : f->stages[i].name ? xstrdup(f->stages[i].name)
                                           : xasprintf("stage-%zu", i);
    return stage_platform(pl, i);
}

static int resolve_bases(struct planner *pl)
{
    for (size_t i = 0; i < pl->f->nstages; i++)
        if (resolve_base(pl, i) < 0)
            return -1;
    return 0;
}

static int resolve_target(struct planner *pl)
{
    const struct df_file *f = pl->f;
    const char *t = pl->o->target;
    if (!t || !*t) {
        pl->p->target = f->nstages - 1;
        return 0;
    }
    int i = df_stage_find(f, t);
    if (i >= 0) {
        pl->p->target = (size_t)i;
        return 0;
    }
    const char **names = xcalloc(f->nstages + 1, sizeof(*names));
    size_t n = 0;
    for (size_t k = 0; k < f->nstages; k++)
        if (f->stages[k].name)
            names[n++] = f->stages[k].name;
    cleanup_free char *msg = xasprintf("target stage \"%s\" could not be found", t);
    cleanup_free char *full = suggest_wrap(msg, t, names, n, true);
    free(names);
    return kiln_err(pl->err, KILN_EINPUT, 0, "%s", full);
}

static void add_dep(struct planner *pl, size_t stage, int dep, const char *ext,
                    const struct df_instr *in, const struct df_mount *m)
{
    struct df_plan_stage *ps = &pl->p->stages[stage];
    vec_reserve(&ps->deps, ps->ndeps, sizeof(*ps->deps));
    ps->deps[ps->ndeps++] = (struct df_plan_dep){dep, ext ? xstrdup(ext) : NULL, in, m};
}

/* A new external dispatch state (BuildKit registers one per reference). */
static void add_external(struct planner *pl, const char *name)
{
    strv_add(&pl->p->externals, &pl->p->nexternals, xstrdup(name));
    pl->nstates++;
}

/* strconv.Atoi: 1 and *out for a decimal integer, 0 otherwise. */
static int atoi_strict(const char *s, long long *out)
{
    const char *d = s + (*s == '+' || *s == '-');
    if (!*d || strspn(d, "0123456789") != strlen(d))
        return 0;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return 0;
    *out = v;
    return 1;
}

static int copy_dep(struct planner *pl, size_t stage, const struct df_instr *in)
{
    const char *from = in->copy.from;
    if (!from || !*from)
        return 0;
    cleanup_free char *expanded = NULL;
    if (shell_expand_word(from, pl->f->escape, NULL, NULL, &expanded, pl->err) < 0)
        return kiln_err_wrap(pl->err, "%s:%d", fname(pl->f), in->line);
    if (strcmp(expanded, from) != 0)
        return fail_at(pl, in->line,
                       "variable expansion is not supported for --from, define a new stage "
                       "with FROM using ARG from global scope as a workaround");
    long long idx;
    if (atoi_strict(from, &idx)) {
        if (idx < 0 || (unsigned long long)idx >= pl->nstates) {
            cleanup_free char *m = xasprintf("invalid stage index %lld", idx);
            return fail_at(pl, in->line, m);
        }
        size_t ns = pl->f->nstages;
        const char *name =
            idx < (long long)ns ? pl->f->stages[idx].name : pl->p->externals[idx - (long long)ns];
        bool ext = idx >= (long long)ns || (name && is_context(pl, name));
        add_dep(pl, stage, ext ? -1 : (int)idx, ext ? name : NULL, in, NULL);
        return 0;
    }
    int j = find_stage(pl, from);
    if (j < 0)
        add_external(pl, from);
    add_dep(pl, stage, j, j < 0 ? from : NULL, in, NULL);
    return 0;
}

static void mount_deps(struct planner *pl, size_t stage, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nmounts; i++) {
        const char *from = in->mounts[i].from && *in->mounts[i].from ? in->mounts[i].from : NULL;
        int j = find_stage(pl, from ? from : "scratch");
        if (j < 0)
            add_external(pl, from ? from : "scratch");
        if (j >= 0 || from)
            add_dep(pl, stage, j, j < 0 ? from : NULL, in, &in->mounts[i]);
    }
}

static int instr_deps(struct planner *pl, size_t stage, const struct df_instr *in)
{
    if (in->cmd == DF_COPY)
        return copy_dep(pl, stage, in);
    if (in->cmd == DF_RUN)
        mount_deps(pl, stage, in);
    return 0;
}

static int stage_deps(struct planner *pl)
{
    for (size_t i = 0; i < pl->f->nstages; i++) {
        const struct df_stage *s = &pl->f->stages[i];
        for (size_t k = 0; k < s->ninstrs; k++)
            if (instr_deps(pl, i, s->instrs[k]) < 0)
                return -1;
    }
    return 0;
}

/* DFS for a cycle from stage s; returns the line of the first command on it, or 0. */
static int cycle_from(struct planner *pl, size_t s, bool *visited, bool *path, int first_line)
{
    if (visited[s])
        return 0;
    visited[s] = path[s] = true;
    const struct df_plan_stage *ps = &pl->p->stages[s];
    for (size_t i = 0; i < ps->ndeps; i++) {
        int d = ps->deps[i].stage;
        int line = first_line ? first_line : ps->deps[i].instr->line;
        if (d < 0)
            continue;
        if (path[d])
            return line;
        int r = cycle_from(pl, (size_t)d, visited, path, line);
        if (r)
            return r;
    }
    path[s] = false;
    return 0;
}

static int check_cycles(struct planner *pl)
{
    size_t n = pl->f->nstages;
    cleanup_free bool *visited = xcalloc(n, sizeof(bool));
    cleanup_free bool *path = xcalloc(n, sizeof(bool));
    for (size_t s = 0; s < n; s++) {
        int line = cycle_from(pl, s, visited, path, 0);
        if (line) {
            cleanup_free char *m =
                pl->f->stages[s].name
                    ? xasprintf("circular dependency detected on stage: %s", pl->f->stages[s].name)
                    : xasprintf("circular dependency detected on stage: stage-%zu", s);
            return fail_at(pl, line, m);
        }
    }
    return 0;
}

/* The ONBUILD expressions of stage j (its own ONBUILD instructions). */
static char **stage_onbuilds(const struct df_stage *st, size_t *n)
{
    char **v = NULL;
    *n = 0;
    for (size_t k = 0; k < st->ninstrs; k++)
        if (st->instrs[k]->cmd == DF_ONBUILD && st->instrs[k]->nargs == 1)
            strv_add(&v, n, xstrdup(st->instrs[k]->args[0]));
    return v;
}

/* Parses the triggers stage i runs first and adds their dependencies; the trigger
 * dependencies go before the stage's own, as BuildKit prepends the trigger commands. */
static int add_triggers(struct planner *pl, size_t i, char *const *trig, size_t n)
{
    struct df_plan_stage *ps = &pl->p->stages[i];
    const struct df_stage *st = &pl->f->stages[i];
    if (n == 0)
        return 0;
    if (df_onbuild_parse(fname(pl->f), trig, n, st->from->line, &ps->triggers, &ps->ntriggers,
                         pl->err) < 0)
        return -1;
    struct df_plan_dep *own_deps = ps->deps;
    size_t nown = ps->ndeps;
    ps->deps = NULL, ps->ndeps = 0;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < ps->ntriggers; k++)
        rc = instr_deps(pl, i, &ps->triggers[k]);
    for (size_t k = 0; k < nown; k++) {
        vec_reserve(&ps->deps, ps->ndeps, sizeof(*ps->deps));
        ps->deps[ps->ndeps++] = own_deps[k];
    }
    free(own_deps);
    return rc;
}

/* The triggers of stage i: its base stage's ONBUILD instructions, or its base image's. */
static int stage_triggers(struct planner *pl, size_t i)
{
    struct df_plan_stage *ps = &pl->p->stages[i];
    size_t n = 0;
    cleanup_strv char **own = NULL;
    char *const *trig = NULL;
    if (ps->base >= 0)
        trig = own = stage_onbuilds(&pl->f->stages[ps->base], &n);
    else if (pl->o->image_triggers && pl->o->image_triggers[i])
        trig = pl->o->image_triggers[i], n = pl->o->nimage_triggers[i];
    pl->triggered[i] = true;
    return add_triggers(pl, i, trig, n);
}

static void mark_reachable(const struct df_plan *p, size_t s, bool *reach)
{
    if (reach[s])
        return;
    reach[s] = true;
    if (p->stages[s].base >= 0)
        mark_reachable(p, (size_t)p->stages[s].base, reach);
    for (size_t i = 0; i < p->stages[s].ndeps; i++)
        if (p->stages[s].deps[i].stage >= 0)
            mark_reachable(p, (size_t)p->stages[s].deps[i].stage, reach);
}

/* Reachable stages, with triggers parsed for each until no trigger adds a dependency. */
static int reach_with_triggers(struct planner *pl, bool *reach)
{
    size_t n = pl->f->nstages;
    for (bool again = true; again;) {
        again = false;
        memset(reach, 0, n * sizeof(bool));
        mark_reachable(pl->p, pl->p->target, reach);
        for (size_t i = 0; i < n; i++) {
            if (!reach[i] || pl->triggered[i])
                continue;
            size_t before = pl->p->stages[i].ndeps;
            if (stage_triggers(pl, i) < 0)
                return -1;
            again |= pl->p->stages[i].ndeps != before;
        }
    }
    return 0;
}

/* Every dependency must be built before: BuildKit dispatches in file order. */
static int check_order(struct planner *pl, const bool *reach)
{
    for (size_t i = 0; i < pl->f->nstages; i++) {
        const struct df_plan_stage *ps = &pl->p->stages[i];
        for (size_t k = 0; reach[i] && k < ps->ndeps; k++) {
            const struct df_plan_dep *d = &ps->deps[k];
            if (d->stage < (int)i)
                continue;
            cleanup_free char *m =
                d->instr->cmd == DF_COPY
                    ? xasprintf("cannot copy from stage \"%s\", it needs to be defined before "
                                "current stage \"%s\"",
                                d->instr->copy.from, ps->display_name)
                    : xasprintf("cannot mount from stage \"%s\" to \"%s\", stage needs to be "
                                "defined before current command",
                                d->mount->from, d->mount->target ? d->mount->target : "");
            return fail_at(pl, d->instr->line, m);
        }
    }
    return 0;
}

/* The stages the target reaches, in file order. */
static void set_order(struct df_plan *p, bool *reach)
{
    memset(reach, 0, p->nstages * sizeof(bool));
    mark_reachable(p, p->target, reach);
    free(p->order);
    p->order = xcalloc(p->nstages, sizeof(size_t));
    p->norder = 0;
    for (size_t i = 0; i < p->nstages; i++)
        if (reach[i])
            p->order[p->norder++] = i;
}

static int plan_all(struct planner *pl, bool *reach)
{
    if (resolve_bases(pl) < 0 || resolve_target(pl) < 0 || stage_deps(pl) < 0 ||
        check_cycles(pl) < 0 || reach_with_triggers(pl, reach) < 0 || check_cycles(pl) < 0 ||
        check_order(pl, reach) < 0)
        return -1;
    set_order(pl->p, reach);
    return 0;
}

int df_plan_build(const struct df_file *f, const struct df_plan_opts *opts, struct df_plan **out,
                  kiln_error_t **err)
{
    static const struct df_plan_opts none = {0};
    struct df_plan *p = xcalloc(1, sizeof(*p));
    p->nstages = f->nstages;
    p->stages = xcalloc(f->nstages + 1, sizeof(*p->stages));
    struct planner pl = {
        f, opts ? opts : &none, p, f->nstages, xcalloc(f->nstages + 1, sizeof(bool)), err};
    cleanup_free bool *reach = xcalloc(f->nstages + 1, sizeof(bool));
    int r = f->nstages ? plan_all(&pl, reach)
                       : kiln_err(err, KILN_EINPUT, 0, "%s: dockerfile contains no stages to build",
                                  fname(f));
    free(pl.triggered);
    if (r < 0) {
        df_plan_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int df_plan_add_image_triggers(const struct df_file *f, struct df_plan *p,
                               const struct df_plan_opts *opts, size_t stage, char *const *triggers,
                               size_t n, kiln_error_t **err)
{
    static const struct df_plan_opts none = {0};
    if (stage >= p->nstages || p->stages[stage].base >= 0 || p->stages[stage].ntriggers || !n)
        return 0;
    struct planner pl = {f, opts ? opts : &none, p, f->nstages + p->nexternals, NULL, err};
    cleanup_free bool *reach = xcalloc(p->nstages + 1, sizeof(bool));
    reach[stage] = true;
    if (add_triggers(&pl, stage, triggers, n) < 0 || check_order(&pl, reach) < 0)
        return -1;
    set_order(p, reach);
    return 0;
}

const struct df_plan_dep *df_plan_dep(const struct df_plan *p, size_t i, const struct df_instr *in,
                                      const struct df_mount *m)
{
    const struct df_plan_stage *ps = i < p->nstages ? &p->stages[i] : NULL;
    for (size_t k = 0; ps && k < ps->ndeps; k++)
        if (ps->deps[k].instr == in && ps->deps[k].mount == m)
            return &ps->deps[k];
    return NULL;
}
