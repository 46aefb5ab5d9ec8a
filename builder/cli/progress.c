/* Progress output in the style of BuildKit's plain mode:
 *   #3 [stage-0 2/4] COPY a /b
 *   #3 <output lines>
 *   #3 DONE 0.1s
 * quiet prints nothing but warnings and errors; json prints one object per event. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define TTY_TAIL 6 /* output lines of the running step shown in tty mode */

struct progress_state {
    enum kiln_progress_mode mode;
    /* tty mode: the live region at the bottom (running step + its last output lines) */
    char running[512];
    int running_id;
    char tail[TTY_TAIL][160];
    int ntail, live_lines, done, total;
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

/* ---- tty: finished steps scroll up, the running step is redrawn in place ---- */

static void tty_clear_live(void)
{
    if (state.live_lines)
        fprintf(stderr, "\033[%dF\033[J", state.live_lines);
    state.live_lines = 0;
}

/* Live lines are cut to the terminal's width: a wrapped line would break the redraw. */
static int tty_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col - 1;
    return 79;
}

static void tty_draw_live(void)
{
    if (!state.running_id)
        return;
    int w = tty_width();
    fprintf(stderr, "\033[1m => %.*s\033[0m\n", w - 4, state.running);
    state.live_lines = 1;
    for (int i = 0; i < state.ntail; i++, state.live_lines++)
        fprintf(stderr, "\033[2m => => # %.*s\033[0m\n", w - 9, state.tail[i]);
    fflush(stderr);
}

static void tty_output(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' || state.npartial == 150) {
            if (state.ntail == TTY_TAIL) {
                memmove(state.tail[0], state.tail[1], sizeof(state.tail[0]) * (TTY_TAIL - 1));
                state.ntail--;
            }
            snprintf(state.tail[state.ntail++], sizeof(state.tail[0]), "%.*s", (int)state.npartial,
                     state.partial);
            state.npartial = 0;
            if (data[i] == '\n')
                continue;
        }
        if (data[i] != '\r')
            state.partial[state.npartial++] = data[i];
    }
    tty_clear_live();
    tty_draw_live();
}

static void tty_done(bool cached, double seconds, const kiln_error_t *err)
{
    tty_clear_live();
    state.done++;
    if (err)
        fprintf(stderr, " => \033[31mERROR %s\033[0m\n", state.running);
    else
        fprintf(stderr, " => %s%s %*.1fs\n", cached ? "CACHED " : "", state.running, cached ? 0 : 1,
                seconds);
    if (err)
        for (int i = 0; i < state.ntail; i++)
            fprintf(stderr, " => => # %s\n", state.tail[i]);
    state.running_id = 0;
    state.ntail = 0;
    state.npartial = 0;
}

static void on_start(void *ctx, int id, const char *title)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_TTY) {
        tty_clear_live();
        snprintf(state.running, sizeof(state.running), "%s", title);
        state.running_id = id;
        state.ntail = 0;
        tty_draw_live();
        return;
    }
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(json_pack("{s:s,s:i,s:s}", "event", "step", "id", id, "name", title));
    flush_partial();
    fprintf(stderr, "#%d %s\n", id, title);
}

static void on_output(void *ctx, int id, const char *data, size_t len)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(
            json_pack("{s:s,s:i,s:s%}", "event", "output", "id", id, "data", data, len));
    if (state.mode == KILN_PROGRESS_TTY)
        return tty_output(data, len);
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
        return json_event(json_pack("{s:s,s:i,s:b,s:f,s:s?}", "event", "done", "id", id, "cached",
                                    cached, "seconds", seconds, "error", err ? err->msg : NULL));
    if (state.mode == KILN_PROGRESS_TTY)
        return tty_done(cached, seconds, err);
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
    if (state.mode == KILN_PROGRESS_TTY)
        tty_clear_live();
    else
        flush_partial();
    fprintf(stderr, "%s%s\n", level == KILN_LOG_WARN ? "WARNING: " : "", msg);
    if (state.mode == KILN_PROGRESS_TTY)
        tty_draw_live();
}

void progress_init(struct kiln_progress *p, enum kiln_progress_mode mode)
{
    memset(&state, 0, sizeof(state));
    if (mode == KILN_PROGRESS_AUTO)
        mode = isatty(STDERR_FILENO) && getenv("TERM") && strcmp(getenv("TERM"), "dumb")
                   ? KILN_PROGRESS_TTY
                   : KILN_PROGRESS_PLAIN;
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
    if (state.mode == KILN_PROGRESS_TTY)
        tty_clear_live();
    else
        flush_partial();
}
