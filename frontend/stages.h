/* Stages of a Dockerfile: the dependency graph, --target, the build order, ONBUILD triggers.
 * Pure functions over a struct df_file (BuildKit's dockerfile2llb dispatch-state logic).
 *
 * Rules (as BuildKit):
 *   - FROM <base> builds on the latest earlier stage named exactly <base> (after expansion in
 *     the global scope: pass the expanded bases), else on an image, a named context or
 *     scratch, which the builder resolves.
 *   - COPY --from=<name|index> and RUN --mount=from=<name> depend on the stage with that
 *     name (any case) or, for COPY, that index; other names are images or named contexts
 *     ("external" below), which the builder resolves. A RUN --mount without from= depends
 *     on a stage named "scratch" if there is one. --from must not hold a variable.
 *   - A dependency cycle is an error; so is depending on a stage defined later.
 *   - A stage built FROM an earlier stage first runs that stage's ONBUILD triggers; a stage
 *     built FROM an image runs the image's (the builder reads them from the image config and
 *     passes them in; triggers can add dependencies, so call df_plan_build() again).
 *   - The stages to build are those the target reaches through bases and dependencies, in
 *     file order (which puts every dependency first).
 */
#ifndef KILN_FRONTEND_STAGES_H
#define KILN_FRONTEND_STAGES_H

#include <stddef.h>

#include "dockerfile.h"
#include "kiln/error.h"

#define DF_MAX_TRIGGERS 1000u /* ONBUILD triggers of one base */

struct df_plan_dep {
    int stage;      /* the stage index, or -1 for an external reference */
    char *external; /* the image or named-context reference as written, when stage < 0 */
    const struct df_instr *instr; /* the COPY or RUN that needs it (may be a trigger) */
    const struct df_mount *mount; /* the RUN --mount, NULL for a COPY */
};

struct df_plan_stage {
    int base;                  /* the stage FROM builds on, or -1 for an image/context/scratch */
    char *base_name;           /* the base as used (expanded when given) */
    char *display_name;        /* the stage name, "stage-N" when unnamed, "" for a single stage */
    struct df_instr *triggers; /* ONBUILD triggers to run before the stage's instructions */
    size_t ntriggers;
    struct df_plan_dep *deps; /* COPY --from and RUN --mount from= references, in order */
    size_t ndeps;
};

struct df_plan {
    size_t target;
    size_t *order; /* the stages to build, in build order */
    size_t norder;
    struct df_plan_stage *stages; /* one per stage of the file */
    size_t nstages;
};

struct df_plan_opts {
    const char *target;                 /* --target; NULL or "": the last stage */
    char *const *bases;                 /* per stage: the base expanded in the global scope (NULL:
                                           the whole array absent, or an entry NULL: use as written) */
    char *const *const *image_triggers; /* per stage: the OnBuild strings of its base image */
    const size_t *nimage_triggers;      /* (both NULL when not known yet) */
};

/* Errors (KILN_EINPUT, BuildKit's words): target stage "x" could not be found (did you mean
 * y?), base name (x) should not be blank, invalid stage index N, variable expansion is not
 * supported for --from, circular dependency detected on stage: x, cannot copy from stage
 * "x", it needs to be defined before current stage "y", cannot mount from stage "x" to
 * "/t", stage needs to be defined before current command; trigger parse errors. */
int df_plan_build(const struct df_file *f, const struct df_plan_opts *opts, struct df_plan **out,
                  kiln_error_t **err);
void df_plan_free(struct df_plan *p);

/* The stage a name refers to (lowercased compare; the last stage of that name), or -1. */
int df_stage_find(const struct df_file *f, const char *name);

/* Parses the ONBUILD triggers of a base image (config OnBuild strings) into instructions,
 * as BuildKit does when it uses the image: each is a one-instruction Dockerfile
 * ("onbuild trigger should be a single expression"), validated like any instruction, and
 * may not be ONBUILD, FROM or MAINTAINER. Every instruction gets line as its position
 * (the FROM of the stage); name is the file name for messages. Free with df_instrs_free. */
int df_onbuild_parse(const char *name, char *const *triggers, size_t n, int line,
                     struct df_instr **out, size_t *nout, kiln_error_t **err);
void df_instrs_free(struct df_instr *v, size_t n);

#endif
