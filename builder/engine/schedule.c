/* Stage scheduling: a stage builds its FROM stage first, in its own thread; its other
 * dependencies (COPY --from, RUN --mount from=) start in parallel threads while its own steps
 * run, and an instruction that needs one waits for it there. At most one stage per core runs
 * steps at a time (a thread waiting for another stage gives its slot up). A cycle among the
 * stages is refused before anything runs. */
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "util.h"

#define SCHEDULE_MAX_DEPS 256

static __thread int tls_slots_held; /* this thread already runs a stage's steps */

/* A stage named by "from" in a flag value ("COPY --from=x", "RUN --mount=...,from=x"). */
static struct build_stage *flag_stage(struct build *b, const struct df_flag *f)
{
    if (!f->value)
        return NULL;
    if (!strcmp(f->name, "from"))
        return context_find(b, f->value) ? NULL : stage_find(b, f->value);
    if (strcmp(f->name, "mount") != 0)
        return NULL;
    cleanup_free char *v = xstrdup(f->value);
    char *save = NULL;
    for (char *kv = strtok_r(v, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
        if (str_has_prefix(kv, "from="))
            return context_find(b, kv + 5) ? NULL : stage_find(b, kv + 5);
    return NULL;
}

static struct build_stage *from_stage(struct build *b, struct build_stage *st)
{
    cleanup_free char *base = NULL;
    if (vars_expand(b, NULL, st->df->base, &base, NULL) < 0)
        return NULL;
    struct build_stage *dep = context_find(b, base) ? NULL : stage_find(b, base);
    return dep && dep->df->name && dep->df->index < st->df->index ? dep : NULL;
}

static void add_dep(struct build_stage **deps, size_t *n, size_t max, struct build_stage *d,
                    struct build_stage *self)
{
    if (!d || d == self || *n >= max)
        return;
    for (size_t i = 0; i < *n; i++)
        if (deps[i] == d)
            return;
    deps[(*n)++] = d;
}

size_t stage_dependencies(struct build *b, struct build_stage *st, struct build_stage **deps,
                          size_t max)
{
    size_t n = 0;
    add_dep(deps, &n, max, from_stage(b, st), st);
    for (size_t i = 0; i < st->df->ninstrs; i++) {
        const struct df_instr *in = st->df->instrs[i];
        for (size_t k = 0; k < in->nflags; k++)
            add_dep(deps, &n, max, flag_stage(b, &in->flags[k]), st);
    }
    return n;
}

/* Depth-first search with colours: 1 on the current path, 2 finished. */
static int check_from(struct build *b, struct build_stage *st, char *colour, kiln_error_t **err)
{
    size_t idx = (size_t)(st - b->stages);
    if (colour[idx] == 2)
        return 0;
    if (colour[idx] == 1)
        return kiln_err(err, KILN_EINPUT, 0, "%s: circular dependency detected on stage: %s",
                        b->dfname, st->title);
    colour[idx] = 1;
    struct build_stage *deps[SCHEDULE_MAX_DEPS];
    size_t n = stage_dependencies(b, st, deps, SCHEDULE_MAX_DEPS);
    for (size_t i = 0; i < n; i++)
        if (check_from(b, deps[i], colour, err) < 0)
            return -1;
    colour[idx] = 2;
    return 0;
}

int schedule_check(struct build *b, struct build_stage *target, kiln_error_t **err)
{
    cleanup_free char *colour = xcalloc(b->nstages, 1);
    return check_from(b, target, colour, err);
}

struct dep_job {
    struct build *b;
    struct build_stage *st;
    kiln_error_t *err;
    int rc;
    pthread_t thread;
    bool started;
};

struct dep_jobs {
    struct dep_job *v;
    size_t n;
};

static void *dep_main(void *p)
{
    struct dep_job *j = p;
    build_set_current_step(0);
    j->rc = stage_build(j->b, j->st, &j->err);
    return NULL;
}

/* Starts a thread for every dependency of st other than its FROM stage (which st builds itself,
 * first): the stage's own steps go on meanwhile and wait for a dependency only at the
 * instruction that uses it (COPY --from and RUN --mount from= call stage_build), as BuildKit's
 * graph does. Before, every dependency was built before the stage's first step, so a final
 * stage's own RUN apt-get waited for the whole build stage. */
static void start_deps(struct build *b, struct build_stage *st, struct dep_jobs *jobs)
{
    struct build_stage *deps[SCHEDULE_MAX_DEPS];
    size_t n = stage_dependencies(b, st, deps, SCHEDULE_MAX_DEPS);
    struct build_stage *from = from_stage(b, st);
    jobs->v = xcalloc(n + 1, sizeof(*jobs->v));
    jobs->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (deps[i] == from)
            continue;
        struct dep_job *j = &jobs->v[jobs->n++];
        *j = (struct dep_job){.b = b, .st = deps[i]};
        j->started = pthread_create(&j->thread, NULL, dep_main, j) == 0;
        if (!j->started) /* no thread: it is built when an instruction needs it */
            jobs->n--;
    }
}

/* Waits for the dependency threads; the failure that caused the others' cancellation is the one
 * to report. */
static int join_deps(struct dep_jobs *jobs, int rc, kiln_error_t **err)
{
    for (size_t i = 0; i < jobs->n; i++) {
        struct dep_job *j = &jobs->v[i];
        pthread_join(j->thread, NULL);
        bool cancelled = rc < 0 && (*err)->code == KILN_ECANCELLED;
        if (j->rc < 0 && (rc == 0 || (cancelled && j->err->code != KILN_ECANCELLED))) {
            kiln_error_free(*err);
            *err = steal_ptr(j->err);
            rc = -1;
        }
        kiln_error_free(j->err);
    }
    free(jobs->v);
    return rc;
}

static void slot_take(struct build *b)
{
    while (sem_wait(&b->slots) < 0)
        ;
}

/* Claims st for this thread: 1 to build it, 0 when it is built, -1 when it failed or would
 * wait on itself. Waits while another thread builds it, giving up this thread's slot meanwhile
 * (the other thread may need it). */
static int claim(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    bool gave_slot = false;
    pthread_mutex_lock(&b->lock);
    while (st->state == STAGE_BUILDING && !pthread_equal(st->owner, pthread_self())) {
        if (tls_slots_held && !gave_slot) {
            sem_post(&b->slots);
            gave_slot = true;
        }
        pthread_cond_wait(&b->stage_cv, &b->lock);
    }
    int r = 1;
    if (st->state == STAGE_DONE)
        r = 0;
    else if (st->state == STAGE_FAILED)
        r = kiln_err(err, KILN_ECANCELLED, 0, "stage %s failed", st->title);
    else if (st->state == STAGE_BUILDING)
        r = kiln_err(err, KILN_EINPUT, 0, "circular dependency detected on stage: %s", st->title);
    else {
        st->state = STAGE_BUILDING;
        st->owner = pthread_self();
    }
    pthread_mutex_unlock(&b->lock);
    if (gave_slot)
        slot_take(b);
    return r;
}

int stage_build(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    int c = claim(b, st, err);
    if (c <= 0)
        return c;
    int outer_step = build_current_step();
    struct dep_jobs jobs;
    start_deps(b, st, &jobs);
    bool take = tls_slots_held++ == 0;
    if (take)
        slot_take(b);
    int rc = stage_run(b, st, err);
    if (take)
        sem_post(&b->slots);
    tls_slots_held--;
    rc = join_deps(&jobs, rc, err);
    build_set_current_step(outer_step);
    pthread_mutex_lock(&b->lock);
    st->state = rc == 0 ? STAGE_DONE : STAGE_FAILED;
    if (rc < 0)
        b->failed = true;
    pthread_cond_broadcast(&b->stage_cv);
    pthread_mutex_unlock(&b->lock);
    return rc;
}
