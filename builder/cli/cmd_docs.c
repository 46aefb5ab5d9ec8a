/* kiln completion bash, kiln man: the bash completion script and the kiln(1) man page, made
 * from the same option tables as --help (cli_doc.c). The build runs both and installs their
 * output (CMakeLists.txt). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "util.h"

static int cmd_completion(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        cli_print_help(stdout, &cli_completion);
        return 0;
    }
    if (argc != 2)
        return cli_usage_error("completion", "\"kiln completion\" requires exactly 1 argument");
    if (strcmp(argv[1], "bash") != 0)
        return cli_usage_error("completion", "unsupported shell '%s': kiln completes bash",
                               argv[1]);
    return cli_write_bash_completion(stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_man(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        cli_print_help(stdout, &cli_man);
        return 0;
    }
    if (argc != 1)
        return cli_usage_error("man", "\"kiln man\" accepts no arguments");
    return cli_write_man(stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
}

const struct cli_command cli_completion = {
    .name = "completion",
    .summary = "Print the bash completion script",
    .usage = "kiln completion bash",
    .description = "Prints a bash completion script for kiln, made from the same option tables "
                   "as --help.\nInstall it as /usr/share/bash-completion/completions/kiln, or "
                   "run: source <(kiln completion bash)",
    .args_complete = "bash",
    .run = cmd_completion,
};

const struct cli_command cli_man = {
    .name = "man",
    .summary = "Print the kiln(1) man page (roff)",
    .usage = "kiln man",
    .description = "Prints the kiln(1) manual page in roff, made from the same option tables as "
                   "--help.\nRead it with: kiln man | man -l -",
    .run = cmd_man,
};
