/* Steps (steps.c): numbering, progress events and logging. Stages may build in parallel
 * threads, so everything that reaches the progress callbacks goes through b->lock, and the
 * current step of a thread is thread-local. */
#ifndef KILN_ENGINE_STEPS_H
#define KILN_ENGINE_STEPS_H

#include <stddef.h>

#include "kiln/kiln.h"
#include "strset.h"

struct build;
struct build_stage;

struct build_steps {
    int last;             /* the last step number given (b->lock) */
    struct strset warned; /* warnings printed (b->lock): each is printed once */
};

/* A message for the progress log; a warning is printed once per build. */
void step_log(struct build *b, enum kiln_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Output of the current step (RUN). */
void step_output(struct build *b, const char *data, size_t len);
/* The current step of this thread was a cache hit. */
void step_mark_cached(struct build *b);
int step_current(void);
void step_set_current(int id);
struct step {
    int id;
    double start; /* CLOCK_MONOTONIC seconds */
};
/* Starts the next step of stage st, titled "[stage i/N] text" as BuildKit titles it ("[i/N]"
 * in a file of one stage). */
struct step step_begin(struct build *b, struct build_stage *st, const char *text);
/* Ends step s of this thread, failed when err is set. */
void step_end(struct build *b, const struct step *s, const kiln_error_t *err);
void steps_release(struct build_steps *s);

#endif
