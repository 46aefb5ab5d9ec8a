/* Shared helpers of the CLI: the only code in kiln that prints and exits. */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kiln/error.h"
#include "kiln/kiln.h"

/* One option of a command. Each command has one table of these, from which its --help, the
 * man page (kiln man) and the bash completion (kiln completion bash) are all made. */
struct cli_opt {
    const char *name;     /* the long name, without "--" */
    char short_name;      /* 0: none */
    bool arg;             /* takes a value */
    const char *meta;     /* the value's name in help ("PATH"); NULL without a value */
    const char *help;     /* one sentence */
    const char *complete; /* values to complete: words, "@file", "@dir", "@stage"; NULL: none */
};

/* A command as its --help, the man page and the completion describe it. The options are the
 * first member of each element of a table of stride bytes (the command's own table). */
struct cli_command {
    const char *name;
    const char *summary;     /* one line, for kiln --help */
    const char *usage;       /* "kiln build [OPTIONS] CONTEXT" */
    const char *description; /* paragraphs, '\n' separated */
    const void *opts;
    size_t nopts, stride;
    const char *args_complete; /* the positional arguments: "@dir", "@file", words, or NULL */
    int (*run)(int argc, char **argv);
};

/* Every command, in kiln --help order; NULL-terminated. */
extern const struct cli_command *const cli_commands[];
const struct cli_opt *cli_command_opt(const struct cli_command *c, size_t i);
/* Usage, description, the options (and -h, --help) as --help prints them. */
void cli_print_help(FILE *f, const struct cli_command *c);

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
