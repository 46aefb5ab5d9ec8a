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

/* Progress printers for kiln_build(). */
void progress_init(struct kiln_progress *p, enum kiln_progress_mode mode);
void progress_finish(struct kiln_progress *p);

#endif
