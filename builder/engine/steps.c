/* Steps: numbering, progress events, logging and instruction errors. Stages may build in
 * parallel threads, so everything that reaches the progress callbacks or the shared build
 * state goes through b->lock, and the current step of a thread is thread-local. */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "build.h"
#include "util.h"

static __thread int tls_step;    /* the step this thread is running */
static __thread bool tls_cached; /* ...was a cache hit */

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void build_log(struct build *b, enum kiln_log_level level, const char *fmt, ...)
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
        if (level != KILN_LOG_WARN || strset_add(&b->warned, msg))
            b->o->progress.log(b->o->progress.ctx, level, msg);
        pthread_mutex_unlock(&b->lock);
        free(msg);
    }
    va_end(ap);
}

void build_output(struct build *b, const char *data, size_t len)
{
    if (!b->o->progress.step_output)
        return;
    pthread_mutex_lock(&b->lock);
    b->o->progress.step_output(b->o->progress.ctx, tls_step, data, len);
    pthread_mutex_unlock(&b->lock);
}

void build_mark_cached(struct build *b)
{
    (void)b;
    tls_cached = true;
}

int build_current_step(void)
{
    return tls_step;
}

void build_set_current_step(int id)
{
    tls_step = id;
}

int instr_wrap(struct build *b, const struct df_instr *in, kiln_error_t **err)
{
    return kiln_err_wrap(err, "%s:%d: %s", b->dfname, in->line, df_cmd_name(in->cmd));
}

int instr_err(struct build *b, const struct df_instr *in, kiln_error_t **err, enum kiln_code code,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_verr(err, code, 0, fmt, ap);
    va_end(ap);
    return instr_wrap(b, in, err);
}

int step_begin(struct build *b, struct build_stage *st, size_t i, const char *text)
{
    cleanup_free char *title =
        xasprintf("[%s %zu/%zu] %s", st->title, i + 1, st->df->ninstrs + 1, text);
    pthread_mutex_lock(&b->lock);
    int id = ++b->step;
    if (b->o->progress.step_start)
        b->o->progress.step_start(b->o->progress.ctx, id, title);
    pthread_mutex_unlock(&b->lock);
    tls_step = id;
    tls_cached = false;
    return id;
}

void step_end(struct build *b, int id, double start, const kiln_error_t *err)
{
    pthread_mutex_lock(&b->lock);
    if (b->o->progress.step_done)
        b->o->progress.step_done(b->o->progress.ctx, id, tls_cached && !err, now_seconds() - start,
                                 err);
    pthread_mutex_unlock(&b->lock);
    tls_cached = false;
}

void build_note_layer(struct build *b, const char *digest)
{
    pthread_mutex_lock(&b->lock);
    strv_push(&b->new_layers, &b->nnew_layers, xstrdup(digest));
    pthread_mutex_unlock(&b->lock);
}
