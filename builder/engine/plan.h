/* The frontend's plan for this build (plan.c): what the engine executes. The frontend decides
 * (frontend/expand.h, stages.h, args.h): the global scope (the predefined ARGs, then the
 * ARGs before the first FROM), the stage graph (bases, COPY --from and RUN --mount from=
 * dependencies, ONBUILD triggers, the stages the target needs), and each stage's variables
 * (struct df_scope, in struct build_stage). The engine resolves what the plan names
 * (images, named contexts) and runs the steps. Set before the first stage starts; a base
 * image's ONBUILD triggers are added to its stage under b->lock once the image is known. */
#ifndef KILN_ENGINE_PLAN_H
#define KILN_ENGINE_PLAN_H

#include <stddef.h>

#include "dockerfile.h"
#include "expand.h"
#include "kiln/kiln.h"
#include "stages.h"

struct build;
struct build_stage;

struct build_plan {
    struct kiln_kv *args; /* --build-arg, "K" alone taken from the environment (NULL: unset) */
    size_t nargs;
    char **contexts; /* the named contexts' names: they replace stages */
    struct df_vars global;
    struct df_plan_opts opts;
    struct df_plan *p;
};

/* The global scope and the stage graph of the target; their errors ("Dockerfile:LINE: ...",
 * KILN_EINPUT) fail the build before anything runs. */
int plan_init(struct build *b, kiln_error_t **err);
/* The value of a build arg (the last one given), or NULL. */
const char *plan_build_arg(struct build *b, const char *name);
/* The stage or external reference the instruction in of stage st reads through its COPY
 * --from (m NULL) or its RUN --mount m, or NULL. */
const struct df_plan_dep *plan_dep(struct build *b, struct build_stage *st,
                                   const struct df_instr *in, const struct df_mount *m);
/* The ONBUILD triggers of st's base image (its config OnBuild, then removed from the config),
 * added to the plan; st->df's own stage's triggers come from the plan already. */
int plan_image_triggers(struct build *b, struct build_stage *st, kiln_error_t **err);
/* Warns about the --build-arg values no ARG of the build consumed (the predefined ones never). */
void plan_warn_unused(struct build *b);
void plan_release(struct build_plan *p);

/* buildkit_args.c: what kiln does with each of BuildKit's own build args (BUILDKIT_*,
 * frontend/args.h): used, or ignored with a warning (buildkit_args_check, once per build). */
void buildkit_args_check(struct build *b);
/* BUILDKIT_CACHE_MOUNT_NS, or NULL. */
const char *buildkit_cache_ns(struct build *b);

#endif
