/* Stage scheduling (schedule.c), over the plan's stage graph (plan.h): a stage builds its FROM
 * stage first, in its own thread; its other dependencies (COPY --from, RUN --mount from=)
 * start in parallel threads while its own steps run, and an instruction that needs one waits
 * for it there. At most one stage per core runs steps at a time. The plan refuses a cycle
 * among the stages before anything runs. */
#ifndef KILN_ENGINE_SCHEDULE_H
#define KILN_ENGINE_SCHEDULE_H

#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"
#include "stage.h"

struct build;

struct build_sched {
    struct build_stage *stages; /* one per stage of the Dockerfile */
    size_t nstages;
    struct build_stage **externals; /* images COPY --from names, by title (b->lock) */
    size_t nexternals;
    pthread_cond_t stage_cv; /* a stage changed state (with b->lock) */
    sem_t slots;             /* stages running their steps at once (the number of cores) */
    bool failed;             /* some stage failed: the others stop at their next step */
};

/* Builds st (and first what it depends on) unless it is built or being built by another thread,
 * in which case it waits for that. */
int schedule_stage(struct build *b, struct build_stage *st, kiln_error_t **err);
/* The stages st needs (its dependencies in the plan, then its FROM stage), each once. */
size_t schedule_deps(struct build *b, struct build_stage *st, struct build_stage **deps,
                     size_t max);
void schedule_release(struct build_sched *s);

#endif
