/* Progress output in the style of BuildKit's plain mode:
 *   #3 [stage-0 2/4] COPY a /b
 *   #3 <output lines>
 *   #3 DONE 0.1s
 * quiet prints nothing but warnings and errors; json prints one object per event.
 *
 * Everything the build hands over (step output, step titles from the Dockerfile, log messages)
 * is untrusted text: plain and tty modes print it through termsafe_escape, so a step cannot
 * write escape sequences to the user's terminal (OSC 52 clipboard writes, title changes, cursor
 * movement); they show as "\x1b]52;...". A carriage return ends a line as a newline does. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "termsafe.h"
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
    bool after_cr; /* the last output byte was a carriage return */
};

static struct progress_state state;

/* Prints one event; takes the reference. */
static void json_event(json_t *ev)
{
    cleanup_json json_t *owned = ev;
    cleanup_free char *s = json_dumps(owned, JSON_COMPACT | JSON_SORT_KEYS);
    if (s)
        fprintf(stderr, "%s\n", s);
}

/* Prints "prefix<text>suffix" with text escaped for the terminal. */
static void print_safe(const char *prefix, const char *text, size_t n, const char *suffix)
{
    cleanup_free char *safe = termsafe_escape(text, n);
    fprintf(stderr, "%s%s%s", prefix, safe, suffix);
}

static void print_line(int id, const char *text, size_t n)
{
    char prefix[24];
    snprintf(prefix, sizeof(prefix), "#%d ", id);
    print_safe(prefix, text, n, "\n");
}

/* Splits step output into lines: '\n', '\r' and "\r\n" end one; a line that fills the buffer
 * ends there (at a character boundary). Calls line() for each complete line. */
static void split_lines(const char *data, size_t len, void (*line)(const char *, size_t))
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        bool crlf = c == '\n' && state.after_cr;
        state.after_cr = c == '\r';
        if (crlf)
            continue;
        if (c == '\n' || c == '\r') {
            line(state.partial, state.npartial);
            state.npartial = 0;
            continue;
        }
        if (state.npartial == sizeof(state.partial)) {
            size_t k = termsafe_complete(state.partial, state.npartial);
            k = k ? k : state.npartial;
            line(state.partial, k);
            memmove(state.partial, state.partial + k, state.npartial - k);
            state.npartial -= k;
        }
        state.partial[state.npartial++] = c;
    }
}

static void plain_line(const char *text, size_t n)
{
    print_line(state.partial_id, text, n);
}

static void flush_partial(void)
{
    if (state.npartial)
        print_line(state.partial_id, state.partial, state.npartial);
    state.npartial = 0;
    state.after_cr = false;
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

/* The first max bytes of s (already escaped), cut at a character boundary. */
static int tty_cut(const char *s, int max)
{
    size_t n = strlen(s);
    return max <= 0 ? 0 : (int)termsafe_complete(s, n < (size_t)max ? n : (size_t)max);
}

static void tty_draw_live(void)
{
    if (!state.running_id)
        return;
    int w = tty_width();
    fprintf(stderr, "\033[1m => %.*s\033[0m\n", tty_cut(state.running, w - 4), state.running);
    state.live_lines = 1;
    for (int i = 0; i < state.ntail; i++, state.live_lines++)
        fprintf(stderr, "\033[2m => => # %.*s\033[0m\n", tty_cut(state.tail[i], w - 9),
                state.tail[i]);
    fflush(stderr);
}

/* Keeps the escaped line in the tail (cut to the tail's width at a character boundary). */
static void tty_line(const char *text, size_t n)
{
    if (state.ntail == TTY_TAIL) {
        memmove(state.tail[0], state.tail[1], sizeof(state.tail[0]) * (TTY_TAIL - 1));
        state.ntail--;
    }
    cleanup_free char *safe = termsafe_escape(text, n);
    char *t = state.tail[state.ntail++];
    int k = tty_cut(safe, (int)sizeof(state.tail[0]) - 1);
    memcpy(t, safe, (size_t)k);
    t[k] = '\0';
}

static void tty_output(const char *data, size_t len)
{
    split_lines(data, len, tty_line);
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
    state.after_cr = false;
}

static void on_start(void *ctx, int id, const char *title)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_TTY) {
        tty_clear_live();
        cleanup_free char *safe = termsafe_escape(title, strlen(title));
        int k = tty_cut(safe, (int)sizeof(state.running) - 1);
        memcpy(state.running, safe, (size_t)k);
        state.running[k] = '\0';
        state.running_id = id;
        state.ntail = 0;
        tty_draw_live();
        return;
    }
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(json_pack("{s:s,s:i,s:s}", "event", "step", "id", id, "name", title));
    flush_partial();
    print_line(id, title, strlen(title));
}

static void on_output(void *ctx, int id, const char *data, size_t len)
{
    (void)ctx;
    if (state.mode == KILN_PROGRESS_JSON)
        return json_event(
            json_pack("{s:s,s:i,s:s%}", "event", "output", "id", id, "data", data, len));
    if (state.mode == KILN_PROGRESS_TTY)
        return tty_output(data, len);
    if (state.partial_id != id)
        flush_partial();
    state.partial_id = id;
    split_lines(data, len, plain_line);
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
    if (err) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "#%d ERROR: ", id);
        print_safe(prefix, err->msg, strlen(err->msg), "\n");
    } else if (cached)
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
    print_safe(level == KILN_LOG_WARN ? "WARNING: " : "", msg, strlen(msg), "\n");
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
