/* Stage scheduling (schedule.h) over the plan's stage graph: a thread waiting for another
 * stage gives its slot up. The plan refused cycles before anything ran. */
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "util.h"

#define SCHEDULE_MAX_DEPS 256

static __thread int tls_slots_held; /* this thread already runs a stage's steps */

size_t schedule_deps(struct build *b, struct build_stage *st, struct build_stage **deps, size_t max)
{
    const struct df_plan_stage *ps = &b->plan.p->stages[st->index];
    size_t n = 0;
    for (size_t i = 0; i <= ps->ndeps && n < max; i++) {
        int d = i == ps->ndeps ? ps->base : ps->deps[i].stage;
        bool seen = d < 0 || d == st->index;
        for (size_t k = 0; k < n && !seen; k++)
            seen = deps[k] == &b->sched.stages[d];
        if (!seen)
            deps[n++] = &b->sched.stages[d];
    }
    return n;
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
    step_set_current(0);
    j->rc = schedule_stage(j->b, j->st, &j->err);
    return NULL;
}

/* Starts a thread for every dependency of st other than its FROM stage (which st builds itself,
 * first): the stage's own steps go on meanwhile and wait for a dependency only at the
 * instruction that uses it (COPY --from and RUN --mount from= call schedule_stage), as BuildKit's
 * graph does. Before, every dependency was built before the stage's first step, so a final
 * stage's own RUN apt-get waited for the whole build stage. */
static void start_deps(struct build *b, struct build_stage *st, struct dep_jobs *jobs)
{
    struct build_stage *deps[SCHEDULE_MAX_DEPS];
    size_t n = schedule_deps(b, st, deps, SCHEDULE_MAX_DEPS);
    int base = b->plan.p->stages[st->index].base;
    struct build_stage *from = base >= 0 ? &b->sched.stages[base] : NULL;
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
    while (sem_wait(&b->sched.slots) < 0)
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
            sem_post(&b->sched.slots);
            gave_slot = true;
        }
        pthread_cond_wait(&b->sched.stage_cv, &b->lock);
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

int schedule_stage(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    int c = claim(b, st, err);
    if (c <= 0)
        return c;
    int outer_step = step_current();
    struct dep_jobs jobs;
    start_deps(b, st, &jobs);
    bool take = tls_slots_held++ == 0;
    if (take)
        slot_take(b);
    int rc = stage_run(b, st, err);
    if (take)
        sem_post(&b->sched.slots);
    tls_slots_held--;
    rc = join_deps(&jobs, rc, err);
    step_set_current(outer_step);
    pthread_mutex_lock(&b->lock);
    st->state = rc == 0 ? STAGE_DONE : STAGE_FAILED;
    if (rc < 0)
        b->sched.failed = true;
    pthread_cond_broadcast(&b->sched.stage_cv);
    pthread_mutex_unlock(&b->lock);
    return rc;
}

void schedule_release(struct build_sched *s)
{
    for (size_t i = 0; i < s->nstages; i++)
        stage_release(&s->stages[i]);
    free(s->stages);
    for (size_t i = 0; i < s->nexternals; i++) {
        stage_release(s->externals[i]);
        free(s->externals[i]);
    }
    free(s->externals);
}
