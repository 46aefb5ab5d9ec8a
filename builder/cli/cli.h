/* Shared helpers of the CLI: the only code in kiln that prints and exits. */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <stdbool.h>

#include "kiln/error.h"
#include "kiln/kiln.h"

/* Prints "kiln: <message>" to stderr and returns the exit status for the error. */
int cli_fail(kiln_error_t *err);
/* Prints a usage error (with a hint to --help) and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* kiln build --check: BuildKit's check output for the Dockerfile on stdout, as kiln lint
 * prints it (every stage unless target is set); *status 1 when a finding is an error (then
 * BuildKit's "lint violation found for rules: ..." on stderr), else 0. */
struct cli_check_req {
    const char *dockerfile;           /* NULL: CONTEXT/Dockerfile; "-": stdin */
    const char *context;              /* NULL: "." */
    const struct kiln_kv *build_args; /* value NULL: from the environment */
    size_t nbuild_args;
    char *const *contexts; /* --build-context names */
    size_t ncontexts;
    const char *target;
    bool strict;
};
int cli_check(const struct cli_check_req *q, int *status, kiln_error_t **err);

/* Progress printers for kiln_build(). */
void progress_init(struct kiln_progress *p, enum kiln_progress_mode mode);
void progress_finish(struct kiln_progress *p);

#endif
