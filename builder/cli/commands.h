/* The subcommands of the kiln CLI. Each takes the arguments after its name (argv[0] is the
 * subcommand name) and returns the process exit status. Only these functions print. Each is
 * described by a struct cli_command (cli.h) whose option table drives its parsing, its --help,
 * the man page and the bash completion. */
#ifndef KILN_CLI_COMMANDS_H
#define KILN_CLI_COMMANDS_H

#include <stdio.h>

#include "cli.h"

int cmd_build(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_version(int argc, char **argv);

extern const struct cli_command cli_build, cli_inspect, cli_lint, cli_parse, cli_prune, cli_push,
    cli_version, cli_completion, cli_man;

/* main.c: kiln's own description, its exit statuses and the environment it reads. */
extern const char cli_description[], cli_exit_status[], cli_environment[];

/* cli_doc.c: the man page (roff) and the bash completion script. */
int cli_write_man(FILE *f);
int cli_write_bash_completion(FILE *f);

#endif
