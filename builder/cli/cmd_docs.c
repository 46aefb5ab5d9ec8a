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
    kiln_error_t *err = NULL;
    int first;
    int r = cli_parse_args(&cli_completion, argc, argv, NULL, &first, &err);
    if (r != 0)
        return cli_parse_failed(&cli_completion, r, err);
    if (strcmp(argv[first], "bash") != 0)
        return cli_usage_error("completion", "unsupported shell '%s': kiln completes bash",
                               argv[first]);
    return cli_write_bash_completion(stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_man(int argc, char **argv)
{
    kiln_error_t *err = NULL;
    int first;
    int r = cli_parse_args(&cli_man, argc, argv, NULL, &first, &err);
    if (r != 0)
        return cli_parse_failed(&cli_man, r, err);
    return cli_write_man(stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
}

const struct cli_command cli_completion = {
    .name = "completion",
    .summary = "Print the bash completion script",
    .usage = "kiln completion bash",
    .description = "Prints a bash completion script for kiln, made from the same option tables "
                   "as --help.\nInstall it as /usr/share/bash-completion/completions/kiln, or "
                   "run: source <(kiln completion bash)",
    .min_args = 1,
    .max_args = 1,
    .args_complete = "bash",
    .run = cmd_completion,
};

const struct cli_command cli_man = {
    .name = "man",
    .summary = "Print the kiln(1) man page (roff)",
    .usage = "kiln man",
    .description = "Prints the kiln(1) manual page in roff, made from the same option tables as "
                   "--help.\nRead it with: kiln man | man -l -",
    .min_args = 0,
    .max_args = 0,
    .run = cmd_man,
};
