/* Lint in `kiln build`: the static checks of frontend/lint before anything runs, and the rules
 * that need the built image (SetuidFilesInImage, SecretLikeFileInImage,
 * InvalidBaseImagePlatform) on the final stage's rootfs.
 *
 * Findings are logged as warnings through the progress callback ("Rule: message (line N)").
 * When a finding is an error (the check directive's error=true, BUILDKIT_DOCKERFILE_CHECK,
 * --strict, or a rule that is an error by default), the build fails with KILN_EPOLICY
 * "Dockerfile:N: lint violation found for rules: A, B" (exit 1), before any step runs for the
 * static checks and before the export for the image rules. */
#ifndef KILN_ENGINE_LINT_IMAGE_H
#define KILN_ENGINE_LINT_IMAGE_H

#include "build.h"

#define LINT_IMAGE_MAX_ENTRIES 1000000u     /* files walked in the final rootfs */
#define LINT_IMAGE_MAX_DEPTH   256u         /* directory depth walked */
#define LINT_IMAGE_READ_MAX    (64u * 1024) /* bytes read of a secret-like file */
#define LINT_IMAGE_MAX_REPORTS 100u         /* findings per rule */

/* The static checks on b->df (after context_open: the .dockerignore is known). Errors: a bad
 * check option (KILN_EINPUT), lint errors (KILN_EPOLICY). */
int lint_image_dockerfile(struct build *b, kiln_error_t **err);

/* The rules on the final image of stage final. Errors: reading the rootfs, lint errors
 * (KILN_EPOLICY). */
int lint_image_check(struct build *b, struct build_stage *final, kiln_error_t **err);

#endif
