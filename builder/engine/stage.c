/* Building one stage (stage.h): its FROM as the plan resolves it, its ONBUILD triggers, then
 * every instruction through the dispatch table, with progress around each step. */
#include <string.h>

#include "build.h"
#include "cache/stepcache.h"
#include "dispatch.h"
#include "instr.h"
#include "plan.h"
#include "layer/toc.h"
#include "registry/registry.h"
#include "snapshot/unpack.h"
#include "util.h"

struct stage_lazy {
    struct build *b;
    struct build_stage *st;
};

/* Layer i of st unpacked into its snapshot (st->snapshots[i]); its table goes. */
static int stage_unpack(struct build *b, struct build_stage *st, size_t i, kiln_error_t **err)
{
    if (st->snapshots[i])
        return 0;
    const struct image_layer *l = &st->img->layers[i];
    struct unpack_limits lim = {b->o->max_layer_size, b->o->max_file_size};
    struct unpack_report rep;
    if (snapshot_ensure(b->store, l->digest, l->media_type, l->diff_id, &lim, &rep,
                        &st->snapshots[i], err) < 0)
        return -1;
    if (rep.devices)
        step_log(b, KILN_LOG_WARN,
                 "layer %s: %llu device node%s ('%s'...) not created: kiln never creates devices "
                 "on the host and RUN steps get their own /dev; the layer is kept unchanged in "
                 "the image",
                 l->digest, (unsigned long long)rep.devices, rep.devices == 1 ? "" : "s",
                 rep.first_dev);
    return 0;
}

/* The view's unpacking of a layer it knew by its table (called with the view's lock held). */
static int lazy_unpack(void *ctx, size_t i, char **dir)
{
    struct stage_lazy *lz = ctx;
    kiln_error_t *e = NULL;
    if (stage_unpack(lz->b, lz->st, i, &e) < 0) {
        step_log(lz->b, KILN_LOG_WARN, "%s", e->msg);
        kiln_error_free(e);
        return -1;
    }
    *dir = xstrdup(lz->st->snapshots[i]); /* the table stays until the view is gone */
    return 0;
}

/* Room for the layers of st->img in st->snapshots and st->tocs, new entries NULL. */
static void grow_layers(struct build_stage *st)
{
    size_t n = st->img->nlayers;
    if (n <= st->nsnapshots)
        return;
    st->snapshots = xrealloc(st->snapshots, (n + 1) * sizeof(*st->snapshots));
    st->tocs = xrealloc(st->tocs, (n + 1) * sizeof(*st->tocs));
    for (size_t i = st->nsnapshots; i <= n; i++)
        st->snapshots[i] = NULL, st->tocs[i] = NULL;
    st->nsnapshots = n;
}

/* Layer i as the view will see it: its snapshot, its table, or unpacked now. */
static int view_layer(struct build *b, struct build_stage *st, size_t i, kiln_error_t **err)
{
    const struct image_layer *l = &st->img->layers[i];
    if (st->snapshots[i] || st->tocs[i])
        return 0;
    int found = snapshot_find(b->store, l->diff_id, &st->snapshots[i], err);
    if (found != 0)
        return found < 0 ? -1 : 0;
    if ((st->tocs[i] = toc_load(b->store, l->diff_id)))
        return 0;
    return stage_unpack(b, st, i, err);
}

int stage_view(struct build *b, struct build_stage *st, struct view **out, kiln_error_t **err)
{
    if (st->view) {
        *out = st->view;
        return 0;
    }
    const struct image *img = st->img;
    grow_layers(st);
    if (!st->lazy)
        st->lazy = xcalloc(1, sizeof(*st->lazy));
    *st->lazy = (struct stage_lazy){b, st};
    cleanup_free struct view_layer *layers = xcalloc(img->nlayers + 1, sizeof(*layers));
    for (size_t i = 0; i < img->nlayers; i++) {
        if (view_layer(b, st, i, err) < 0)
            return -1;
        layers[i] = (struct view_layer){st->snapshots[i], st->snapshots[i] ? NULL : st->tocs[i]};
    }
    struct view_lazy lazy = {lazy_unpack, st->lazy, &b->idmap};
    if (view_new_layers(layers, img->nlayers, &lazy, &st->view, err) < 0)
        return -1;
    *out = st->view;
    return 0;
}

int stage_snapshots(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    grow_layers(st);
    for (size_t i = 0; i < st->img->nlayers; i++)
        if (stage_unpack(b, st, i, err) < 0)
            return -1;
    return 0;
}

int stage_add_layer(struct build *b, struct build_stage *st, const char *digest,
                    const char *diff_id, uint64_t size, const char *media_type, kiln_error_t **err)
{
    if (image_add_layer(st->img, digest, diff_id, size, media_type, err) < 0)
        return -1;
    leakcheck_note_layer(b, digest);
    struct cache_key k;
    cache_key_begin(&k, "chain");
    cache_key_add(&k, st->chain);
    cache_key_add(&k, diff_id);
    cache_key_end(&k, st->chain);
    view_free(st->view);
    st->view = NULL;
    return 0;
}

/* The first link of a stage's cache chain: what the stage starts from, and everything that
 * shapes every layer (the epoch in file times, the compression). */
static void chain_start(struct build *b, struct build_stage *st)
{
    struct cache_key k;
    cache_key_begin(&k, "base");
    cache_key_add(&k, *st->base_digest ? st->base_digest : "scratch");
    cache_key_addu(&k, (uint64_t)b->epoch);
    cache_key_addu(&k, (uint64_t)(int64_t)b->o->output.compression_level);
    if (b->o->output.compression != KILN_COMPRESSION_GZIP) /* gzip keys stay as they were */
        cache_key_addu(&k, (uint64_t)b->o->output.compression);
    for (size_t i = 0; i < st->img->nlayers; i++)
        cache_key_add(&k, st->img->layers[i].diff_id);
    cache_key_end(&k, st->chain);
}

static int from_registry(struct build *b, struct build_stage *st, const char *ref,
                         kiln_error_t **err);

static int from_context(struct build *b, struct build_stage *st, struct build_context *c,
                        kiln_error_t **err)
{
    if (c->type == KILN_CONTEXT_DIR)
        return kiln_err(err, KILN_EINPUT, 0,
                        "named context '%s' is a directory: use it with COPY --from, not FROM",
                        c->name);
    if (c->type == KILN_CONTEXT_DOCKER_IMAGE)
        return from_registry(b, st, c->path, err);
    if (context_import_layout(b, c, st->base_digest, err) < 0 ||
        image_load(b->store, st->base_digest, &st->img, err) < 0)
        return -1;
    st->base_ref = xasprintf("oci-layout://%s%s%s", c->path,
                             c->ref ? (str_has_prefix(c->ref, "sha256:") ? "@" : ":") : "",
                             c->ref ? c->ref : "");
    return 0;
}

static int from_stage(struct build *b, struct build_stage *st, struct build_stage *dep,
                      kiln_error_t **err)
{
    if (schedule_stage(b, dep, err) < 0)
        return -1;
    st->img = image_clone(dep->img);
    df_scope_clone(&st->scope, &dep->scope); /* the base stage's variables as it ended */
    memcpy(st->base_digest, dep->base_digest, sizeof(st->base_digest));
    memcpy(st->chain, dep->chain, sizeof(st->chain));
    st->base_ref = dep->base_ref ? xstrdup(dep->base_ref) : NULL;
    /* the snapshots of the parent stage are valid for this one too */
    st->snapshots = xcalloc(dep->nsnapshots + 1, sizeof(char *));
    for (size_t i = 0; i < dep->nsnapshots; i++)
        st->snapshots[i] = xstrdup(dep->snapshots[i]);
    st->nsnapshots = dep->nsnapshots;
    return 0;
}

static void pull_log(void *ctx, const char *msg)
{
    step_log(ctx, KILN_LOG_INFO, "%s", msg);
}

static int from_registry(struct build *b, struct build_stage *st, const char *ref,
                         kiln_error_t **err)
{
    struct registry_opts ro = *registry_opts_get_default();
    ro.log = pull_log, ro.log_ctx = b;
    struct registry_pulled p;
    if (registry_pull_image(b->store, &ro, ref, b->platform.os, b->platform.arch,
                            b->platform.variant, &p, err) < 0)
        return -1;
    memcpy(st->base_digest, p.manifest, sizeof(st->base_digest));
    st->base_ref = steal_ptr(p.canonical);
    return image_load(b->store, st->base_digest, &st->img, err);
}

/* FROM --platform, as the plan expanded it: only the build's platform. */
static int check_platform(struct build *b, const char *p, kiln_error_t **err)
{
    if (!p)
        return 0;
    cleanup_free char *want = xasprintf("%s/%s", b->platform.os, b->platform.arch);
    if (strcmp(p, want) != 0 && !str_has_prefix(p, want))
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "platform '%s' is not supported: kiln builds for %s only", p, want);
    return 0;
}

/* A stage on an image starts from its config Env (BuildKit: the default PATH added to the
 * config when the image sets none). */
static void scope_from_image(struct build *b, struct build_stage *st)
{
    json_t *env = json_object_get(image_cfg(st->img), "Env");
    size_t n = json_array_size(env);
    cleanup_free char **kv = xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (json_string_value(json_array_get(env, i)))
            kv[k++] = (char *)json_string_value(json_array_get(env, i));
    df_scope_init(&st->scope, &b->plan.global, b->plan.args, b->plan.nargs, b->input.df->escape, kv,
                  k, !strcmp(b->platform.os, "windows"));
    const char *path = df_vars_get(&st->scope.image_env, "PATH");
    if (path && !image_env_get(st->img, "PATH"))
        image_env_set(st->img, "PATH", path);
}

/* FROM: scratch, a named context (it replaces a stage of its name), the stage the plan names,
 * or an image from a registry. */
static int resolve_from(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    const struct df_plan_stage *ps = &b->plan.p->stages[st->index];
    const char *base = ps->base_name;
    if (check_platform(b, ps->platform, err) < 0)
        return -1;
    if (ps->base >= 0)
        return from_stage(b, st, &b->sched.stages[ps->base], err);
    int rc;
    struct build_context *c = context_find(b, base);
    if (!strcmp(base, "scratch"))
        st->img = image_new_scratch(b->platform.os, b->platform.arch, b->platform.variant), rc = 0;
    else
        rc = c ? from_context(b, st, c, err) : from_registry(b, st, base, err);
    if (rc == 0)
        scope_from_image(b, st);
    return rc;
}

int stage_external(struct build *b, const char *name, struct build_stage **out, kiln_error_t **err)
{
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->sched.nexternals; i++) {
        if (!strcmp(b->sched.externals[i]->title, name)) {
            *out = b->sched.externals[i];
            pthread_mutex_unlock(&b->lock);
            return 0;
        }
    }
    struct build_stage *e = xcalloc(1, sizeof(*e));
    e->index = -1;
    e->title = xstrdup(name);
    struct build_context *c = context_find(b, name);
    int rc = c ? from_context(b, e, c, err) : from_registry(b, e, name, err);
    if (rc == 0) {
        b->sched.externals =
            xrealloc(b->sched.externals, (b->sched.nexternals + 1) * sizeof(*b->sched.externals));
        b->sched.externals[b->sched.nexternals++] = e;
        *out = e;
    } else {
        stage_release(e);
        free(e);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

/* One step: an instruction of the stage or a trigger ("ONBUILD " before its text). */
static int run_step(struct build *b, struct build_stage *st, const struct df_instr *in,
                    bool trigger, kiln_error_t **err)
{
    if (__atomic_load_n(&b->sched.failed, __ATOMIC_RELAXED))
        return kiln_err(err, KILN_ECANCELLED, 0, "stage %s cancelled: another stage failed",
                        *st->title ? st->title : "");
    cleanup_free char *text = trigger ? xasprintf("ONBUILD %s", in->original) : NULL;
    struct step s = step_begin(b, st, text ? text : in->original);
    dispatch_fn fn = dispatch_lookup(in->cmd);
    int rc = fn ? fn(b, st, in, err) : instr_err(b, in, err, KILN_EUNSUPPORTED, "not supported");
    step_end(b, &s, rc < 0 ? *err : NULL);
    return rc;
}

/* FROM, with the base image's ONBUILD triggers added to the plan once the image is known. */
static int run_from(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    struct step s = step_begin(b, st, st->df->from->original);
    int rc = resolve_from(b, st, err);
    if (rc < 0)
        instr_wrap(b, st->df->from, err);
    else if (!*st->chain)
        chain_start(b, st);
    if (rc == 0) /* its errors name the FROM line already */
        rc = plan_image_triggers(b, st, err);
    step_end(b, &s, rc < 0 ? *err : NULL);
    st->user_line = st->df->from->line;
    return rc;
}

int stage_run(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    const struct df_plan_stage *ps = &b->plan.p->stages[st->index];
    st->nsteps = 1 + ps->ntriggers + st->df->ninstrs;
    int rc = run_from(b, st, err);
    /* the triggers (known now for an image) run right after FROM, as BuildKit prepends them */
    st->nsteps = 1 + ps->ntriggers + st->df->ninstrs;
    for (size_t i = 0; rc == 0 && i < ps->ntriggers; i++)
        rc = run_step(b, st, &ps->triggers[i], true, err);
    for (size_t i = 0; rc == 0 && i < st->df->ninstrs; i++)
        rc = run_step(b, st, st->df->instrs[i], false, err);
    return rc;
}

void stage_release(struct build_stage *st)
{
    image_free(st->img);
    df_scope_release(&st->scope);
    view_free(st->view); /* before the tables it reads */
    for (size_t i = 0; i < st->nsnapshots; i++) {
        free(st->snapshots[i]);
        toc_free(st->tocs[i]);
    }
    free(st->snapshots);
    free(st->tocs);
    free(st->lazy);
    free(st->base_ref);
    free(st->title);
}
