/* Stages of a Dockerfile: the dependency graph, --target, the build order, ONBUILD triggers.
 * Pure functions over a struct df_file (BuildKit's dockerfile2llb dispatch-state logic).
 *
 * Rules (as BuildKit):
 *   - FROM <base> builds on the latest earlier stage named exactly <base> (after expansion in
 *     the global scope, expand.h), else on an image, a named context or scratch, which the
 *     builder resolves. FROM --platform expands in the global scope too.
 *   - A named context (--build-context NAME=...) replaces a stage of the same name: every
 *     reference to NAME is then external.
 *   - COPY --from=<name|index> and RUN --mount=from=<name> depend on the stage with that
 *     name (any case) or, for COPY, that index; other names are images or named contexts
 *     ("external" below), which the builder resolves. A RUN --mount without from= depends
 *     on a stage named "scratch" if there is one. --from must not hold a variable.
 *   - A dependency cycle is an error; so is depending on a stage defined later.
 *   - A stage built FROM an earlier stage first runs that stage's ONBUILD triggers; a stage
 *     built FROM an image runs the image's (the builder reads them from the image config once
 *     it has the image: df_plan_add_image_triggers()). A trigger that does not parse is an
 *     error, as BuildKit's when the image is used.
 *   - The stages to build are those the target reaches through bases and dependencies, in
 *     file order (which puts every dependency first).
 */
#ifndef KILN_FRONTEND_STAGES_H
#define KILN_FRONTEND_STAGES_H

#include <stddef.h>

#include "dockerfile.h"
#include "expand.h"
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
    char *platform;            /* FROM --platform as used (expanded when given), or NULL */
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
    char **externals; /* private: the external references in the order BuildKit registers */
    size_t nexternals;
};

struct df_plan_opts {
    const char *target;           /* --target; NULL or "": the last stage */
    const struct df_vars *global; /* the global scope: FROM and --platform expand in it (NULL:
                                     use bases, else as written) */
    char *const *bases;           /* per stage: the base expanded by the caller (NULL: the whole
                                     array absent, or an entry NULL: use as written) */
    char *const *contexts;        /* the named contexts' names (they replace stages) */
    size_t ncontexts;
    char *const *const *image_triggers; /* per stage: the OnBuild strings of its base image */
    const size_t *nimage_triggers;      /* (both NULL when not known yet) */
};

/* Errors (KILN_EINPUT, BuildKit's words): a base or platform that does not expand, target
 * stage "x" could not be found (did you mean y?), base name (x) should not be blank, empty
 * platform value from expression x, invalid stage index N, variable expansion is not
 * supported for --from, circular dependency detected on stage: x, cannot copy from stage
 * "x", it needs to be defined before current stage "y", cannot mount from stage "x" to
 * "/t", stage needs to be defined before current command; trigger parse errors. */
int df_plan_build(const struct df_file *f, const struct df_plan_opts *opts, struct df_plan **out,
                  kiln_error_t **err);
void df_plan_free(struct df_plan *p);

/* The ONBUILD triggers of stage's base image (config OnBuild strings, n of them), once the
 * builder has the image: parsed into p->stages[stage].triggers, their COPY --from and RUN
 * --mount from= references added to its deps (before its own), and checked as df_plan_build
 * checks them. Nothing to do for a stage built on another stage. Errors: as df_onbuild_parse
 * and df_plan_build. */
int df_plan_add_image_triggers(const struct df_file *f, struct df_plan *p,
                               const struct df_plan_opts *opts, size_t stage, char *const *triggers,
                               size_t n, kiln_error_t **err);
/* The dependency an instruction of stage i (one of its own or a trigger) has through its COPY
 * --from (mount NULL) or the RUN --mount m, or NULL. */
const struct df_plan_dep *df_plan_dep(const struct df_plan *p, size_t i, const struct df_instr *in,
                                      const struct df_mount *m);

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
