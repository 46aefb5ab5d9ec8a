/* BuildKit's predefined build arguments (frontend/dockerfile/docs/reference.md, "BuildKit
 * built-in build args"), decided one by one:
 *
 *   BUILDKIT_SANDBOX_HOSTNAME      the hostname of RUN steps (run.c)
 *   BUILDKIT_DOCKERFILE_CHECK      the check configuration (lint_image.c)
 *   BUILDKIT_CACHE_MOUNT_NS        a namespace for cache mount ids (mounts.c: NS/ID)
 *   BUILDKIT_SYNTAX                ignored with a warning: kiln parses every Dockerfile with its
 *                                  built-in frontend (Dockerfile syntax 1.x), as it does for a
 *                                  "# syntax=" directive
 *   BUILDKIT_INLINE_CACHE          ignored with a warning: kiln writes no inline cache; share the
 *                                  step cache with --cache-to/--cache-from type=registry
 *   BUILDKIT_MULTI_PLATFORM        ignored with a warning: kiln builds one platform, and its
 *                                  output is already an index when attestations are attached
 *   BUILDKIT_CONTEXT_KEEP_GIT_DIR  ignored with a warning: kiln builds no Git contexts
 *   BUILDKIT_SBOM_SCAN_CONTEXT,    ignored with a warning: kiln's SBOM describes the final image
 *   BUILDKIT_SBOM_SCAN_STAGE       (its catalogers read the final rootfs)
 *
 * The names are the frontend's (frontend/args.h); none is reported as an unused build argument. */
#include <string.h>

#include "build.h"
#include "plan.h"
#include "util.h"

static const struct {
    const char *name;
    const char *why; /* NULL: kiln uses it */
} decisions[] = {
    {"BUILDKIT_SANDBOX_HOSTNAME", NULL},
    {"BUILDKIT_DOCKERFILE_CHECK", NULL},
    {"BUILDKIT_CACHE_MOUNT_NS", NULL},
    {"BUILDKIT_SYNTAX",
     "kiln parses Dockerfiles with its built-in frontend (Dockerfile syntax 1.x)"},
    {"BUILDKIT_INLINE_CACHE",
     "kiln writes no inline cache; share the cache with --cache-to/--cache-from type=registry"},
    {"BUILDKIT_MULTI_PLATFORM", "kiln builds one platform (its output is already an index when "
                                "attestations are attached)"},
    {"BUILDKIT_CONTEXT_KEEP_GIT_DIR", "kiln builds no Git contexts"},
    {"BUILDKIT_SBOM_SCAN_CONTEXT", "kiln's SBOM describes the final image"},
    {"BUILDKIT_SBOM_SCAN_STAGE", "kiln's SBOM describes the final image"},
};

/* kiln's decision for a BUILDKIT_* name of the frontend's list, or NULL when kiln uses it. */
static const char *ignored_why(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(decisions); i++)
        if (!strcmp(name, decisions[i].name))
            return decisions[i].why;
    return "kiln does not implement it";
}

void buildkit_args_check(struct build *b)
{
    for (const char *const *n = df_arg_names(DF_ARG_BUILDKIT); *n; n++) {
        const char *why = ignored_why(*n);
        if (why && plan_build_arg(b, *n))
            step_log(b, KILN_LOG_WARN, "build-arg %s is ignored: %s", *n, why);
    }
}

const char *buildkit_cache_ns(struct build *b)
{
    const char *ns = plan_build_arg(b, "BUILDKIT_CACHE_MOUNT_NS");
    return ns && *ns ? ns : NULL;
}
