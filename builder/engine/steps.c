/* Steps (steps.h): numbering, progress events and logging. */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "build.h"
#include "util.h"

static __thread int tls_step;    /* the step this thread is running */
static __thread bool tls_cached; /* ...was a cache hit */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void step_log(struct build *b, enum kiln_log_level level, const char *fmt, ...)
{
    if (!b->o->progress.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) >= 0) {
        pthread_mutex_lock(&b->lock);
        /* a warning once per build, however many stages meet its cause (a base layer two
         * parallel stages unpack) */
        if (level != KILN_LOG_WARN || strset_add(&b->steps.warned, msg))
            b->o->progress.log(b->o->progress.ctx, level, msg);
        pthread_mutex_unlock(&b->lock);
        free(msg);
    }
    va_end(ap);
}

void step_output(struct build *b, const char *data, size_t len)
{
    if (!b->o->progress.step_output)
        return;
    pthread_mutex_lock(&b->lock);
    b->o->progress.step_output(b->o->progress.ctx, tls_step, data, len);
    pthread_mutex_unlock(&b->lock);
}

void step_mark_cached(struct build *b)
{
    (void)b;
    tls_cached = true;
}

int step_current(void)
{
    return tls_step;
}

void step_set_current(int id)
{
    tls_step = id;
}

struct step step_begin(struct build *b, struct build_stage *st, const char *text)
{
    size_t i = ++st->step;
    cleanup_free char *title = *st->title
                                   ? xasprintf("[%s %zu/%zu] %s", st->title, i, st->nsteps, text)
                                   : xasprintf("[%zu/%zu] %s", i, st->nsteps, text);
    pthread_mutex_lock(&b->lock);
    int id = ++b->steps.last;
    if (b->o->progress.step_start)
        b->o->progress.step_start(b->o->progress.ctx, id, title);
    pthread_mutex_unlock(&b->lock);
    tls_step = id;
    tls_cached = false;
    return (struct step){id, now_seconds()};
}

void step_end(struct build *b, const struct step *s, const kiln_error_t *err)
{
    pthread_mutex_lock(&b->lock);
    if (b->o->progress.step_done)
        b->o->progress.step_done(b->o->progress.ctx, s->id, tls_cached && !err,
                                 now_seconds() - s->start, err);
    pthread_mutex_unlock(&b->lock);
    tls_cached = false;
}

void steps_release(struct build_steps *s)
{
    strset_release(&s->warned);
}
