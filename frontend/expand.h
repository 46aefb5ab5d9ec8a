/* Build-time variables: BuildKit's ARG/ENV scoping rules as pure helpers for the builder.
 *
 * The model (BuildKit's dockerfile2llb; the predefined ARGs are listed in args.h):
 *   - The global scope holds the predefined platform ARGs (a build arg of the same name
 *     overrides each), SOURCE_DATE_EPOCH when the builder has an epoch, and then
 *     the meta ARGs (before the first FROM), in order: a build arg gives the value, else the
 *     default expanded in the global scope so far; an ARG with neither stays out. FROM's
 *     image and --platform expand in this scope only.
 *   - A stage starts from its base: an image's config Env (plus DF_DEFAULT_PATH when the
 *     image sets none, which the image config gets too), or a copy of an earlier stage's scope as
 * it ended (its ENV and ARG values included). Global ARGs are not visible in a stage until an ARG
 * redeclares them.
 *   - ARG name[=default] in a stage: the build arg if one was given, else the default
 *     expanded in the stage's variables, else the global value (for a meta ARG with a
 *     value); a value enters the step environment. ARG names are not expanded.
 *   - ENV k=v ...: every key and value expanded in the stage's variables from before the
 *     instruction, then set in the step environment and the image config. Variables are one ordered
 * list where the latest ARG or ENV of a name wins (so an ENV overrides an earlier ARG of the same
 * name).
 *   - The proxy build args (args.h) reach every RUN without an ARG, but are neither
 *     expandable nor written to the history unless declared with ARG.
 *
 * Ownership: every struct here owns its strings; release with the matching _release().
 * Limits: an expanded word is at most DF_MAX_EXPANSION bytes, a history text DF_MAX_HISTORY
 * (KILN_ELIMIT).
 */
#ifndef KILN_FRONTEND_EXPAND_H
#define KILN_FRONTEND_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "args.h"
#include "dockerfile.h"
#include "kiln/error.h"
#include "kiln/kiln.h"

#define DF_MAX_HISTORY (16u * 1024 * 1024) /* bytes of one history text */

/* An ordered list of variables; setting an existing name replaces its value in place. A
 * NULL value is a declared but unset variable (only in df_scope.args). */
struct df_var {
    char *key;
    char *value;
};
struct df_vars {
    struct df_var *v;
    size_t n;
    size_t *index; /* private: a hash index over v, NULL in a hand-made list (searched then) */
    size_t nindex;
};

void df_vars_set(struct df_vars *vars, const char *key, const char *value);
/* The value, or NULL when absent or unset. */
const char *df_vars_get(const struct df_vars *vars, const char *key);
/* Whether key is in the list (set or not). */
bool df_vars_has(const struct df_vars *vars, const char *key);
void df_vars_copy(struct df_vars *dst, const struct df_vars *src);
void df_vars_release(struct df_vars *vars);
/* A shell_lookup_fn over a struct df_vars (ctx). */
const char *df_vars_lookup(void *ctx, const char *name);
/* "KEY=VALUE" strings (set variables only), NULL-terminated. */
char **df_vars_environ(const struct df_vars *vars, size_t *n);

/* os/arch[/variant], e.g. {"linux", "arm64", "v8"}. */
struct df_platform {
    const char *os;
    const char *arch;
    const char *variant; /* NULL or "" for none */
};

/* What the global scope of a build is made of (build args with a NULL value are ignored). */
struct df_global_opts {
    struct df_platform build, target;
    const char *target_stage; /* --target; NULL: the last stage's name, or "default" */
    const struct kiln_kv *build_args;
    size_t nbuild_args;
    const char *source_date_epoch; /* the builder's epoch ("%lld"), or NULL */
};

/* The global scope: the predefined ARGs (args.h: platform, SOURCE_DATE_EPOCH), then the meta
 * ARGs in order. Errors: a meta ARG default that does not expand ("Dockerfile:LINE: ..."). */
int df_scope_global(const struct df_file *f, const struct df_global_opts *o, struct df_vars *out,
                    kiln_error_t **err);

/* ProcessWord of word with the variables of vars (e.g. a FROM image in the global scope). */
int df_vars_expand(const struct df_vars *vars, char escape, const char *word, char **out,
                   kiln_error_t **err);

/* Told about every variable an expansion in a scope looks up, and whether it was set (the
 * linter reports the unset ones: BuildKit's UndefinedVar). */
typedef void (*df_observe_fn)(void *ctx, const char *name, bool set);

/* The variables of one stage while it is dispatched. */
struct df_scope {
    struct df_vars env;           /* the step environment: base env, ARG values, ENV, in order */
    struct df_vars image_env;     /* the image config Env: base env and ENV only */
    struct df_vars args;          /* ARGs declared so far (value NULL when unset), for history */
    const struct df_vars *global; /* borrowed: the global scope */
    const struct kiln_kv *build_args; /* borrowed */
    size_t nbuild_args;
    char escape;
    df_observe_fn observe; /* NULL, or told about every lookup */
    void *observe_ctx;
};

/* A stage based on an image: image_env holds its config Env ("K=V"). Without a PATH,
 * DF_DEFAULT_PATH is added (not for Windows images). */
void df_scope_init(struct df_scope *s, const struct df_vars *global,
                   const struct kiln_kv *build_args, size_t nbuild_args, char escape,
                   char *const *image_env, size_t nimage_env, bool windows);
/* A stage based on an earlier stage: a copy of that stage's scope at its end. */
void df_scope_clone(struct df_scope *dst, const struct df_scope *parent);
void df_scope_release(struct df_scope *s);

/* Applies an ARG instruction (see the rules above). *history (may be NULL) gets BuildKit's
 * history text: "ARG K=V K2", each name with its value when it has one. */
int df_scope_apply_arg(struct df_scope *s, const struct df_instr *arg, char **history,
                       kiln_error_t **err);
/* Applies an ENV instruction as BuildKit: every key and value is expanded with the variables
 * from before the instruction, then the pairs are set in env and image_env, in order.
 * *pairs (may be NULL) gets them expanded, [k1, v1, k2, v2, ...], *npairs their count.
 * Errors: an expansion error, "ENV names can not be blank". */
int df_scope_apply_env(struct df_scope *s, const struct df_instr *env, char ***pairs,
                       size_t *npairs, kiln_error_t **err);
/* ProcessWord / ProcessWords in the stage's variables. */
int df_scope_expand(const struct df_scope *s, const char *word, char **out, kiln_error_t **err);
int df_scope_expand_words(const struct df_scope *s, const char *word, char ***out, size_t *n,
                          kiln_error_t **err);
/* A df_expand_fn over a struct df_scope (ctx), for df_mount_parse(). */
int df_scope_expander(void *ctx, const char *word, char **out, kiln_error_t **err);
/* The body of a heredoc source with expand set (COPY/ADD <<EOF), as BuildKit expands it. */
int df_scope_expand_heredoc(const struct df_scope *s, const char *body, char **out,
                            kiln_error_t **err);

/* The step environment ("K=V", NULL-terminated): the base env, ARG values and ENV in order. */
char **df_scope_env(const struct df_scope *s, size_t *n);
/* The proxy build args of a RUN step (args.h: df_proxy_env) that the step environment does not
 * set, "K=V", NULL-terminated: never in the history, the config or a cache key. */
char **df_scope_proxy_env(const struct df_scope *s, size_t *n);
/* The environment of a RUN step: df_scope_env, then df_scope_proxy_env. */
char **df_scope_run_env(const struct df_scope *s, size_t *n);
/* BuildKit's history prefix of a RUN in *out: "|N k=v ..." for the N declared ARGs (each with
 * its value in the step environment, else its own, else ""), or "" when there are none. Proxy
 * build args never appear unless declared. KILN_ELIMIT over DF_MAX_HISTORY. */
int df_scope_history_args(const struct df_scope *s, char **out, kiln_error_t **err);

/* Which parts of an instruction the builder expands (BuildKit's Expand methods):
 *   FROM        image and --platform, in the global scope
 *   ADD, COPY   sources, destination, --chown, --chmod (ADD: --checksum), and heredoc bodies
 *               whose delimiter was not quoted; never COPY --from nor --exclude
 *   ENV, LABEL  keys and values
 *   ARG         default values (not names), when the ARG is applied
 *   EXPOSE      each word, with ProcessWords (one word may give several ports)
 *   RUN         the --mount values only (the command line is for the shell)
 *   STOPSIGNAL, USER, VOLUME (each), WORKDIR
 *   nothing for CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER, ONBUILD */
enum df_expand_part {
    DF_EXPAND_ARGS = 1u << 0,     /* every element of args */
    DF_EXPAND_WORDS = 1u << 1,    /* every element of args, split into words (EXPOSE) */
    DF_EXPAND_FLAGS = 1u << 2,    /* the flag values named by df_expands_flag() */
    DF_EXPAND_MOUNTS = 1u << 3,   /* --mount values (through df_mount_parse) */
    DF_EXPAND_HEREDOCS = 1u << 4, /* heredoc bodies with expand set */
    DF_EXPAND_GLOBAL = 1u << 5,   /* in the global scope (FROM) */
    DF_EXPAND_DEFAULTS = 1u << 6, /* ARG defaults */
};
unsigned df_expands(enum df_cmd cmd);
bool df_expands_flag(enum df_cmd cmd, const char *flag);

/* EXPOSE: the parts of one port spec as written, [ip:][hostport:]port[/proto] (BuildKit's
 * splitParts, then the protocol after the first '/'); newly allocated strings, "" when absent.
 * Release with df_port_parts_release(). */
struct df_port_parts {
    char *ip, *host, *port, *proto;
};
void df_expose_split(const char *spec, struct df_port_parts *out);
void df_port_parts_release(struct df_port_parts *p);
/* EXPOSE: one expanded port spec ([ip:][hostport:]port[-end][/proto]) to the "port/proto"
 * entries BuildKit records (protocol lowercased, tcp by default, ranges unrolled). Errors
 * with BuildKit's words ("invalid containerPort: x", "invalid proto: x", ...). */
int df_expose_parse(const char *spec, char ***out, size_t *n, kiln_error_t **err);

#endif
