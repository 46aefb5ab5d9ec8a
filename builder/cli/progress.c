/* Progress output in the style of BuildKit's plain mode:
 *   #3 [stage-0 2/4] COPY a /b
 *   #3 <output lines>
 *   #3 DONE 0.1s
 * quiet prints nothing but warnings and errors; json prints one object per event. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

struct progress_state {
    enum kiln_progress_mode mode;
    char partial[4096]; /* an output line not yet ended */
    size_t npartial;
    int partial_id;
};

static struct progress_state state;

static void json_event(json_t *ev)
{
    char *s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    if (s)
        fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(ev);
}

static void flush_partial(void)
{
    if (!state.npartial)
        return;
    fprintf(stderr, "#%d %.*s\n", state.partial_id, (int)state.npartial, state.partial);
    state.npartial = 0;
}

static void on_start(void *ctx, int id, const char *title)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(json_pack("{s:s,s:i,s:s}", "event", "step", "id", id, "name", title));
    flush_partial();
    fprintf(stderr, "#%d %s\n", id, title);
}

static void on_output(void *ctx, int id, const char *data, size_t len)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(json_pack("{s:s,s:i,s:s%}", "event", "output", "id", id, "data", data,
                                    len));
    if (state.npartial && state.partial_id != id)
        flush_partial();
    state.partial_id = id;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' || state.npartial == sizeof(state.partial)) {
            fprintf(stderr, "#%d %.*s\n", id, (int)state.npartial, state.partial);
            state.npartial = 0;
            if (data[i] == '\n')
                continue;
        }
        state.partial[state.npartial++] = data[i];
    }
}

static void on_done(void *ctx, int id, bool cached, double seconds, const kiln_error_t *err)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(json_pack("{s:s,s:i,s:b,s:f,s:s?}", "event", "done", "id", id,
                                    "cached", cached, "seconds", seconds, "error",
                                    err ? err->msg : NULL));
    flush_partial();
    if (err)
        fprintf(stderr, "#%d ERROR: %s\n", id, err->msg);
    else if (cached)
        fprintf(stderr, "#%d CACHED\n", id);
    else
        fprintf(stderr, "#%d DONE %.1fs\n", id, seconds);
}

static void on_log(void *ctx, enum kiln_log_level level, const char *msg)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(json_pack("{s:s,s:s,s:s}", "event", "log", "level",
                                    level == KILN_LOG_WARN ? "warning" : "info", "message", msg));
    if (level == KILN_LOG_INFO && state.mode == KILN_PROGRESS_QUIET)
        return;
    flush_partial();
    fprintf(stderr, "%s%s\n", level == KILN_LOG_WARN ? "WARNING: " : "", msg);
}

void progress_init(struct kiln_progress *p, enum kiln_progress_mode mode)
{
    memset(&state, 0, sizeof(state));
    state.mode = mode;
    memset(p, 0, sizeof(*p));
    p->log = on_log;
    if (mode == KILN_PROGRESS_QUIET)
        return;
    p->step_start = on_start;
    p->step_output = on_output;
    p->step_done = on_done;
}

void progress_finish(struct kiln_progress *p)
{
    (void)p;
    flush_partial();
}
