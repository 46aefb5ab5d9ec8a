/* Building one stage: its FROM, the base image's ONBUILD triggers, then every instruction
 * through the dispatch table, with progress around each step. */
#include <string.h>

#include "build.h"
#include "cache/stepcache.h"
#include "registry/registry.h"
#include "snapshot/unpack.h"
#include "util.h"

struct build_stage *stage_find(struct build *b, const char *name)
{
    uint64_t idx;
    if (parse_u64(name, b->nstages - 1, &idx) == 0)
        return &b->stages[idx];
    cleanup_free char *lower = xstrdup(name);
    str_lower(lower);
    for (size_t i = 0; i < b->nstages; i++)
        if (b->stages[i].df->name && !strcmp(b->stages[i].df->name, lower))
            return &b->stages[i];
    return NULL;
}

int stage_view(struct build *b, struct build_stage *st, struct view **out, kiln_error_t **err)
{
    if (st->view) {
        *out = st->view;
        return 0;
    }
    const struct image *img = st->img;
    st->snapshots = xrealloc(st->snapshots, (img->nlayers + 1) * sizeof(char *));
    struct unpack_limits lim = {b->o->max_layer_size, b->o->max_file_size};
    for (size_t i = st->nsnapshots; i < img->nlayers; i++) {
        const struct image_layer *l = &img->layers[i];
        struct unpack_report rep;
        if (snapshot_ensure(b->store, l->digest, l->media_type, l->diff_id, &lim, &rep,
                            &st->snapshots[i], err) < 0)
            return -1;
        st->nsnapshots = i + 1;
        if (rep.devices)
            build_log(b, KILN_LOG_WARN,
                      "layer %s: %llu device node%s ('%s'...) not created: kiln never "
                      "creates devices on the host and RUN steps get their own /dev; the layer "
                      "is kept unchanged in the image",
                      l->digest, (unsigned long long)rep.devices, rep.devices == 1 ? "" : "s",
                      rep.first_dev);
    }
    if (view_new((const char *const *)st->snapshots, img->nlayers, &st->view, err) < 0)
        return -1;
    *out = st->view;
    return 0;
}

int stage_add_layer(struct build *b, struct build_stage *st, const char *digest,
                    const char *diff_id, uint64_t size, const char *media_type, kiln_error_t **err)
{
    if (image_add_layer(st->img, digest, diff_id, size, media_type, err) < 0)
        return -1;
    build_note_layer(b, digest);
    struct cache_key k;
    cache_key_begin(&k, "chain");
    cache_key_add(&k, st->chain);
    cache_key_add(&k, diff_id);
    cache_key_end(&k, st->chain);
    view_free(st->view);
    st->view = NULL;
    return 0;
}

bool build_cache_enabled(struct build *b, struct build_stage *st)
{
    if (b->o->no_cache)
        return false;
    for (size_t i = 0; i < b->o->nno_cache_filter; i++)
        if (st->df->name && !strcasecmp(b->o->no_cache_filter[i], st->df->name))
            return false;
    return true;
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
    if (stage_build(b, dep, err) < 0)
        return -1;
    st->img = image_clone(dep->img);
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
    build_log(ctx, KILN_LOG_INFO, "%s", msg);
}

static int from_registry(struct build *b, struct build_stage *st, const char *ref,
                         kiln_error_t **err)
{
    struct registry_opts ro = *registry_opts_get_default();
    ro.log = pull_log, ro.log_ctx = b;
    struct registry_pulled p;
    if (registry_pull_image(b->store, &ro, ref, b->os, b->arch, b->variant, &p, err) < 0)
        return -1;
    memcpy(st->base_digest, p.manifest, sizeof(st->base_digest));
    st->base_ref = steal_ptr(p.canonical);
    return image_load(b->store, st->base_digest, &st->img, err);
}

static int check_platform(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    if (!st->df->platform)
        return 0;
    cleanup_free char *p = NULL;
    if (vars_expand(b, NULL, st->df->platform, &p, err) < 0)
        return -1;
    cleanup_free char *want = xasprintf("%s/%s", b->os, b->arch);
    if (strcmp(p, want) != 0 && !str_has_prefix(p, want))
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "platform '%s' is not supported: kiln builds for %s only", p, want);
    return 0;
}

static int resolve_from(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    cleanup_free char *base = NULL;
    if (vars_expand(b, NULL, st->df->base, &base, err) < 0 || check_platform(b, st, err) < 0)
        return -1;
    if (!*base)
        return kiln_err(err, KILN_EINPUT, 0, "base name (%s) should not be blank", st->df->base);
    if (!strcmp(base, "scratch")) {
        st->img = image_new_scratch(b->os, b->arch, b->variant);
        return 0;
    }
    /* a named context overrides a stage of the same name, as in BuildKit */
    struct build_context *c = context_find(b, base);
    if (c)
        return from_context(b, st, c, err);
    struct build_stage *dep = stage_find(b, base);
    if (dep && dep != st && dep->df->index < st->df->index && dep->df->name)
        return from_stage(b, st, dep, err);
    return from_registry(b, st, base, err);
}

int external_image(struct build *b, const char *name, struct build_stage **out, kiln_error_t **err)
{
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->nexternals; i++) {
        if (!strcmp(b->externals[i]->title, name)) {
            *out = b->externals[i];
            pthread_mutex_unlock(&b->lock);
            return 0;
        }
    }
    struct build_stage *e = xcalloc(1, sizeof(*e));
    e->title = xstrdup(name);
    struct build_context *c = context_find(b, name);
    int rc = c ? from_context(b, e, c, err) : from_registry(b, e, name, err);
    if (rc == 0) {
        b->externals = xrealloc(b->externals, (b->nexternals + 1) * sizeof(*b->externals));
        b->externals[b->nexternals++] = e;
        *out = e;
    } else {
        build_stage_release(e);
        free(e);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

/* The base image's ONBUILD triggers run right after FROM, then are dropped. */
static int run_onbuild(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    json_t *cfg = image_cfg(st->img);
    json_t *triggers = json_incref(json_object_get(cfg, "OnBuild"));
    json_object_del(cfg, "OnBuild");
    size_t i;
    json_t *t;
    int rc = 0;
    json_array_foreach(triggers, i, t)
    {
        const char *s = json_string_value(t);
        if (!s)
            continue;
        cleanup_free char *doc = xasprintf("FROM scratch\n%s\n", s);
        cleanup_df_file struct df_file *f = NULL;
        rc = df_parse("ONBUILD", doc, strlen(doc), &f, err);
        if (rc == 0 && f->stages[0].ninstrs == 1) {
            const struct df_instr *in = f->stages[0].instrs[0];
            dispatch_fn fn = dispatch_lookup(in->cmd);
            rc = fn ? fn(b, st, in, err) : kiln_err(err, KILN_EINPUT, 0, "bad trigger");
        }
        if (rc < 0)
            break;
    }
    json_decref(triggers);
    return rc < 0 ? kiln_err_wrap(err, "%s:%d: ONBUILD trigger of the base image", b->dfname,
                                  st->df->from->line)
                  : 0;
}

static int run_instr(struct build *b, struct build_stage *st, size_t i, kiln_error_t **err)
{
    const struct df_instr *in = st->df->instrs[i];
    int id = step_begin(b, st, i + 1, in->original);
    double t0 = now_seconds();
    dispatch_fn fn = dispatch_lookup(in->cmd);
    int rc = fn ? fn(b, st, in, err) : instr_err(b, in, err, KILN_EUNSUPPORTED, "not supported");
    step_end(b, id, t0, rc < 0 ? *err : NULL);
    return rc;
}

int stage_run(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    int id = step_begin(b, st, 0, st->df->from->original);
    double t0 = now_seconds();
    int rc = resolve_from(b, st, err);
    if (rc < 0)
        instr_wrap(b, st->df->from, err);
    else if (!*st->chain)
        chain_start(b, st);
    step_end(b, id, t0, rc < 0 ? *err : NULL);
    st->user_line = st->df->from->line;
    if (rc == 0)
        rc = run_onbuild(b, st, err);
    for (size_t i = 0; rc == 0 && i < st->df->ninstrs; i++) {
        if (__atomic_load_n(&b->failed, __ATOMIC_RELAXED))
            return kiln_err(err, KILN_ECANCELLED, 0, "stage %s cancelled: another stage failed",
                            st->title);
        rc = run_instr(b, st, i, err);
    }
    return rc;
}

void build_stage_release(struct build_stage *st)
{
    image_free(st->img);
    for (size_t i = 0; i < st->nargs; i++) {
        free(st->args[i].key);
        free(st->args[i].value);
    }
    free(st->args);
    for (size_t i = 0; i < st->nsnapshots; i++)
        free(st->snapshots[i]);
    free(st->snapshots);
    view_free(st->view);
    free(st->base_ref);
    free(st->title);
}
