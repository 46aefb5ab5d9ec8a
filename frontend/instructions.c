/* The instruction layer: BuildKit's instructions.ParseInstruction, one handler per command,
 * with BuildKit's checks in BuildKit's order. */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "flags.h"
#include "heredoc.h"
#include "instr_internal.h"
#include "lineparse.h"
#include "suggest.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

static const char *const cmd_names[DF_CMD_COUNT] = {
    [DF_ADD] = "ADD",
    [DF_ARG] = "ARG",
    [DF_CMD] = "CMD",
    [DF_COPY] = "COPY",
    [DF_ENTRYPOINT] = "ENTRYPOINT",
    [DF_ENV] = "ENV",
    [DF_EXPOSE] = "EXPOSE",
    [DF_FROM] = "FROM",
    [DF_HEALTHCHECK] = "HEALTHCHECK",
    [DF_LABEL] = "LABEL",
    [DF_MAINTAINER] = "MAINTAINER",
    [DF_ONBUILD] = "ONBUILD",
    [DF_RUN] = "RUN",
    [DF_SHELL] = "SHELL",
    [DF_STOPSIGNAL] = "STOPSIGNAL",
    [DF_USER] = "USER",
    [DF_VOLUME] = "VOLUME",
    [DF_WORKDIR] = "WORKDIR",
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

struct instr_ctx {
    const struct df_node *nd;
    char esc;
    struct df_warning **warnings; /* where an invalid ONBUILD trigger is noted, or NULL */
    size_t *nwarnings;
};

const struct df_heredoc *df_instr_heredoc_source(const struct df_instr *in, const char *arg)
{
    struct df_heredoc h;
    if (heredoc_parse_word(arg, &h, NULL) != 1)
        return NULL;
    const struct df_heredoc *found = NULL;
    for (size_t i = 0; i < in->nheredocs; i++)
        if (strcmp(in->heredocs[i].name, h.name) == 0)
            found = &in->heredocs[i];
    heredoc_release(&h);
    return found;
}

static const struct flag_spec add_flags[] = {
    {"chown", FLAG_STRING},      {"chmod", FLAG_STRING},    {"link", FLAG_BOOL},
    {"keep-git-dir", FLAG_BOOL}, {"checksum", FLAG_STRING}, {"unpack", FLAG_BOOL},
    {"exclude", FLAG_STRINGS},
};
static const struct flag_spec copy_flags[] = {
    {"chown", FLAG_STRING}, {"from", FLAG_STRING},     {"chmod", FLAG_STRING},
    {"link", FLAG_BOOL},    {"exclude", FLAG_STRINGS}, {"parents", FLAG_BOOL},
};
static const struct flag_spec from_flags[] = {{"platform", FLAG_STRING}};
static const struct flag_spec run_flags[] = {
    {"device", FLAG_STRINGS},
    {"mount", FLAG_STRINGS},
    {"network", FLAG_STRING},
    {"security", FLAG_STRING},
};

static int no_flags(struct df_instr *in, kiln_error_t **err)
{
    return flags_check(in->flags, in->nflags, NULL, 0, err);
}

static int at_least_one(const struct df_instr *in, kiln_error_t **err)
{
    if (in->nargs > 0)
        return 0;
    return kiln_err(err, KILN_EINPUT, 0, "%s requires at least one argument", cmd_names[in->cmd]);
}

static int exactly_one(const struct df_instr *in, kiln_error_t **err)
{
    if (in->nargs == 1)
        return 0;
    return kiln_err(err, KILN_EINPUT, 0, "%s requires exactly one argument", cmd_names[in->cmd]);
}

/* ENV, LABEL: the node's key/value/separator triples become key/value pairs. */
static int key_values(struct df_instr *in, kiln_error_t **err)
{
    const char *name = cmd_names[in->cmd];
    if (no_flags(in, err) < 0 || at_least_one(in, err) < 0)
        return -1;
    if (in->nargs % 3 != 0)
        return kiln_err(err, KILN_EINPUT, 0, "Bad input to %s, too many arguments", name);
    for (size_t i = 0; i < in->nargs; i += 3)
        if (!*in->args[i])
            return kiln_err(err, KILN_EINPUT, 0, "%s names can not be blank", name);
    size_t w = 0;
    for (size_t i = 0; i < in->nargs; i += 3) {
        in->kv_legacy |= !*in->args[i + 2];
        free(in->args[i + 2]);
        in->args[w++] = in->args[i];
        in->args[w++] = in->args[i + 1];
    }
    in->nargs = w;
    in->args[w] = NULL;
    return 0;
}

static int instr_maintainer(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return exactly_one(in, err) < 0 ? -1 : no_flags(in, err);
}

static int instr_kv(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return key_values(in, err);
}

static void copy_options(struct df_instr *in)
{
    struct df_copy_opts *c = &in->copy;
    const char *v;
    if ((v = df_instr_flag(in, "from", NULL)) != NULL)
        c->from = xstrdup(v);
    if ((v = df_instr_flag(in, "chown", NULL)) != NULL)
        c->chown = xstrdup(v);
    if ((v = df_instr_flag(in, "chmod", NULL)) != NULL)
        c->chmod = xstrdup(v);
    if ((v = df_instr_flag(in, "checksum", NULL)) != NULL)
        c->checksum = xstrdup(v);
    c->link = flags_bool(in->flags, in->nflags, "link", false);
    c->parents = flags_bool(in->flags, in->nflags, "parents", false);
    c->keep_git_dir = flags_tristate(in->flags, in->nflags, "keep-git-dir");
    c->unpack = flags_tristate(in->flags, in->nflags, "unpack");
    for (size_t i = 0; i < in->nflags; i++)
        if (strcmp(in->flags[i].name, "exclude") == 0)
            strv_add(&c->exclude, &c->nexclude, xstrdup(in->flags[i].value));
}

static int copy_like(struct df_instr *in, const struct flag_spec *specs, size_t nspecs,
                     kiln_error_t **err)
{
    const char *name = cmd_names[in->cmd];
    if (in->nargs < 2)
        return kiln_err(err, KILN_EINPUT, 0,
                        "%s requires at least two arguments, but only one was provided. "
                        "Destination could not be determined",
                        name);
    if (flags_check(in->flags, in->nflags, specs, nspecs, err) < 0)
        return -1;
    struct df_heredoc h;
    if (heredoc_parse_word(in->args[in->nargs - 1], &h, NULL) == 1) {
        heredoc_release(&h);
        return kiln_err(err, KILN_EINPUT, 0, "%s cannot accept a heredoc as a destination", name);
    }
    copy_options(in);
    return 0;
}

static int instr_add(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return copy_like(in, add_flags, ARRAY_SIZE(add_flags), err);
}

static int instr_copy(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return copy_like(in, copy_flags, ARRAY_SIZE(copy_flags), err);
}

/* ^[a-z][a-z0-9-_.]*$ */
static bool valid_stage_name(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("-_.", *s)))
            return false;
    return true;
}

static int instr_from(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    if (in->nargs == 3 && strcasecmp(in->args[1], "as") == 0) {
        cleanup_free char *name = unicode_lower(in->args[2]);
        if (!valid_stage_name(name)) {
            cleanup_free char *q = unicode_quoted(in->args[2], strlen(in->args[2]));
            return kiln_err(err, KILN_EINPUT, 0,
                            "invalid name for build stage: %s, name can't start with a number "
                            "or contain symbols",
                            q);
        }
        in->as_keyword = xstrdup(in->args[1]);
    } else if (in->nargs != 1) {
        return kiln_err(err, KILN_EINPUT, 0, "FROM requires either one or three arguments");
    }
    return flags_check(in->flags, in->nflags, from_flags, ARRAY_SIZE(from_flags), err);
}

static int instr_workdir(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return exactly_one(in, err) < 0 ? -1 : no_flags(in, err);
}

static int run_mounts(struct df_instr *in, char esc, kiln_error_t **err)
{
    for (size_t i = 0; i < in->nflags; i++) {
        if (strcmp(in->flags[i].name, "mount") != 0)
            continue;
        vec_reserve(&in->mounts, in->nmounts, sizeof(*in->mounts));
        if (df_mount_parse(in->flags[i].value, esc, NULL, NULL, &in->mounts[in->nmounts], err) < 0)
            return -1;
        in->nmounts++;
    }
    return 0;
}

static int run_devices(struct df_instr *in, kiln_error_t **err)
{
    for (size_t i = 0; i < in->nflags; i++) {
        if (strcmp(in->flags[i].name, "device") != 0)
            continue;
        vec_reserve(&in->devices, in->ndevices, sizeof(*in->devices));
        if (device_parse(in->flags[i].value, &in->devices[in->ndevices], err) < 0)
            return -1;
        in->ndevices++;
    }
    return 0;
}

static int run_modes(struct df_instr *in, kiln_error_t **err)
{
    static const char *const nets[] = {"default", "none", "host"};
    static const char *const secs[] = {"sandbox", "insecure"};
    const char *net = df_instr_flag(in, "network", NULL);
    const char *sec = df_instr_flag(in, "security", NULL);
    size_t i;
    for (i = 0; net && i < ARRAY_SIZE(nets) && strcmp(net, nets[i]) != 0; i++)
        ;
    if (net && i == ARRAY_SIZE(nets))
        return kiln_err(err, KILN_EINPUT, 0, "invalid network mode \"%s\"", net);
    in->network = net ? (enum df_network)i : DF_NETWORK_DEFAULT;
    for (i = 0; sec && i < ARRAY_SIZE(secs) && strcmp(sec, secs[i]) != 0; i++)
        ;
    if (sec && i == ARRAY_SIZE(secs))
        return kiln_err(err, KILN_EINPUT, 0, "security \"%s\" is not valid", sec);
    in->security = sec ? (enum df_security)i : DF_SECURITY_SANDBOX;
    return 0;
}

static int instr_run(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    if (flags_check(in->flags, in->nflags, run_flags, ARRAY_SIZE(run_flags), err) < 0 ||
        run_devices(in, err) < 0 || run_mounts(in, c->esc, err) < 0)
        return -1;
    return run_modes(in, err);
}

static int instr_cmd_like(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return no_flags(in, err);
}

static int instr_health(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return healthcheck_parse(in, err);
}

static int instr_expose(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return at_least_one(in, err) < 0 ? -1 : no_flags(in, err);
}

static int instr_user(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return exactly_one(in, err) < 0 ? -1 : no_flags(in, err);
}

static int instr_volume(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    if (at_least_one(in, err) < 0 || no_flags(in, err) < 0)
        return -1;
    for (size_t i = 0; i < in->nargs; i++) {
        size_t a, len;
        unicode_trim_space(in->args[i], strlen(in->args[i]), &a, &len);
        if (len == 0)
            return kiln_err(err, KILN_EINPUT, 0, "VOLUME specified can not be an empty string");
    }
    return 0;
}

static int instr_stopsignal(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    return exactly_one(in, err); /* BuildKit does not look at its flags */
}

static int instr_arg(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    if (at_least_one(in, err) < 0)
        return -1;
    for (size_t i = 0; i < in->nargs; i++)
        if (in->args[i][0] == '=')
            return kiln_err(err, KILN_EINPUT, 0, "ARG names can not be blank");
    return 0; /* nor at ARG's */
}

static int instr_shell(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    (void)c;
    if (no_flags(in, err) < 0 || at_least_one(in, err) < 0)
        return -1;
    if (!in->json)
        return kiln_err(err, KILN_EINPUT, 0, "SHELL requires the arguments to be in JSON form");
    return 0;
}

static int instr_onbuild(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err);
static void copy_heredocs(struct df_instr *in, const struct df_node *nd);
static int instr_convert(const struct instr_ctx *c, struct df_instr *out, kiln_error_t **err);

typedef int (*instr_fn)(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err);

static const instr_fn instr_table[DF_CMD_COUNT] = {
    [DF_ADD] = instr_add,
    [DF_ARG] = instr_arg,
    [DF_CMD] = instr_cmd_like,
    [DF_COPY] = instr_copy,
    [DF_ENTRYPOINT] = instr_cmd_like,
    [DF_ENV] = instr_kv,
    [DF_EXPOSE] = instr_expose,
    [DF_FROM] = instr_from,
    [DF_HEALTHCHECK] = instr_health,
    [DF_LABEL] = instr_kv,
    [DF_MAINTAINER] = instr_maintainer,
    [DF_ONBUILD] = instr_onbuild,
    [DF_RUN] = instr_run,
    [DF_SHELL] = instr_shell,
    [DF_STOPSIGNAL] = instr_stopsignal,
    [DF_USER] = instr_user,
    [DF_VOLUME] = instr_volume,
    [DF_WORKDIR] = instr_workdir,
};

/* ONBUILD's expression: the line without "ONBUILD", heredoc bodies appended. */
static char *onbuild_expression(const struct df_node *nd)
{
    const char *s = nd->original;
    while (*s && strchr(" \t\n\f\r", *s))
        s++;
    if (strncasecmp(s, "onbuild", 7) == 0)
        for (s += 7; *s && strchr(" \t\n\f\r", *s);)
            s++;
    else
        s = nd->original;
    size_t n = strlen(s);
    for (size_t i = 0; i < nd->nheredocs; i++)
        n += 1 + strlen(nd->heredocs[i].content) + strlen(nd->heredocs[i].name);
    char *out = xmalloc(n + 1); /* the exact size: nothing to cut */
    size_t o = (size_t)snprintf(out, n + 1, "%s", s);
    for (size_t i = 0; i < nd->nheredocs; i++)
        o += (size_t)snprintf(out + o, n + 1 - o, "\n%s%s", nd->heredocs[i].content,
                              nd->heredocs[i].name);
    return out;
}

static void onbuild_trigger(struct df_instr *in, const struct instr_ctx *c)
{
    cleanup_error kiln_error_t *sub_err = NULL;
    in->sub = xcalloc(1, sizeof(*in->sub));
    struct instr_ctx sc = {c->nd->sub, c->esc, NULL, NULL};
    if (instr_convert(&sc, in->sub, &sub_err) == 0) {
        in->sub->line = in->line;
        in->sub->end_line = in->end_line;
        copy_heredocs(in->sub, c->nd);
        return;
    }
    free(in->sub);
    in->sub = NULL; /* accepted here, refused when the image is used as a base */
    if (c->warnings)
        warning_add(
            c->warnings, c->nwarnings, in->line, "InvalidOnbuildTrigger",
            xasprintf("ONBUILD trigger fails when the image is used as a base: %s", sub_err->msg));
}

static int instr_onbuild(struct df_instr *in, const struct instr_ctx *c, kiln_error_t **err)
{
    const struct df_node *nd = c->nd;
    if (!nd->sub)
        return kiln_err(err, KILN_EINPUT, 0, "ONBUILD requires at least one argument");
    if (no_flags(in, err) < 0)
        return -1;
    cleanup_free char *trig = xstrdup(nd->sub->value);
    for (char *p = trig; *p; p++)
        *p = (char)unicode_to_upper_ascii((unsigned char)*p);
    if (strcmp(trig, "ONBUILD") == 0)
        return kiln_err(err, KILN_EINPUT, 0,
                        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (strcmp(trig, "MAINTAINER") == 0 || strcmp(trig, "FROM") == 0)
        return kiln_err(err, KILN_EINPUT, 0, "%s isn't allowed as an ONBUILD trigger", trig);
    strv_add(&in->args, &in->nargs, onbuild_expression(nd));
    onbuild_trigger(in, c);
    return 0;
}

static const char *const upper_names[] = {
    "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
    "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
    "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR",
};

static int unknown_instruction(const char *value, kiln_error_t **err)
{
    cleanup_free char *msg = xasprintf("unknown instruction: %s", value);
    cleanup_free char *full = suggest_wrap(msg, value, upper_names, ARRAY_SIZE(upper_names), false);
    return kiln_err(err, KILN_EINPUT, 0, "%s", full);
}

static void copy_heredocs(struct df_instr *in, const struct df_node *nd)
{
    if (nd->nheredocs == 0)
        return;
    in->heredocs = xcalloc(nd->nheredocs, sizeof(*in->heredocs));
    for (size_t i = 0; i < nd->nheredocs; i++) {
        const struct df_heredoc *h = &nd->heredocs[i];
        in->heredocs[i] = *h;
        in->heredocs[i].name = xstrdup(h->name);
        in->heredocs[i].content = h->chomp ? heredoc_chomp(h->content) : xstrdup(h->content);
    }
    in->nheredocs = nd->nheredocs;
}

static int copy_args(struct df_instr *in, const struct df_node *nd, kiln_error_t **err)
{
    if (in->cmd == DF_ONBUILD)
        return 0;
    in->args = xcalloc(nd->nargs + 1, sizeof(char *));
    for (size_t i = 0; i < nd->nargs; i++) {
        if (strlen(nd->args[i].s) != nd->args[i].len)
            return kiln_err(err, KILN_EINPUT, 0, "a JSON argument holds a NUL character");
        in->args[in->nargs++] = xstrdup(nd->args[i].s);
    }
    return 0;
}

static int instr_convert(const struct instr_ctx *c, struct df_instr *out, kiln_error_t **err)
{
    const struct df_node *nd = c->nd;
    memset(out, 0, sizeof(*out));
    int cmd = lineparse_cmd(nd->value);
    if (cmd < 0)
        return unknown_instruction(nd->value, err);
    out->cmd = (enum df_cmd)cmd;
    out->line = nd->start_line;
    out->end_line = nd->end_line;
    out->keyword = xstrdup(nd->value);
    out->original = xstrdup(nd->original);
    out->json = nd->json;
    flags_split(nd->flags, nd->nflags, &out->flags, &out->nflags);
    for (size_t i = 0; i < nd->ncomments; i++)
        strv_add(&out->comments, &out->ncomments, xstrdup(nd->comments[i]));
    copy_heredocs(out, nd);
    if (copy_args(out, nd, err) < 0 || instr_table[cmd](out, c, err) < 0) {
        instr_release(out);
        return -1;
    }
    return 0;
}

int instr_from_node(const struct df_node *nd, char escape, struct df_warning **warnings,
                    size_t *nwarnings, struct df_instr *out, kiln_error_t **err)
{
    struct instr_ctx c = {nd, escape, warnings, nwarnings};
    return instr_convert(&c, out, err);
}

void warning_add(struct df_warning **v, size_t *n, int line, const char *rule, char *msg)
{
    vec_reserve(v, *n, sizeof(**v));
    (*v)[(*n)++] = (struct df_warning){line, xstrdup(rule), msg};
}

static void copy_opts_release(struct df_copy_opts *c)
{
    free(c->from);
    free(c->chown);
    free(c->chmod);
    free(c->checksum);
    strv_free(c->exclude);
}

static void health_release(struct df_healthcheck *h)
{
    if (h)
        strv_free(h->test);
    free(h);
}

void instr_release(struct df_instr *in)
{
    free(in->keyword);
    free(in->original);
    flags_free(in->flags, in->nflags);
    strv_free(in->args);
    for (size_t i = 0; i < in->nheredocs; i++)
        heredoc_release(&in->heredocs[i]);
    free(in->heredocs);
    if (in->sub) {
        instr_release(in->sub);
        free(in->sub);
    }
    strv_free(in->comments);
    free(in->as_keyword);
    for (size_t i = 0; i < in->nmounts; i++)
        df_mount_release(&in->mounts[i]);
    free(in->mounts);
    for (size_t i = 0; i < in->ndevices; i++)
        free(in->devices[i].name);
    free(in->devices);
    copy_opts_release(&in->copy);
    health_release(in->health);
    memset(in, 0, sizeof(*in));
}
