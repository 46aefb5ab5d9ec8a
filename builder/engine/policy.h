/* The non-root policy (policy.c), checked on the final image after the build. */
#ifndef KILN_ENGINE_POLICY_H
#define KILN_ENGINE_POLICY_H

#include <stdbool.h>

#include "kiln/error.h"

struct build;
struct build_stage;

#define POLICY_ANNOTATION "dev.kiln.policy.allow-root-user"

/* Fails with KILN_EPOLICY ("Dockerfile:N: ...") when the final image would run as root. */
int policy_check_user(struct build *b, struct build_stage *final, kiln_error_t **err);
/* FROM scratch with no CMD and no ENTRYPOINT: a stage whose files are the product. */
bool policy_artifact_stage(struct build *b, struct build_stage *st);

#endif
