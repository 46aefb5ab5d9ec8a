/* kiln — the Dockerfile tools: kiln lint (kiln build --check too) and kiln parse. They read a
 * Dockerfile (a file or stdin) and its .dockerignore, never build, never touch a store. */
#ifndef KILN_KILN_DOCKERFILE_H
#define KILN_KILN_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"
#include "kiln/types.h"

enum kiln_lint_format {
    KILN_LINT_TEXT,  /* BuildKit's check output (quotes the Dockerfile: escape it for a tty) */
    KILN_LINT_JSON,  /* {"file", "findings": [...], "errors", "warnings", "dropped"} */
    KILN_LINT_SARIF, /* SARIF 2.1.0, for GitHub code scanning */
};

struct kiln_lint_opts {
    const char *context;    /* where .dockerignore is read from (CopyIgnoredFile); NULL: "." */
    const char *dockerfile; /* NULL: CONTEXT/Dockerfile; "-": stdin */
    const struct kiln_kv *build_args; /* value NULL: the environment's, when set */
    size_t nbuild_args;
    char *const *contexts; /* --build-context names: FROM NAME is then not an image */
    size_t ncontexts;
    const char *target;   /* the stage FinalUserRoot looks at; NULL: the last one */
    const char *platform; /* OS/ARCH[/VARIANT] (windows/... reads paths as Windows does);
                             NULL: linux/amd64 */
    bool strict;          /* every finding is an error */
    enum kiln_lint_format format;
};

struct kiln_lint_result {
    char *report; /* the findings in the format asked */
    size_t errors, warnings;
    char **error_rules; /* the rules with an error-level finding, each once, in report order */
    size_t nerror_rules;
};

/* BuildKit's build checks and kiln's static security rules. A finding is not an error of the
 * call: r->errors says whether one is an error. Errors: the Dockerfile or .dockerignore cannot
 * be read or parsed, a bad check directive or BUILDKIT_DOCKERFILE_CHECK (KILN_EINPUT,
 * KILN_ELIMIT). On error, r needs no release. */
int kiln_lint(const struct kiln_lint_opts *o, struct kiln_lint_result *r, kiln_error_t **err);
void kiln_lint_result_release(struct kiln_lint_result *r);

struct kiln_parse_opts {
    const char *dockerfile; /* NULL: ./Dockerfile; "-": stdin */
    bool dump; /* the syntax tree in BuildKit's Node.Dump() format (parser level: instructions
                  are not validated); else every instruction validated and the stages listed */
};

struct kiln_parse_result {
    char *output;    /* the dump or the stage listing, lines ending in '\n' */
    char **warnings; /* "Dockerfile:3: message (Rule)" */
    size_t nwarnings;
};

int kiln_parse(const struct kiln_parse_opts *o, struct kiln_parse_result *r, kiln_error_t **err);
void kiln_parse_result_release(struct kiln_parse_result *r);

#endif
