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

/* Applies option i of a command's table, with its value ("" for a flag without one), to the
 * command's own state. */
typedef int (*cli_apply_fn)(void *state, size_t i, const char *value, kiln_error_t **err);

/* A command as its --help, the man page and the completion describe it, and as cli_parse_args
 * reads its command line. The options are the first member of each element of a table of
 * stride bytes (the command's own table, whose rows also say how to apply each option). */
struct cli_command {
    const char *name;
    const char *summary;     /* one line, for kiln --help */
    const char *usage;       /* "kiln build [OPTIONS] CONTEXT" */
    const char *description; /* paragraphs, '\n' separated */
    const void *opts;
    size_t nopts, stride;
    cli_apply_fn apply;        /* NULL when there are no options */
    int min_args, max_args;    /* positional arguments; max_args -1: any number */
    const char *args_what;     /* what they are, for the usage error ("the context"), or NULL */
    const char *args_complete; /* the positional arguments: "@dir", "@file", words, or NULL */
    int (*run)(int argc, char **argv);
};

/* Every command, in kiln --help order; NULL-terminated. */
extern const struct cli_command *const cli_commands[];
const struct cli_opt *cli_command_opt(const struct cli_command *c, size_t i);
/* Usage, description, the options (and -h, --help) as --help prints them. */
void cli_print_help(FILE *f, const struct cli_command *c);

/* The one command-line parser of the commands: argv[0] is the command's name; options (its
 * table's, and -h/--help) and arguments may come in any order, "--" ends the options. Each option
 * is applied in order through c->apply. Returns 1 for -h/--help; 0 with *first the index of the
 * first positional argument (their number checked against c->min_args..max_args); -1 with a
 * KILN_EUSAGE error (unknown flag, missing value, wrong number of arguments) or apply's error. */
int cli_parse_args(const struct cli_command *c, int argc, char **argv, void *state, int *first,
                   kiln_error_t **err);
/* What a command returns when cli_parse_args did not return 0: --help printed (0), a usage
 * error printed with the hint to --help (2), or the error (cli_fail). Frees err. */
int cli_parse_failed(const struct cli_command *c, int r, kiln_error_t *err);

/* Prints "kiln: <message>" to stderr and returns the exit status for the error. */
int cli_fail(kiln_error_t *err);
/* Prints a usage error (with a hint to --help) and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* kiln lint's report on stdout (text escaped for the terminal), *status 1 when a finding is
 * an error, else 0; with violation (kiln build --check), BuildKit's "lint violation found for
 * rules: ..." on stderr too. -1 with kiln_lint's error. */
int cli_lint_report(const struct kiln_lint_opts *o, bool violation, int *status,
                    kiln_error_t **err);

/* Progress printers for kiln_build(). */
void progress_init(struct kiln_progress *p, enum kiln_progress_mode mode);
void progress_finish(struct kiln_progress *p);

#endif
