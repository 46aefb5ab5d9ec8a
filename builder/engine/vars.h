/* Variables (vars.c): the global ARGs before the first FROM, ARGs declared in a stage, and
 * ENV; and which --build-arg the build consumed. BuildKit's predefined build arguments
 * (BUILDKIT_*) are in buildkit_args.c. */
#ifndef KILN_ENGINE_VARS_H
#define KILN_ENGINE_VARS_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile.h"
#include "kiln/kiln.h"

struct build;
struct build_stage;

struct build_vars {
    struct kiln_kv *meta; /* global ARGs with their values */
    size_t nmeta;
    bool *arg_used; /* per o->build_args (b->lock) */
};

/* Expands word with the stage's environment (ENV over ARG); st NULL: the global ARGs. */
int vars_expand(struct build *b, struct build_stage *st, const char *word, char **out,
                kiln_error_t **err);
/* A heredoc body as COPY/ADD write it: variables expanded, quotes kept. */
int vars_expand_heredoc(struct build *b, struct build_stage *st, const char *body, char **out,
                        kiln_error_t **err);
int vars_expand_words(struct build *b, struct build_stage *st, const char *line, char ***out,
                      size_t *n, kiln_error_t **err);
/* Resolves the ARGs before the first FROM. */
int vars_init_meta(struct build *b, kiln_error_t **err);
/* ARG in a stage: declares NAME with its value (build arg, global ARG, or default). */
int vars_declare_arg(struct build *b, struct build_stage *st, const char *name, const char *value);
/* The ARG instruction in a stage; *history is its history text ("ARG K=V"). */
int vars_arg_instr(struct build *b, struct build_stage *st, const struct df_instr *in,
                   char **history, kiln_error_t **err);
/* A --build-arg value, marking it used; NULL when not given. */
const char *vars_build_arg(struct build *b, const char *name, bool *given);
/* The value of an ARG visible in the stage, or NULL. */
const char *vars_stage_arg(struct build_stage *st, const char *name);
/* Warns about the --build-arg values no ARG consumed. */
void vars_warn_unused(struct build *b);
void vars_release(struct build_vars *v);

/* buildkit_args.c: BuildKit's predefined build arguments (BUILDKIT_*), each used or ignored
 * with a warning (buildkit_args_check, once per build); none is an "unused" build argument. */
bool buildkit_arg_predefined(const char *name);
void buildkit_args_check(struct build *b);
/* BUILDKIT_CACHE_MOUNT_NS, or NULL. */
const char *buildkit_cache_ns(struct build *b);

#endif
