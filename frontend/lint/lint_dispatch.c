/* Each stage's instructions in order with the stage's variables, as BuildKit's dispatch:
 * UndefinedVar, JSONArgsRecommended, MultipleInstructionsDisallowed, LegacyKeyValueFormat,
 * WorkdirRelativePath, SecretsUsedInArgOrEnv, and kiln's SecretValueInArgOrEnv,
 * WorkdirInSystemPath and FinalUserRoot. COPY/ADD and EXPOSE are in lint_copy.c and
 * lint_expose.c. */
#include <string.h>
#include <strings.h>

#include "frontend/args.h"
#include "frontend/lint/lint_internal.h"
#include "frontend/suggest.h"
#include "util.h"

/* reportUnmatchedVariables, as the scope's observer: an unset name that no ARG of the stage
 * declares (so far) is reported at the instruction being dispatched. */
static void observe(void *ctx, const char *name, bool set)
{
    struct lint_dispatch *d = ctx;
    const struct df_scope *s = &d->ls->scope;
    if (set)
        return;
    lint_names_add(&d->unmatched, name);
    if (df_vars_has(&s->args, name) || !df_arg_in_env(name) ||
        (d->ls->env_unknown && lint_scope_image_env(name)))
        return;
    const char **keys = xcalloc(s->env.n + 1, sizeof(*keys));
    for (size_t k = 0; k < s->env.n; k++)
        keys[k] = s->env.v[k].key;
    cleanup_free char *sug = suggest_search(name, keys, s->env.n, true);
    free(keys);
    lint_emit(d->c, d->in, LINT_UNDEFINED_VAR,
              sug ? xasprintf("Usage of undefined variable '$%s' (did you mean $%s?)", name, sug)
                  : xasprintf("Usage of undefined variable '$%s'", name),
              NULL);
}

char *lint_dispatch_expand(struct lint_dispatch *d, const char *word, bool heredoc)
{
    cleanup_error kiln_error_t *err = NULL;
    char *v = NULL;
    int rc = heredoc ? df_scope_expand_heredoc(&d->ls->scope, word, &v, &err)
                     : df_scope_expand(&d->ls->scope, word, &v, &err);
    return rc < 0 ? NULL : v;
}

static void secret_value(struct lint_dispatch *d, const struct df_instr *in, const char *key,
                         const char *value)
{
    const char *kind;
    char *masked;
    if (!value || lint_secret_token(value, &kind, &masked) != 1)
        return;
    char *msg = xasprintf("%s \"%s\" holds what looks like %s (%s)", df_cmd_name(in->cmd), key,
                          kind, masked);
    free(masked);
    lint_emit(d->c, in, LINT_SECRET_VALUE_IN_ARG_OR_ENV, msg, NULL);
}

static void secret_name(struct lint_dispatch *d, const struct df_instr *in, const char *key)
{
    if (lint_secret_name(key))
        lint_emit(d->c, in, LINT_SECRETS_USED_IN_ARG_OR_ENV,
                  xasprintf("Do not use ARG or ENV instructions for sensitive data (%s \"%s\")",
                            df_cmd_name(in->cmd), key),
                  NULL);
}

static void legacy_kv(struct lint_dispatch *d, const struct df_instr *in)
{
    if (in->kv_legacy)
        lint_emit(d->c, in, LINT_LEGACY_KEY_VALUE_FORMAT,
                  xasprintf("\"%s key=value\" should be used instead of legacy \"%s key value\" "
                            "format",
                            in->keyword, in->keyword),
                  NULL);
}

/* The scope applies the ENV as BuildKit: every pair expanded with the variables from before
 * it, then set (expand.h); nothing is set when a word does not expand. */
static void do_env(struct lint_dispatch *d, const struct df_instr *in)
{
    legacy_kv(d, in);
    cleanup_error kiln_error_t *err = NULL;
    cleanup_strv char **kv = NULL;
    size_t n = 0;
    if (df_scope_apply_env(&d->ls->scope, in, &kv, &n, &err) < 0)
        return;
    for (size_t i = 0; i + 1 < n; i += 2) {
        secret_name(d, in, kv[i]);
        secret_value(d, in, kv[i], in->args[i + 1]);
    }
}

static void do_label(struct lint_dispatch *d, const struct df_instr *in)
{
    legacy_kv(d, in);
    for (size_t i = 0; i < in->nargs; i++)
        free(lint_dispatch_expand(d, in->args[i], false));
}

/* dispatchArg (expand.h): the build arg, else the default expanded, else the global value. */
static void do_arg(struct lint_dispatch *d, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nargs; i++) {
        const char *eq = strchr(in->args[i], '=');
        cleanup_free char *key =
            xstrndup(in->args[i], eq ? (size_t)(eq - in->args[i]) : strlen(in->args[i]));
        secret_name(d, in, key);
        secret_value(d, in, key, eq ? eq + 1 : NULL);
    }
    cleanup_error kiln_error_t *err = NULL;
    df_scope_apply_arg(&d->ls->scope, in, NULL, &err);
}

/* Exactly the directories of the base system (and anything under /etc, /proc, /sys, /dev,
 * /boot), not the usual application roots (/usr/src/app, /usr/local/app, /opt, /srv). */
static bool system_path(const char *p)
{
    static const char *const exact[] = {
        "/",
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/usr",
        "/usr/bin",
        "/usr/sbin",
        "/usr/lib",
        "/usr/lib32",
        "/usr/lib64",
        "/usr/libexec",
        "/usr/local",
        "/usr/local/bin",
        "/usr/local/sbin",
        "/usr/local/lib",
        "/usr/share",
        "/var",
        "/var/lib",
        "/run",
        "/root",
    };
    static const char *const trees[] = {"/etc", "/proc", "/sys", "/dev", "/boot"};
    for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
        if (strcmp(p, exact[i]) == 0)
            return true;
    for (size_t i = 0; i < ARRAY_SIZE(trees); i++) {
        size_t n = strlen(trees[i]);
        if (strncmp(p, trees[i], n) == 0 && (p[n] == '\0' || p[n] == '/'))
            return true;
    }
    return false;
}

/* C:\Windows and what is under it, as a clean path without its drive. */
static bool windows_system_path(const char *p)
{
    return !strncasecmp(p, "/windows", 8) && (p[8] == '\0' || p[8] == '/');
}

/* WorkdirRelativePath as BuildKit's dispatchWorkdir (system.IsAbs for the stage's OS:
 * "C:\go" is absolute on Windows), and WorkdirInSystemPath. A path built from a variable the
 * base image's Env may set ($GOPATH) is not judged: its value is not known here. */
static void do_workdir(struct lint_dispatch *d, const struct df_instr *in)
{
    cleanup_free char *p = lint_dispatch_expand(d, in->args[0], false);
    bool unknown = d->unmatched.n > 0 && d->ls->env_unknown;
    if (!p)
        return;
    cleanup_free char *clean = NULL;
    bool abs = lint_path_abs(p, d->ls->windows, &clean);
    if (!d->ls->workdir_set && !abs && !unknown)
        lint_emit(d->c, in, LINT_WORKDIR_RELATIVE_PATH,
                  xasprintf("Relative workdir \"%s\" can have unexpected results if the base "
                            "image changes",
                            p),
                  NULL);
    d->ls->workdir_set = true;
    bool sys =
        clean && !unknown && (d->ls->windows ? windows_system_path(clean) : system_path(clean));
    if (sys)
        lint_emit(d->c, in, LINT_WORKDIR_IN_SYSTEM_PATH,
                  xasprintf("WORKDIR \"%s\" is a system directory: files copied there mix with "
                            "the operating system's",
                            d->ls->windows ? p : clean),
                  NULL);
}

static void do_user(struct lint_dispatch *d, const struct df_instr *in)
{
    d->ls->user = in;
    free(d->ls->user_value);
    d->ls->user_value = lint_dispatch_expand(d, in->args[0], false);
}

static void do_words(struct lint_dispatch *d, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nargs; i++)
        free(lint_dispatch_expand(d, in->args[i], false));
}

/* validateUsedOnce: the earlier instruction is the one that has no effect. */
static void used_once(struct lint_dispatch *d, const struct df_instr *in,
                      const struct df_instr **prev)
{
    if (*prev)
        lint_emit_at(d->c, in, LINT_MULTIPLE_INSTRUCTIONS_DISALLOWED, (*prev)->line,
                     (*prev)->end_line,
                     xasprintf("Multiple %s instructions should not be used in the same stage "
                               "because only the last one will be used",
                               in->keyword),
                     NULL);
    *prev = in;
}

static void do_cmd(struct lint_dispatch *d, const struct df_instr *in)
{
    used_once(d, in, in->cmd == DF_CMD ? &d->cmd : &d->entrypoint);
    d->ls->runs = true;
    if (!in->json && !d->ls->shell_set)
        lint_emit(d->c, in, LINT_JSON_ARGS_RECOMMENDED,
                  xasprintf("JSON arguments recommended for %s to prevent unintended behavior "
                            "related to OS signals",
                            in->keyword),
                  NULL);
}

static void do_healthcheck(struct lint_dispatch *d, const struct df_instr *in)
{
    used_once(d, in, &d->healthcheck);
}

static void do_shell(struct lint_dispatch *d, const struct df_instr *in)
{
    (void)in;
    d->ls->shell_set = true;
}

static void do_run(struct lint_dispatch *d, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nflags; i++)
        if (strcmp(in->flags[i].name, "mount") == 0 && in->flags[i].value)
            free(lint_dispatch_expand(d, in->flags[i].value, false));
    lint_run_commands(d->c, in);
}

typedef void (*handler_fn)(struct lint_dispatch *d, const struct df_instr *in);

static const handler_fn handlers[DF_CMD_COUNT] = {
    [DF_ADD] = lint_copy_instr,
    [DF_ARG] = do_arg,
    [DF_CMD] = do_cmd,
    [DF_COPY] = lint_copy_instr,
    [DF_ENTRYPOINT] = do_cmd,
    [DF_ENV] = do_env,
    [DF_EXPOSE] = lint_expose_instr,
    [DF_HEALTHCHECK] = do_healthcheck,
    [DF_LABEL] = do_label,
    [DF_RUN] = do_run,
    [DF_SHELL] = do_shell,
    [DF_STOPSIGNAL] = do_words,
    [DF_USER] = do_user,
    [DF_VOLUME] = do_words,
    [DF_WORKDIR] = do_workdir,
};

/* The stage's OS: FROM --platform, else its base stage's, else the target platform's. */
static bool stage_windows(struct lint_ctx *c, const struct df_stage *s, const struct lint_stage *ls)
{
    if (s->platform) {
        cleanup_free char *v =
            lint_scope_expand(&c->global, c->f->escape, s->platform, false, NULL, NULL);
        cleanup_free char *os = v ? lint_platform_os(v) : NULL;
        if (os && *os)
            return !strcmp(os, "windows");
    }
    if (ls->base >= 0)
        return c->stages[ls->base].windows;
    cleanup_free char *os =
        lint_platform_os(c->o->target_platform ? c->o->target_platform : "linux");
    return !strcmp(os, "windows");
}

/* A stage starts from its base stage's state, or from an image's (Env unknown but for the
 * PATH BuildKit adds when the image sets none), or from scratch (expand.h's scopes). */
static void stage_init(struct lint_ctx *c, const struct df_stage *s, struct lint_stage *ls)
{
    ls->windows = stage_windows(c, s, ls);
    if (ls->base < 0) {
        df_scope_init(&ls->scope, &c->global, c->o->build_args, c->o->nbuild_args, c->f->escape,
                      NULL, 0, ls->windows);
        ls->env_unknown = !ls->scratch; /* an image or a named context */
        return;
    }
    const struct lint_stage *b = &c->stages[ls->base];
    df_scope_clone(&ls->scope, &b->scope);
    ls->env_unknown = b->env_unknown;
    ls->shell_set = b->shell_set;
    ls->workdir_set = b->workdir_set;
    ls->runs = b->runs;
    ls->user = b->user;
    ls->user_value = b->user_value ? xstrdup(b->user_value) : NULL;
}

void lint_dispatch_stage(struct lint_ctx *c, size_t i)
{
    const struct df_stage *s = &c->f->stages[i];
    struct lint_dispatch d = {.c = c, .ls = &c->stages[i], .stage = s};
    stage_init(c, s, d.ls);
    d.ls->scope.observe = observe;
    d.ls->scope.observe_ctx = &d;
    for (size_t k = 0; k < s->ninstrs; k++) {
        d.in = s->instrs[k];
        lint_names_release(&d.unmatched);
        if (handlers[d.in->cmd])
            handlers[d.in->cmd](&d, d.in);
    }
    lint_names_release(&d.unmatched);
    d.ls->scope.observe = NULL; /* d goes out of scope; stages built on this one clone it */
}

static bool root_user(const char *v)
{
    size_t n = strcspn(v, ":");
    return n == 0 || (n == 4 && strncmp(v, "root", 4) == 0) || (n == 1 && v[0] == '0');
}

void lint_dispatch_final_user(struct lint_ctx *c)
{
    if (c->f->nstages == 0)
        return;
    int t = (int)c->plan->target;
    const struct df_stage *s = &c->f->stages[t];
    const struct lint_stage *ls = &c->stages[t];
    if (!ls->user) {
        int root = t;
        while (c->stages[root].base >= 0)
            root = c->stages[root].base;
        bool scratch = c->stages[root].scratch;
        /* an artifact stage: FROM scratch with nothing to run, whose files are the product
         * (--output type=local or tar); as an image kiln build still checks it */
        if (scratch && !ls->runs)
            return;
        lint_emit(c, s->from, LINT_FINAL_USER_ROOT,
                  xstrdup(scratch ? "The final stage sets no USER: the image runs as root"
                                  : "The final stage sets no USER: the image runs as root "
                                    "unless its base image sets a non-root user"),
                  NULL);
        return;
    }
    if (ls->user_value && *ls->user_value && root_user(ls->user_value))
        lint_emit(c, ls->user, LINT_FINAL_USER_ROOT,
                  xasprintf("USER %s makes the final image run as root", ls->user_value), NULL);
}
