#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "jsonargs.h"
#include "lineparse.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

enum { PH_SPACES, PH_WORD, PH_QUOTE };

static bool is_re_ws(char c) /* BuildKit's reWhitespace: [\t\v\f\r ] */
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static void node_add_arg(struct df_node *nd, const char *s, size_t len)
{
    vec_reserve(&nd->args, nd->nargs, sizeof(*nd->args));
    nd->args[nd->nargs++] = (struct df_bytes){xstrndup(s, len), len};
}

/* extractBuilderFlags works on bytes and turns each into a rune: bytes >= 0x80 come out as
 * their Latin-1 code point, and 0x85 and 0xA0 count as spaces. */
static bool flag_space(unsigned char c)
{
    return unicode_is_space(c);
}

static void flag_put(struct buf *w, unsigned char c)
{
    unicode_buf_add(w, c, NULL);
}

struct flag_scan {
    const char *s;
    size_t n, pos;
    char esc;
    struct buf word;
    char quote;
    bool blank_ok;
    int phase;
    struct df_node *nd;
};

static void flag_push(struct flag_scan *f)
{
    strv_add(&f->nd->flags, &f->nd->nflags, xstrndup(buf_str(&f->word), f->word.len));
    buf_reset(&f->word);
}

/* One byte inside a flag word or quote; 1 when the flags end at f->pos. */
static int flag_byte(struct flag_scan *f, unsigned char ch)
{
    if (f->phase == PH_WORD) {
        if (flag_space(ch)) {
            f->phase = PH_SPACES;
            if (f->word.len == 2 && memcmp(f->word.data, "--", 2) == 0)
                return 1;
            if (f->blank_ok || f->word.len > 0)
                flag_push(f);
            buf_reset(&f->word);
            f->blank_ok = false;
            return 0;
        }
        if (ch == '\'' || ch == '"') {
            f->quote = (char)ch, f->blank_ok = true, f->phase = PH_QUOTE;
            return 0;
        }
    } else if (ch == (unsigned char)f->quote) {
        f->phase = PH_WORD;
        return 0;
    }
    if (ch == (unsigned char)f->esc) {
        if (f->pos + 1 == f->n) {
            if (f->phase == PH_QUOTE)
                f->phase = PH_WORD;
            return 0;
        }
        ch = (unsigned char)f->s[++f->pos];
    }
    flag_put(&f->word, ch);
    return 0;
}

/* Returns the offset where the arguments start (f->n when the line is all flags). */
static size_t extract_flags(struct flag_scan *f)
{
    for (f->pos = 0; f->pos <= f->n; f->pos++) {
        unsigned char ch = f->pos < f->n ? (unsigned char)f->s[f->pos] : 0;
        if (f->phase == PH_SPACES) {
            if (f->pos == f->n)
                break;
            if (flag_space(ch))
                continue;
            if (ch != '-' || f->pos + 1 == f->n || f->s[f->pos + 1] != '-')
                return f->pos;
            f->phase = PH_WORD;
        }
        if (f->pos == f->n) {
            bool dashdash = f->word.len == 2 && memcmp(f->word.data, "--", 2) == 0;
            if (!dashdash && (f->blank_ok || f->word.len > 0))
                flag_push(f);
            break;
        }
        if (flag_byte(f, ch) == 1)
            return f->pos;
    }
    return f->n;
}

struct words_scan {
    const char *s;
    size_t n;
    char esc;
    struct buf w;
    char **v;
    size_t count;
    bool blank_ok;
};

static void words_push(struct words_scan *ws)
{
    strv_add(&ws->v, &ws->count, xstrndup(buf_str(&ws->w), ws->w.len));
    buf_reset(&ws->w);
}

static uint32_t decode_at(const struct words_scan *ws, size_t pos, size_t *w)
{
    return unicode_decode(ws->s + pos, ws->n - pos, w);
}

/* One rune of a word or quote at *pos (width *w); may consume the escaped rune too. */
static void word_rune(struct words_scan *ws, int *phase, uint32_t *quote, size_t *pos, size_t *w,
                      uint32_t ch)
{
    if (*phase == PH_WORD) {
        if (ch == '\'' || ch == '"')
            *quote = ch, ws->blank_ok = true, *phase = PH_QUOTE;
        if (ch == (unsigned char)ws->esc) {
            if (*pos + *w == ws->n)
                return; /* an escape at the end of the line is dropped */
            unicode_buf_add(&ws->w, ch, NULL);
            *pos += *w;
            ch = decode_at(ws, *pos, w);
        }
    } else {
        if (ch == *quote)
            *phase = PH_WORD;
        if (ch == (unsigned char)ws->esc && *quote != '\'') {
            if (*pos + *w == ws->n) {
                *phase = PH_WORD;
                return;
            }
            *pos += *w;
            unicode_buf_add(&ws->w, ch, NULL);
            ch = decode_at(ws, *pos, w);
        }
    }
    unicode_buf_add(&ws->w, ch, NULL);
}

char **lineparse_words(const char *s, size_t len, char escape, size_t *n)
{
    struct words_scan ws = {s, len, escape, BUF_INIT(4 * len + 16), NULL, 0, false};
    int phase = PH_SPACES;
    uint32_t quote = 0, ch = 0;
    for (size_t pos = 0, w = 0; pos <= len; pos += w) {
        if (pos != len)
            ch = decode_at(&ws, pos, &w);
        if (phase == PH_SPACES) {
            if (pos == len)
                break;
            if (unicode_is_space(ch))
                continue;
            phase = PH_WORD;
        }
        if (pos == len) {
            if (ws.blank_ok || ws.w.len > 0)
                words_push(&ws);
            break;
        }
        if (phase == PH_WORD && unicode_is_space(ch)) {
            phase = PH_SPACES;
            if (ws.blank_ok || ws.w.len > 0)
                words_push(&ws);
            buf_reset(&ws.w);
            ws.blank_ok = false;
            continue;
        }
        word_rune(&ws, &phase, &quote, &pos, &w, ch);
    }
    buf_release(&ws.w);
    *n = ws.count;
    return ws.v ? ws.v : xcalloc(1, sizeof(char *));
}

static int parse_ws_list(struct df_node *nd, const char *rest, char esc, kiln_error_t **err)
{
    (void)esc, (void)err;
    size_t n = strlen(rest);
    for (size_t p = 0; p < n;) {
        size_t e = p;
        while (e < n && !is_re_ws(rest[e]))
            e++;
        node_add_arg(nd, rest + p, e - p);
        p = e;
        while (p < n && is_re_ws(rest[p]))
            p++;
    }
    return 0;
}

static int parse_string(struct df_node *nd, const char *rest, char esc, kiln_error_t **err)
{
    (void)esc, (void)err;
    if (*rest)
        node_add_arg(nd, rest, strlen(rest));
    return 0;
}

/* 1: it was a JSON array of strings; 0: not JSON; -1: JSON but not all strings. */
static int parse_json(struct df_node *nd, const char *rest, kiln_error_t **err)
{
    size_t len = strlen(rest), w;
    while ((w = unicode_space_len(rest, len)) > 0)
        rest += w, len -= w;
    if (*rest != '[')
        return 0;
    struct df_bytes *v = NULL;
    size_t n = 0;
    enum jsonargs_result r = jsonargs_parse(rest, len, &v, &n);
    if (r == JSONARGS_NOT_STRINGS)
        return kiln_err(err, KILN_EINPUT, 0,
                        "when using JSON array syntax, arrays must be comprised of strings only");
    if (r == JSONARGS_NOT_JSON)
        return 0;
    nd->args = v;
    nd->nargs = n;
    nd->json = true;
    return 1;
}

static int parse_maybe_json(struct df_node *nd, const char *rest, char esc, kiln_error_t **err)
{
    if (!*rest)
        return 0;
    int r = parse_json(nd, rest, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    return parse_string(nd, rest, esc, err);
}

static int parse_maybe_json_list(struct df_node *nd, const char *rest, char esc, kiln_error_t **err)
{
    int r = parse_json(nd, rest, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    return parse_ws_list(nd, rest, esc, err);
}

static int parse_name_or_name_val(struct df_node *nd, const char *rest, char esc,
                                  kiln_error_t **err)
{
    (void)err;
    size_t n;
    cleanup_strv char **words = lineparse_words(rest, strlen(rest), esc, &n);
    for (size_t i = 0; i < n; i++)
        node_add_arg(nd, words[i], strlen(words[i]));
    return 0;
}

static void add_kv(struct df_node *nd, const char *k, size_t kl, const char *v, size_t vl,
                   const char *sep)
{
    node_add_arg(nd, k, kl);
    node_add_arg(nd, v, vl);
    node_add_arg(nd, sep, strlen(sep));
}

static int quoted_error(kiln_error_t **err, const char *fmt_pre, const char *word,
                        const char *fmt_post)
{
    cleanup_free char *q = unicode_quoted(word, strlen(word));
    return kiln_err(err, KILN_EINPUT, 0, "%s%s%s", fmt_pre, q, fmt_post);
}

/* ENV and LABEL: "k=v ..." triples with "=", or the legacy "k v" with "". */
static int parse_name_val(struct df_node *nd, const char *rest, char esc, const char *key,
                          kiln_error_t **err)
{
    size_t n;
    cleanup_strv char **words = lineparse_words(rest, strlen(rest), esc, &n);
    if (n == 0)
        return 0;
    if (!strchr(words[0], '=')) {
        size_t k = 0, len = strlen(rest);
        while (k < len && !is_re_ws(rest[k]))
            k++;
        if (k == len)
            return kiln_err(err, KILN_EINPUT, 0, "%s must have two arguments", key);
        size_t v = k;
        while (v < len && is_re_ws(rest[v]))
            v++;
        add_kv(nd, rest, k, rest + v, len - v, "");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(words[i], '=');
        if (!eq)
            return quoted_error(err, "Syntax error - can't find = in ", words[i],
                                ". Must be of the form: name=value");
        add_kv(nd, words[i], (size_t)(eq - words[i]), eq + 1, strlen(eq + 1), "=");
    }
    return 0;
}

static int parse_env(struct df_node *nd, const char *rest, char esc, kiln_error_t **err)
{
    return parse_name_val(nd, rest, esc, "ENV", err);
}

static int parse_label(struct df_node *nd, const char *rest, char esc, kiln_error_t **err)
{
    return parse_name_val(nd, rest, esc, "LABEL", err);
}

/* HEALTHCHECK: the type word, then the command as for CMD. Byte-wise spaces, as BuildKit. */
static int parse_health(struct df_node *nd, const char *rest, char esc, kiln_error_t **err)
{
    size_t sep = 0, n = strlen(rest);
    while (sep < n && !unicode_is_space((unsigned char)rest[sep]))
        sep++;
    size_t next = sep;
    while (next < n && unicode_is_space((unsigned char)rest[next]))
        next++;
    if (sep == 0)
        return 0;
    struct df_node cmd = {0};
    int r = parse_maybe_json(&cmd, rest + next, esc, err);
    if (r == 0) {
        node_add_arg(nd, rest, sep);
        for (size_t i = 0; i < cmd.nargs; i++) {
            vec_reserve(&nd->args, nd->nargs, sizeof(*nd->args));
            nd->args[nd->nargs++] = cmd.args[i];
        }
        nd->json = cmd.json;
    } else {
        for (size_t i = 0; i < cmd.nargs; i++)
            free(cmd.args[i].s);
    }
    free(cmd.args);
    return r;
}

typedef int (*line_parser_fn)(struct df_node *nd, const char *rest, char esc, kiln_error_t **err);

static const struct {
    const char *name;
    line_parser_fn fn;
} line_parsers[DF_CMD_COUNT] = {
    [DF_ADD] = {"add", parse_maybe_json_list},
    [DF_ARG] = {"arg", parse_name_or_name_val},
    [DF_CMD] = {"cmd", parse_maybe_json},
    [DF_COPY] = {"copy", parse_maybe_json_list},
    [DF_ENTRYPOINT] = {"entrypoint", parse_maybe_json},
    [DF_ENV] = {"env", parse_env},
    [DF_EXPOSE] = {"expose", parse_ws_list},
    [DF_FROM] = {"from", parse_ws_list},
    [DF_HEALTHCHECK] = {"healthcheck", parse_health},
    [DF_LABEL] = {"label", parse_label},
    [DF_MAINTAINER] = {"maintainer", parse_string},
    [DF_ONBUILD] = {"onbuild", NULL},
    [DF_RUN] = {"run", parse_maybe_json},
    [DF_SHELL] = {"shell", parse_maybe_json},
    [DF_STOPSIGNAL] = {"stopsignal", parse_string},
    [DF_USER] = {"user", parse_string},
    [DF_VOLUME] = {"volume", parse_maybe_json_list},
    [DF_WORKDIR] = {"workdir", parse_string},
};

int lineparse_cmd(const char *word)
{
    cleanup_free char *lower = unicode_lower(word);
    for (int i = 0; i < DF_CMD_COUNT; i++)
        if (strcmp(lower, line_parsers[i].name) == 0)
            return i;
    return -1;
}

/* splitCommand: the command word, the flags, and the trimmed rest. */
static char *split_command(struct df_node *nd, const char *line, char escape)
{
    size_t a, len;
    unicode_trim_space(line, strlen(line), &a, &len);
    const char *t = line + a;
    size_t c = 0;
    while (c < len && !is_re_ws(t[c]))
        c++;
    nd->value = xstrndup(t, c);
    if (c == len)
        return xstrdup("");
    size_t r = c;
    while (r < len && is_re_ws(t[r]))
        r++;
    struct flag_scan f = {t + r, len - r, 0,         escape, BUF_INIT(2 * len + 16),
                          0,     false,   PH_SPACES, nd};
    size_t off = extract_flags(&f);
    buf_release(&f.word);
    size_t ra, rl;
    unicode_trim_space(t + r + off, len - r - off, &ra, &rl);
    return xstrndup(t + r + off + ra, rl);
}

int lineparse_node(struct df_node *nd, const char *line, char escape, int depth, kiln_error_t **err)
{
    nd->original = xstrdup(line);
    cleanup_free char *rest = split_command(nd, line, escape);
    int cmd = lineparse_cmd(nd->value);
    if (cmd < 0) {
        node_add_arg(nd, "", 0); /* BuildKit's parseIgnore leaves one empty node */
        return 0;
    }
    if (cmd != DF_ONBUILD)
        return line_parsers[cmd].fn(nd, rest, escape, err);
    if (!*rest)
        return 0;
    if (depth >= LINEPARSE_MAX_DEPTH)
        return kiln_err(err, KILN_ELIMIT, 0, "ONBUILD nested more than %d deep",
                        LINEPARSE_MAX_DEPTH);
    nd->sub = xcalloc(1, sizeof(*nd->sub));
    return lineparse_node(nd->sub, rest, escape, depth + 1, err);
}
