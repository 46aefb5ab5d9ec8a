/* Each stage's instructions in order with the stage's variables, as BuildKit's dispatch:
 * UndefinedVar, JSONArgsRecommended, MultipleInstructionsDisallowed, LegacyKeyValueFormat,
 * WorkdirRelativePath, SecretsUsedInArgOrEnv, and kiln's SecretValueInArgOrEnv,
 * WorkdirInSystemPath and FinalUserRoot. COPY/ADD and EXPOSE are in lint_copy.c and
 * lint_expose.c. */
#include <string.h>
#include <strings.h>

#include "frontend/lint/lint_internal.h"
#include "frontend/stages.h"
#include "frontend/suggest.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Build args BuildKit never puts in the environment (nonEnvArgs). */
static bool non_env_arg(const char *name)
{
    return strcmp(name, "BUILDKIT_SBOM_SCAN_CONTEXT") == 0 ||
           strcmp(name, "BUILDKIT_SBOM_SCAN_STAGE") == 0;
}

/* reportUnmatchedVariables: unset names that no ARG of the stage declares. */
static void report_unmatched(struct lint_dispatch *d, const struct df_instr *in,
                             const struct lint_names *un)
{
    const struct df_vars *env = &d->ls->env;
    for (size_t i = 0; i < un->n; i++) {
        const char *name = un->v[i];
        if (lint_names_has(&d->ls->declared, name) || non_env_arg(name) ||
            (d->ls->env_unknown && lint_scope_image_env(name)))
            continue;
        const char **keys = xcalloc(env->n + 1, sizeof(*keys));
        for (size_t k = 0; k < env->n; k++)
            keys[k] = env->v[k].key;
        cleanup_free char *s = suggest_search(name, keys, env->n, true);
        free(keys);
        lint_emit(d->c, in, LINT_UNDEFINED_VAR,
                  s ? xasprintf("Usage of undefined variable '$%s' (did you mean $%s?)", name, s)
                    : xasprintf("Usage of undefined variable '$%s'", name),
                  NULL);
    }
}

char *lint_dispatch_expand(struct lint_dispatch *d, const struct df_instr *in, const char *word,
                           bool heredoc)
{
    struct lint_names un = {0};
    char *v = lint_scope_expand(&d->ls->env, d->c->f->escape, word, heredoc, NULL, &un);
    report_unmatched(d, in, &un);
    lint_names_release(&un);
    return v;
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

/* Every pair is expanded with the variables from before the ENV (BuildKit expands the whole
 * instruction first), then set. */
static void do_env(struct lint_dispatch *d, const struct df_instr *in)
{
    legacy_kv(d, in);
    char **kv = xcalloc(in->nargs + 1, sizeof(*kv));
    for (size_t i = 0; i < in->nargs; i++)
        kv[i] = lint_dispatch_expand(d, in, in->args[i], false);
    for (size_t i = 0; i + 1 < in->nargs; i += 2) {
        if (!kv[i])
            continue;
        secret_name(d, in, kv[i]);
        secret_value(d, in, kv[i], in->args[i + 1]);
        if (kv[i + 1])
            df_vars_set(&d->ls->env, kv[i], kv[i + 1]);
    }
    for (size_t i = 0; i < in->nargs; i++)
        free(kv[i]);
    free(kv);
}

static void do_label(struct lint_dispatch *d, const struct df_instr *in)
{
    legacy_kv(d, in);
    for (size_t i = 0; i < in->nargs; i++)
        free(lint_dispatch_expand(d, in, in->args[i], false));
}

static const char *build_arg(const struct lint_opts *o, const char *name, bool *given)
{
    const char *v = NULL;
    *given = false;
    for (size_t i = 0; i < o->nbuild_args; i++)
        if (strcmp(o->build_args[i].key, name) == 0 && o->build_args[i].value) {
            v = o->build_args[i].value;
            *given = true;
        }
    return v;
}

/* dispatchArg: the build arg, else the default expanded, else the global value. */
static void do_arg(struct lint_dispatch *d, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nargs; i++) {
        const char *eq = strchr(in->args[i], '=');
        cleanup_free char *key =
            xstrndup(in->args[i], eq ? (size_t)(eq - in->args[i]) : strlen(in->args[i]));
        secret_name(d, in, key);
        secret_value(d, in, key, eq ? eq + 1 : NULL);
        bool given;
        const char *bv = build_arg(d->c->o, key, &given);
        cleanup_free char *value = NULL;
        if (given)
            value = xstrdup(bv);
        else if (eq)
            value = lint_dispatch_expand(d, in, eq + 1, false);
        else if (df_vars_get(&d->c->global, key))
            value = xstrdup(df_vars_get(&d->c->global, key));
        if (value && !non_env_arg(key))
            df_vars_set(&d->ls->env, key, value);
        lint_names_add(&d->ls->declared, key);
    }
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
    struct lint_names un = {0};
    cleanup_free char *p =
        lint_scope_expand(&d->ls->env, d->c->f->escape, in->args[0], false, NULL, &un);
    report_unmatched(d, in, &un);
    bool unknown = un.n > 0 && d->ls->env_unknown;
    lint_names_release(&un);
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
    d->ls->user_value = lint_dispatch_expand(d, in, in->args[0], false);
}

static void do_words(struct lint_dispatch *d, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nargs; i++)
        free(lint_dispatch_expand(d, in, in->args[i], false));
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
            free(lint_dispatch_expand(d, in, in->flags[i].value, false));
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

/* A stage starts from its base stage's state, or from an image's (Env unknown but for the
 * PATH BuildKit adds when the image sets none), or from scratch. */
static void stage_init(struct lint_ctx *c, struct lint_stage *ls)
{
    if (ls->base < 0) {
        df_vars_set(&ls->env, "PATH", DEFAULT_PATH);
        ls->env_unknown = !ls->scratch; /* an image or a named context */
        return;
    }
    const struct lint_stage *b = &c->stages[ls->base];
    df_vars_copy(&ls->env, &b->env);
    lint_names_copy(&ls->declared, &b->declared);
    ls->env_unknown = b->env_unknown;
    ls->shell_set = b->shell_set;
    ls->workdir_set = b->workdir_set;
    ls->runs = b->runs;
    ls->user = b->user;
    ls->user_value = b->user_value ? xstrdup(b->user_value) : NULL;
}

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

void lint_dispatch_stage(struct lint_ctx *c, size_t i)
{
    const struct df_stage *s = &c->f->stages[i];
    struct lint_dispatch d = {.c = c, .ls = &c->stages[i], .stage = s};
    stage_init(c, d.ls);
    d.ls->windows = stage_windows(c, s, d.ls);
    for (size_t k = 0; k < s->ninstrs; k++) {
        const struct df_instr *in = s->instrs[k];
        if (handlers[in->cmd])
            handlers[in->cmd](&d, in);
    }
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
    int t =
        c->o->target && *c->o->target ? df_stage_find(c->f, c->o->target) : (int)c->f->nstages - 1;
    if (t < 0)
        return;
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
