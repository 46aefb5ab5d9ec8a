/* Minimal Dockerfile parser for the first slice: comments, line continuations, flags, JSON and
 * shell forms, ENV/LABEL pairs, FROM ... AS. The full BuildKit-parity parser replaces this file
 * behind the same interface (frontend/dockerfile.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "jsonargs.h"
#include "util.h"

static const char *const cmd_names[DF_CMD_COUNT] = {
    [DF_ADD] = "ADD",           [DF_ARG] = "ARG",         [DF_CMD] = "CMD",
    [DF_COPY] = "COPY",         [DF_ENTRYPOINT] = "ENTRYPOINT", [DF_ENV] = "ENV",
    [DF_EXPOSE] = "EXPOSE",     [DF_FROM] = "FROM",       [DF_HEALTHCHECK] = "HEALTHCHECK",
    [DF_LABEL] = "LABEL",       [DF_MAINTAINER] = "MAINTAINER", [DF_ONBUILD] = "ONBUILD",
    [DF_RUN] = "RUN",           [DF_SHELL] = "SHELL",     [DF_STOPSIGNAL] = "STOPSIGNAL",
    [DF_USER] = "USER",         [DF_VOLUME] = "VOLUME",   [DF_WORKDIR] = "WORKDIR",
};

const char *df_cmd_name(enum df_cmd cmd)
{
    return (unsigned)cmd < DF_CMD_COUNT ? cmd_names[cmd] : "?";
}

const char *df_instr_flag(const struct df_instr *in, const char *name, bool *present)
{
    const char *v = NULL;
    bool found = false;
    for (size_t i = 0; i < in->nflags; i++) {
        if (strcmp(in->flags[i].name, name) == 0) {
            found = true;
            v = in->flags[i].value;
        }
    }
    if (present)
        *present = found;
    return v;
}

static int lookup_cmd(const char *word, enum df_cmd *out)
{
    for (int i = 0; i < DF_CMD_COUNT; i++) {
        if (strcasecmp(word, cmd_names[i]) == 0) {
            *out = (enum df_cmd)i;
            return 0;
        }
    }
    return -1;
}

static void instr_free_fields(struct df_instr *in)
{
    free(in->keyword);
    free(in->original);
    for (size_t i = 0; i < in->nflags; i++) {
        free(in->flags[i].name);
        free(in->flags[i].value);
    }
    free(in->flags);
    for (size_t i = 0; i < in->nargs; i++)
        free(in->args[i]);
    free(in->args);
    for (size_t i = 0; i < in->nheredocs; i++) {
        free(in->heredocs[i].name);
        free(in->heredocs[i].content);
    }
    free(in->heredocs);
    if (in->sub) {
        instr_free_fields(in->sub);
        free(in->sub);
    }
}

void df_file_free(struct df_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ninstrs; i++)
        instr_free_fields(&f->instrs[i]);
    free(f->instrs);
    free(f->meta_args);
    for (size_t i = 0; i < f->nstages; i++) {
        free(f->stages[i].name);
        free(f->stages[i].base);
        free(f->stages[i].platform);
        free(f->stages[i].instrs);
    }
    free(f->stages);
    free(f->syntax);
    free(f->check);
    free(f);
}

static void push_arg(struct df_instr *in, char *s)
{
    in->args = xrealloc(in->args, (in->nargs + 1) * sizeof(char *));
    in->args[in->nargs++] = s;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Splits at unquoted whitespace, keeping quotes and escapes in the words. */
static void split_words(struct df_instr *in, const char *p)
{
    while (*(p = skip_space(p))) {
        const char *s = p;
        char quote = 0;
        for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
            if (*p == '\\' && p[1]) {
                p++;
            } else if (quote && *p == quote) {
                quote = 0;
            } else if (!quote && (*p == '"' || *p == '\'')) {
                quote = *p;
            }
        }
        push_arg(in, xstrndup(s, (size_t)(p - s)));
    }
}

/* ENV/LABEL: "k=v k2=v2" pairs, or the legacy "k v" form. */
static int parse_pairs(struct df_instr *in, const char *rest, kiln_error_t **err)
{
    struct df_instr tmp = {0};
    split_words(&tmp, rest);
    if (tmp.nargs == 0) {
        free(tmp.args);
        return kiln_err(err, KILN_EINPUT, 0, "%s requires at least one argument",
                        df_cmd_name(in->cmd));
    }
    if (!strchr(tmp.args[0], '=')) {
        const char *sp = strpbrk(rest, " \t");
        for (size_t i = 0; i < tmp.nargs; i++)
            free(tmp.args[i]);
        free(tmp.args);
        if (!sp || !*skip_space(sp))
            return kiln_err(err, KILN_EINPUT, 0, "%s must have two arguments",
                            df_cmd_name(in->cmd));
        push_arg(in, xstrndup(rest, (size_t)(sp - rest)));
        push_arg(in, xstrdup(skip_space(sp)));
        return 0;
    }
    for (size_t i = 0; i < tmp.nargs; i++) {
        char *eq = strchr(tmp.args[i], '=');
        if (!eq) {
            const char *bad = tmp.args[i];
            kiln_err(err, KILN_EINPUT, 0, "Syntax error - can't find = in \"%s\". Must be of the form: name=value", bad);
            for (size_t j = i; j < tmp.nargs; j++)
                free(tmp.args[j]);
            free(tmp.args);
            return -1;
        }
        push_arg(in, xstrndup(tmp.args[i], (size_t)(eq - tmp.args[i])));
        push_arg(in, xstrdup(eq + 1));
        free(tmp.args[i]);
    }
    free(tmp.args);
    return 0;
}

static bool json_form_cmd(enum df_cmd c)
{
    return c == DF_RUN || c == DF_CMD || c == DF_ENTRYPOINT || c == DF_SHELL || c == DF_COPY ||
           c == DF_ADD || c == DF_VOLUME;
}

static int parse_args(struct df_instr *in, const char *rest, kiln_error_t **err)
{
    if (json_form_cmd(in->cmd) && *rest == '[') {
        char **v = NULL;
        size_t n = 0;
        if (jsonargs_parse(rest, &v, &n) == 0) {
            in->args = v;
            in->nargs = n;
            in->json = true;
            return 0;
        }
    }
    switch (in->cmd) {
    case DF_ENV:
    case DF_LABEL:
        return parse_pairs(in, rest, err);
    case DF_ARG:
    case DF_COPY:
    case DF_ADD:
    case DF_EXPOSE:
    case DF_VOLUME:
    case DF_FROM:
        split_words(in, rest);
        break;
    default:
        if (*rest)
            push_arg(in, xstrdup(rest));
        break;
    }
    if (in->nargs == 0 && in->cmd != DF_CMD && in->cmd != DF_ENTRYPOINT)
        return kiln_err(err, KILN_EINPUT, 0, "%s requires at least one argument",
                        df_cmd_name(in->cmd));
    return 0;
}

static const char *parse_flags(struct df_instr *in, const char *p)
{
    while (*(p = skip_space(p)) == '-' && p[1] == '-') {
        const char *s = p + 2;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        const char *eq = memchr(s, '=', (size_t)(p - s));
        in->flags = xrealloc(in->flags, (in->nflags + 1) * sizeof(*in->flags));
        struct df_flag *f = &in->flags[in->nflags++];
        f->name = xstrndup(s, (size_t)((eq ? eq : p) - s));
        f->value = eq ? xstrndup(eq + 1, (size_t)(p - eq - 1)) : NULL;
    }
    return p;
}

static int parse_instr(struct df_instr *in, const char *text, int line, int end_line,
                       kiln_error_t **err)
{
    const char *p = skip_space(text);
    const char *kw = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    in->keyword = xstrndup(kw, (size_t)(p - kw));
    in->original = xstrdup(skip_space(text));
    in->line = line;
    in->end_line = end_line;
    if (lookup_cmd(in->keyword, &in->cmd) < 0)
        return kiln_err(err, KILN_EINPUT, 0, "unknown instruction: %s", in->keyword);
    p = skip_space(p);
    if (in->cmd == DF_ONBUILD) {
        if (!*p)
            return kiln_err(err, KILN_EINPUT, 0, "ONBUILD requires at least one argument");
        push_arg(in, xstrdup(p));
        in->sub = xcalloc(1, sizeof(*in->sub));
        if (parse_instr(in->sub, p, line, end_line, err) < 0)
            return -1;
        if (in->sub->cmd == DF_ONBUILD || in->sub->cmd == DF_FROM ||
            in->sub->cmd == DF_MAINTAINER)
            return kiln_err(err, KILN_EINPUT, 0, "%s isn't allowed as an ONBUILD trigger",
                            df_cmd_name(in->sub->cmd));
        return 0;
    }
    if (in->cmd != DF_ENV && in->cmd != DF_LABEL && in->cmd != DF_ARG)
        p = parse_flags(in, p);
    /* trim trailing whitespace */
    cleanup_free char *rest = xstrdup(skip_space(p));
    size_t n = strlen(rest);
    while (n && isspace((unsigned char)rest[n - 1]))
        rest[--n] = '\0';
    return parse_args(in, rest, err);
}

static int add_stage(struct df_file *f, struct df_instr *from, kiln_error_t **err)
{
    if (from->nargs != 1 && !(from->nargs == 3 && strcasecmp(from->args[1], "AS") == 0))
        return kiln_err(err, KILN_EINPUT, 0, "FROM requires either one or three arguments");
    f->stages = xrealloc(f->stages, (f->nstages + 1) * sizeof(*f->stages));
    struct df_stage *s = &f->stages[f->nstages];
    memset(s, 0, sizeof(*s));
    s->index = (int)f->nstages++;
    s->base = xstrdup(from->args[0]);
    if (from->nargs == 3) {
        s->name = xstrdup(from->args[2]);
        str_lower(s->name);
    }
    const char *plat = df_instr_flag(from, "platform", NULL);
    s->platform = plat ? xstrdup(plat) : NULL;
    return 0;
}

/* Reads logical lines: joins continuations, skips comments and blank lines. */
static int read_logical(const char *data, size_t len, size_t *pos, int *lineno, struct buf *out,
                        int *start, kiln_error_t **err)
{
    buf_reset(out);
    *start = 0;
    while (*pos < len) {
        const char *s = data + *pos;
        const char *nl = memchr(s, '\n', len - *pos);
        size_t n = nl ? (size_t)(nl - s) : len - *pos;
        *pos += n + (nl ? 1 : 0);
        (*lineno)++;
        if (n > DF_MAX_LINE)
            return kiln_err(err, KILN_ELIMIT, 0, "line %d is longer than %u bytes", *lineno,
                            DF_MAX_LINE);
        while (n && (s[n - 1] == '\r'))
            n--;
        const char *t = skip_space(s);
        size_t lead = (size_t)(t - s);
        if (lead >= n || *t == '#') {
            continue;
        }
        if (!*start)
            *start = *lineno;
        bool cont = s[n - 1] == '\\';
        if (buf_add(out, t, n - lead - (cont ? 1 : 0), err) < 0)
            return -1;
        if (!cont)
            return 1;
    }
    return out->len ? 1 : 0;
}

static void parse_directive(struct df_file *f, const char *line)
{
    const char *p = skip_space(line + 1);
    const char *eq = strchr(p, '=');
    if (!eq)
        return;
    cleanup_free char *key = xstrndup(p, (size_t)(eq - p));
    char *sp = strpbrk(key, " \t");
    if (sp)
        *sp = '\0';
    str_lower(key);
    const char *val = skip_space(eq + 1);
    if (strcmp(key, "escape") == 0 && (*val == '`' || *val == '\\'))
        f->escape = *val;
    else if (strcmp(key, "syntax") == 0 && !f->syntax)
        f->syntax = xstrdup(val);
    else if (strcmp(key, "check") == 0 && !f->check)
        f->check = xstrdup(val);
}

static int parse_body(const char *name, struct df_file *f, const char *data, size_t len,
                      kiln_error_t **err)
{
    size_t pos = 0;
    int lineno = 0, start;
    cleanup_buf struct buf line = BUF_INIT(DF_MAX_LINE);
    /* parser directives: leading "# key=value" comment lines */
    while (pos < len && data[pos] == '#') {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
        cleanup_free char *l = xstrndup(data + pos, n);
        parse_directive(f, l);
        pos += n + (nl ? 1 : 0);
        lineno++;
    }
    if (f->escape == '`')
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "%s: the backtick escape directive is not supported yet", name);
    int r;
    while ((r = read_logical(data, len, &pos, &lineno, &line, &start, err)) > 0) {
        if (f->ninstrs >= DF_MAX_INSTRS)
            return kiln_err(err, KILN_ELIMIT, 0, "%s: more than %u instructions", name,
                            DF_MAX_INSTRS);
        f->instrs = xrealloc(f->instrs, (f->ninstrs + 1) * sizeof(*f->instrs));
        struct df_instr *in = &f->instrs[f->ninstrs++];
        memset(in, 0, sizeof(*in));
        if (parse_instr(in, buf_str(&line), start, lineno, err) < 0)
            return kiln_err_wrap(err, "%s:%d", name, start);
    }
    if (r < 0)
        return kiln_err_wrap(err, "%s", name);
    return 0;
}

static int build_stages(const char *name, struct df_file *f, kiln_error_t **err)
{
    for (size_t i = 0; i < f->ninstrs; i++) {
        struct df_instr *in = &f->instrs[i];
        if (in->cmd == DF_FROM) {
            if (add_stage(f, in, err) < 0)
                return kiln_err_wrap(err, "%s:%d", name, in->line);
            f->stages[f->nstages - 1].from = in;
        } else if (f->nstages == 0) {
            if (in->cmd != DF_ARG)
                return kiln_err(err, KILN_EINPUT, 0, "%s:%d: no build stage in current context",
                                name, in->line);
            f->meta_args = xrealloc(f->meta_args, (f->nmeta_args + 1) * sizeof(void *));
            f->meta_args[f->nmeta_args++] = in;
        } else {
            struct df_stage *s = &f->stages[f->nstages - 1];
            s->instrs = xrealloc(s->instrs, (s->ninstrs + 1) * sizeof(void *));
            s->instrs[s->ninstrs++] = in;
        }
    }
    if (f->ninstrs == 0)
        return kiln_err(err, KILN_EINPUT, 0, "%s: file with no instructions", name);
    if (f->nstages == 0)
        return kiln_err(err, KILN_EINPUT, 0, "%s: no build stage in current context", name);
    return 0;
}

int df_parse(const char *name, const char *data, size_t len, struct df_file **out,
             kiln_error_t **err)
{
    if (len > DF_MAX_FILE_SIZE)
        return kiln_err(err, KILN_ELIMIT, 0, "%s: larger than %u bytes", name, DF_MAX_FILE_SIZE);
    if (memchr(data, '\0', len))
        return kiln_err(err, KILN_EINPUT, 0, "%s: contains a NUL byte", name);
    struct df_file *f = xcalloc(1, sizeof(*f));
    f->escape = '\\';
    if (parse_body(name, f, data, len, err) < 0 || build_stages(name, f, err) < 0) {
        df_file_free(f);
        return -1;
    }
    *out = f;
    return 0;
}
