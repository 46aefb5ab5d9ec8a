/* kiln_build(): the whole build, from options to output. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "build.h"
#include "cache/hashindex.h"
#include "export.h"
#include "fsutil.h"
#include "lint_image.h"
#include "network.h"
#include "policy.h"
#include "oci/reference.h"
#include "registry/registry.h"
#include "ssh.h"
#include "kernel.h"
#include "util.h"

const char *kiln_version(void)
{
    return KILN_VERSION;
}

static const char *host_arch(void)
{
    struct utsname u;
    if (uname(&u) == 0 && !strcmp(u.machine, "aarch64"))
        return "arm64";
    return "amd64";
}

/* One build stage per stage of the plan; the target's dependencies are built on demand. */
static void init_stages(struct build *b)
{
    b->sched.nstages = b->input.df->nstages;
    b->sched.stages = xcalloc(b->sched.nstages, sizeof(*b->sched.stages));
    for (size_t i = 0; i < b->sched.nstages; i++) {
        struct build_stage *st = &b->sched.stages[i];
        st->df = &b->input.df->stages[i];
        st->index = (int)i;
        st->title = xstrdup(b->plan.p->stages[i].display_name);
    }
}

static int check_tags(const struct kiln_build_opts *o, kiln_error_t **err)
{
    for (size_t i = 0; i < o->ntags; i++) {
        struct reference r;
        if (reference_parse(o->tags[i], &r, err) < 0)
            return kiln_err_wrap(err, "-t %s", o->tags[i]);
        reference_release(&r);
    }
    return 0;
}

static void build_release(struct build *b)
{
    schedule_release(&b->sched);
    context_release(&b->input);
    plan_release(&b->plan);
    steps_release(&b->steps);
    build_cache_release(&b->cache);
    leakcheck_release(&b->leak);
    ssh_agents_close(b->ssh);
    netpolicy_release(&b->net);
    if (b->hashes) {
        kiln_error_t *e = NULL;
        hashindex_save(b->hashes, &e); /* losing it costs a re-read next time, nothing else */
        kiln_error_free(e);
        hashindex_free(b->hashes);
    }
    store_close(b->store);
}

static int build_run(struct build *b, struct kiln_build_result *res, kiln_error_t **err)
{
    const struct kiln_build_opts *o = b->o;
    cleanup_free char *root = o->root ? xstrdup(o->root) : store_default_root(err);
    if (!root || check_tags(o, err) < 0 || leakcheck_load(b, err) < 0 || context_read(b, err) < 0 ||
        plan_init(b, err) < 0 || network_init(b, err) < 0 ||
        ssh_agents_open(o->ssh, o->nssh, &b->ssh, err) < 0 ||
        store_open(root, &b->store, err) < 0 || context_open(b, err) < 0 ||
        lint_image_dockerfile(b, err) < 0)
        return -1;
    if (idmap_for_store(b->store->root, &b->idmap, err) < 0)
        return -1;
    buildkit_args_check(b);
    b->hashes = hashindex_open(b->store);
    snapshotter_init(&b->snap);
    if (build_cache_import(b, err) < 0)
        return -1;
    init_stages(b);
    struct build_stage *target = &b->sched.stages[b->plan.p->target];
    if (schedule_stage(b, target, err) < 0)
        return -1;
    plan_warn_unused(b);
    if (policy_check_user(b, target, err) < 0 || lint_image_check(b, target, err) < 0)
        return -1;
    /* the shared cache first: a build whose cache push failed writes no output (no layer
     * holds a secret: each was scanned when its stage committed it) */
    if (build_cache_export(b, err) < 0)
        return -1;
    return export_image(b, target, res, err);
}

int kiln_build(const struct kiln_build_opts *o, struct kiln_build_result *res, kiln_error_t **err)
{
    struct build b = {.o = o, .epoch = o->source_date_epoch, .platform = {"linux", NULL, ""}};
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.sched.stage_cv, NULL);
    sem_init(&b.sched.slots, 0, kernel_cores());
    b.platform.arch = host_arch();
    memset(res, 0, sizeof(*res));
    struct registry_opts ro; /* what the registry module uses when a caller passes none */
    registry_opts_from(&ro, &o->registry);
    registry_opts_set_default(&ro);
    int rc = build_run(&b, res, err);
    registry_opts_set_default(NULL);
    build_release(&b);
    sem_destroy(&b.sched.slots);
    pthread_cond_destroy(&b.sched.stage_cv);
    pthread_mutex_destroy(&b.lock);
    return rc;
}
