/* Build-time variables: BuildKit's ARG/ENV scoping rules as pure helpers for the builder.
 *
 * The model (BuildKit's dockerfile2llb):
 *   - The global scope holds the predefined platform ARGs (BUILDPLATFORM, BUILDOS, BUILDARCH,
 *     BUILDVARIANT, BUILDOSVERSION, TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT,
 *     TARGETOSVERSION, TARGETSTAGE; a build arg of the same name overrides each) and then
 *     the meta ARGs (before the first FROM), in order: a build arg gives the value, else the
 *     default expanded in the global scope so far; an ARG with neither stays out. FROM's
 *     image and --platform expand in this scope only.
 *   - A stage starts from its base: an image's config Env (plus the default PATH when the
 *     image sets none), or a copy of an earlier stage's scope as it ended (its ENV and ARG
 *     values included). Global ARGs are not visible in a stage until an ARG redeclares them.
 *   - ARG name[=default] in a stage: the build arg if one was given, else the default
 *     expanded in the stage's variables, else the global value (for a meta ARG with a
 *     value); a value enters the step environment. ARG names are not expanded.
 *   - ENV k=v: key and value expanded in the stage's variables, then set in the step
 *     environment and the image config. Variables are one ordered list where the latest
 *     ARG or ENV of a name wins (so an ENV overrides an earlier ARG of the same name).
 *   - The proxy variables (HTTP_PROXY, HTTPS_PROXY, FTP_PROXY, NO_PROXY, ALL_PROXY, in
 *     either case) given as build args reach every RUN without an ARG, but are neither
 *     expandable nor written to the history unless declared with ARG.
 *
 * Ownership: every struct here owns its strings; release with the matching _release().
 * Limits: an expanded word is at most DF_MAX_EXPANSION bytes (KILN_ELIMIT).
 */
#ifndef KILN_FRONTEND_EXPAND_H
#define KILN_FRONTEND_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile.h"
#include "kiln/error.h"
#include "kiln/kiln.h"

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

/* The global scope for a build. target_stage is the --target name (NULL: the last stage's
 * name, or "default" when it has none). Build args with a NULL value are ignored. Errors:
 * a meta ARG default that does not expand ("Dockerfile:LINE: failed to process ..."). */
int df_scope_global(const struct df_file *f, const struct df_platform *build,
                    const struct df_platform *target, const char *target_stage,
                    const struct kiln_kv *build_args, size_t nbuild_args, struct df_vars *out,
                    kiln_error_t **err);

/* ProcessWord of word with the variables of vars (e.g. a FROM image in the global scope). */
int df_vars_expand(const struct df_vars *vars, char escape, const char *word, char **out,
                   kiln_error_t **err);

/* The variables of one stage while it is dispatched. */
struct df_scope {
    struct df_vars env;           /* the step environment: base env, ARG values, ENV, in order */
    struct df_vars image_env;     /* the image config Env: base env and ENV only */
    struct df_vars args;          /* ARGs declared so far (value NULL when unset), for history */
    const struct df_vars *global; /* borrowed: the global scope */
    const struct kiln_kv *build_args; /* borrowed */
    size_t nbuild_args;
    char escape;
};

/* A stage based on an image: image_env holds its config Env ("K=V"). Without a PATH, the
 * default /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin is added (not for
 * Windows images). */
void df_scope_init(struct df_scope *s, const struct df_vars *global,
                   const struct kiln_kv *build_args, size_t nbuild_args, char escape,
                   char *const *image_env, size_t nimage_env, bool windows);
/* A stage based on an earlier stage: a copy of that stage's scope at its end. */
void df_scope_clone(struct df_scope *dst, const struct df_scope *parent);
void df_scope_release(struct df_scope *s);

/* Applies an ARG instruction (see the rules above). */
int df_scope_apply_arg(struct df_scope *s, const struct df_instr *arg, kiln_error_t **err);
/* Applies an ENV instruction; expanded pairs go to env and image_env. */
int df_scope_apply_env(struct df_scope *s, const struct df_instr *env, kiln_error_t **err);
/* ProcessWord / ProcessWords in the stage's variables. */
int df_scope_expand(const struct df_scope *s, const char *word, char **out, kiln_error_t **err);
int df_scope_expand_words(const struct df_scope *s, const char *word, char ***out, size_t *n,
                          kiln_error_t **err);
/* A df_expand_fn over a struct df_scope (ctx), for df_mount_parse(). */
int df_scope_expander(void *ctx, const char *word, char **out, kiln_error_t **err);
/* The body of a heredoc source with expand set (COPY/ADD <<EOF), as BuildKit expands it. */
int df_scope_expand_heredoc(const struct df_scope *s, const char *body, char **out,
                            kiln_error_t **err);

/* The environment of a RUN step ("K=V", NULL-terminated): the step environment, then each
 * proxy build arg the environment does not define (both spellings, e.g. HTTP_PROXY and
 * http_proxy, as BuildKit's ProxyEnv). */
char **df_scope_run_env(const struct df_scope *s, size_t *n);
/* BuildKit's history prefix of a RUN: "|N k=v ..." for the declared ARGs with a value
 * (N of them), or "" when there are none. Proxy build args never appear unless declared. */
char *df_scope_history_args(const struct df_scope *s);

/* True for the proxy names usable without ARG (any case of HTTP_PROXY, ...). */
bool df_arg_is_proxy(const char *name);
/* True for the predefined platform ARG names. */
bool df_arg_is_platform(const char *name);

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

/* EXPOSE: one expanded port spec ([ip:][hostport:]port[-end][/proto]) to the "port/proto"
 * entries BuildKit records (protocol lowercased, tcp by default, ranges unrolled). Errors
 * with BuildKit's words ("invalid containerPort: x", "invalid proto: x", ...). */
int df_expose_parse(const char *spec, char ***out, size_t *n, kiln_error_t **err);

#endif
