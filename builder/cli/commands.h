/* The subcommands of the kiln CLI. Each takes the arguments after its name (argv[0] is the
 * subcommand name) and returns the process exit status. Only these functions print. */
#ifndef KILN_CLI_COMMANDS_H
#define KILN_CLI_COMMANDS_H

int cmd_build(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
