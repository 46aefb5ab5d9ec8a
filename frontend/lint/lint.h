/* kiln lint: BuildKit's build checks and kiln's security rules over a parsed Dockerfile.
 *
 * Pure: lint_run() reads the AST (struct df_file), the parsed .dockerignore and the build
 * arguments, and returns findings; it makes no syscalls. The CLI prints the findings
 * (lint_output_*), `kiln build` logs them before anything runs, and the builder adds its
 * post-build findings on the final image (builder/engine/lint_image.c) with lint_result_add().
 *
 * Rules are a table (lint_rules()) indexed by enum lint_rule_id: a stable name (BuildKit's for
 * its 22 checks), a default level, a description, a documentation URL and a short fix.
 *
 * Configuration, as BuildKit:
 *   - the "# check=skip=A,B;error=true" parser directive ("skip=all" skips every rule;
 *     "experimental=Rule|all" enables experimental rules such as InvalidDefinitionDescription);
 *   - the BUILDKIT_DOCKERFILE_CHECK build argument, which replaces the directive;
 *   - a "# check=skip=..." comment right above an instruction skips rules for that
 *     instruction only (its error= is ignored);
 *   - error=true turns the warnings of BuildKit's checks into errors (as BuildKit: kiln's own
 *     rules stay warnings, so a Dockerfile that BuildKit builds under the directive builds
 *     under kiln too); opts.strict (--strict) turns every warning into an error.
 * A skipped rule produces nothing, whatever its level.
 *
 * Ownership: a struct lint_result owns its findings; release with lint_result_release().
 */
#ifndef KILN_FRONTEND_LINT_H
#define KILN_FRONTEND_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "frontend/dockerfile.h"
#include "frontend/dockerignore.h"
#include "kiln/error.h"
#include "kiln/kiln.h"

#define LINT_MAX_FINDINGS   10000u /* findings kept for one Dockerfile (more are counted) */
#define LINT_BUILD_ARG_NAME "BUILDKIT_DOCKERFILE_CHECK"

enum lint_level { LINT_WARNING, LINT_ERROR };

enum lint_rule_id {
    /* BuildKit's build checks, in the order of its ruleset.go */
    LINT_STAGE_NAME_CASING,
    LINT_FROM_AS_CASING,
    LINT_NO_EMPTY_CONTINUATION,
    LINT_CONSISTENT_INSTRUCTION_CASING,
    LINT_DUPLICATE_STAGE_NAME,
    LINT_RESERVED_STAGE_NAME,
    LINT_JSON_ARGS_RECOMMENDED,
    LINT_MAINTAINER_DEPRECATED,
    LINT_UNDEFINED_ARG_IN_FROM,
    LINT_WORKDIR_RELATIVE_PATH,
    LINT_UNDEFINED_VAR,
    LINT_MULTIPLE_INSTRUCTIONS_DISALLOWED,
    LINT_LEGACY_KEY_VALUE_FORMAT,
    LINT_INVALID_BASE_IMAGE_PLATFORM,
    LINT_REDUNDANT_TARGET_PLATFORM,
    LINT_SECRETS_USED_IN_ARG_OR_ENV,
    LINT_INVALID_DEFAULT_ARG_IN_FROM,
    LINT_FROM_PLATFORM_FLAG_CONST_DISALLOWED,
    LINT_COPY_IGNORED_FILE,
    LINT_INVALID_DEFINITION_DESCRIPTION,
    LINT_EXPOSE_PROTO_CASING,
    LINT_EXPOSE_INVALID_FORMAT,
    /* kiln's security rules (static) */
    LINT_FINAL_USER_ROOT,
    LINT_BASE_IMAGE_NOT_PINNED,
    LINT_BASE_IMAGE_LATEST,
    LINT_ADD_REMOTE_WITHOUT_CHECKSUM,
    LINT_CURL_PIPE_SHELL,
    LINT_SUDO_IN_RUN,
    LINT_APT_WITHOUT_NO_INSTALL_RECOMMENDS,
    LINT_APT_UPDATE_ALONE,
    LINT_CHMOD_WORLD_WRITABLE,
    LINT_EXPOSE_SSH,
    LINT_WORKDIR_IN_SYSTEM_PATH,
    LINT_SECRET_VALUE_IN_ARG_OR_ENV,
    /* kiln's security rules on the final image (the builder runs them after a build) */
    LINT_SETUID_FILES_IN_IMAGE,
    LINT_SECRET_LIKE_FILE_IN_IMAGE,
    LINT_RULE_COUNT
};

struct lint_rule {
    enum lint_rule_id id;
    const char *name;        /* "StageNameCasing" */
    enum lint_level level;   /* the default level */
    bool experimental;       /* runs only when enabled with experimental= */
    bool buildkit;           /* one of BuildKit's build checks */
    const char *description; /* one sentence */
    const char *url;         /* documentation */
    const char *fix;         /* a short fix */
};

/* The rules, indexed by id (LINT_RULE_COUNT of them). */
const struct lint_rule *lint_rules(void);
const struct lint_rule *lint_rule(enum lint_rule_id id);
/* The rule of that name (exact case), or NULL. */
const struct lint_rule *lint_rule_find(const char *name);

struct lint_finding {
    const struct lint_rule *rule;
    enum lint_level level; /* after error=true / --strict */
    int line, end_line;    /* 1-based lines of the Dockerfile; 0 when not tied to a line */
    char *message;         /* BuildKit's message for its rules; never a secret in full */
    char *fix;             /* specific advice, or NULL for the rule's fix */
};

struct lint_result {
    struct lint_finding *v; /* sorted by line, then rule, then message */
    size_t n;
    size_t dropped;         /* findings over LINT_MAX_FINDINGS, not kept */
    bool strict;            /* --strict: every warning was made an error */
    struct df_check config; /* the configuration in force (directive or build arg) */
    char *build_error;      /* the error a build of this Dockerfile fails with before any step
                               (its stages cannot be planned: stages.h), as BuildKit's lint
                               reports it with the findings; NULL when there is none */
};

struct lint_opts {
    const struct dockerignore *ignore; /* NULL: no .dockerignore (CopyIgnoredFile is off) */
    const struct kiln_kv *build_args;  /* --build-arg (value NULL: not set) */
    size_t nbuild_args;
    const char *target;    /* --target (FinalUserRoot); NULL: the last stage */
    char *const *contexts; /* names of --build-context (not images) */
    size_t ncontexts;
    const char *target_platform; /* "os/arch[/variant]"; NULL: "linux/amd64" */
    bool strict;                 /* --strict: warnings become errors */
};

/* Lints f. Errors (KILN_EINPUT): a bad check directive ("failed to parse check options:
 * ..."), a bad BUILDKIT_DOCKERFILE_CHECK ("failed to parse BUILDKIT_DOCKERFILE_CHECK: ..."),
 * a global ARG default that does not expand. Findings go to *out (initialised here). The
 * stages are walked as a build would plan them (stages.h, expand.h); when they cannot be
 * planned, out->build_error says why and only the checks BuildKit runs before planning do. */
int lint_run(const struct df_file *f, const struct lint_opts *opts, struct lint_result *out,
             kiln_error_t **err);

/* Sets up an empty result with the configuration of f and opts, for a caller that adds its
 * own findings (the post-build rules) without running the static ones. */
int lint_result_init(const struct df_file *f, const struct lint_opts *opts, struct lint_result *out,
                     kiln_error_t **err);
/* Adds a finding of rule id unless the configuration skips it (0 on add, 1 when skipped).
 * msg and fix are copied; fix may be NULL. Keeps the result sorted. */
int lint_result_add(struct lint_result *r, enum lint_rule_id id, int line, int end_line,
                    const char *msg, const char *fix);
/* Whether the configuration lets rule id run (not skipped; experimental rules enabled). */
bool lint_result_enabled(const struct lint_result *r, enum lint_rule_id id);
/* The number of findings at LINT_ERROR, plus one for a build error. */
size_t lint_result_errors(const struct lint_result *r);
void lint_result_release(struct lint_result *r);

/* Output. file is the Dockerfile name to print ("Dockerfile"), data/len its contents (for
 * the source excerpt in text output; NULL for none). Newly allocated strings. */
/* BuildKit's check output: "WARNING: Rule - URL", the message "(line N)", the excerpt, the
 * fix; then a summary line. NULL with a KILN_ELIMIT error over 64 MiB. */
char *lint_output_text(const struct lint_result *r, const char *file, const char *data, size_t len,
                       kiln_error_t **err);
/* {"file":..., "findings":[{rule, level, description, url, message, fix, line, endLine}],
 *  "errors":N, "warnings":N} */
char *lint_output_json(const struct lint_result *r, const char *file);
/* SARIF 2.1.0 for GitHub code scanning: one run, every rule in tool.driver.rules. */
char *lint_output_sarif(const struct lint_result *r, const char *file);
/* One line for a build log: "Rule: message (line N)" (BuildKit's LintFormatShort). */
char *lint_output_short(const struct lint_finding *f);

#endif
