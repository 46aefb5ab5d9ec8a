/* kiln's entry point: dispatches to a subcommand. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "termsafe.h"
#include "util.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"build", cmd_build, "Build an image from a Dockerfile"},
    {"inspect", cmd_inspect, "Summarise an image in an OCI layout"},
    {"lint", cmd_lint, "Check a Dockerfile (BuildKit's build checks and kiln's security rules)"},
    {"parse", cmd_parse, "Print a Dockerfile's syntax tree (BuildKit's dump format)"},
    {"prune", cmd_prune, "Remove unused data from the store"},
    {"push", cmd_push, "Push an image from an OCI layout to a registry"},
    {"version", cmd_version, "Print kiln's version"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: kiln COMMAND [OPTIONS]\n\n"
               "A daemonless, secure container image builder.\n\nCommands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'kiln COMMAND --help' for more on a command.\n\n"
               "Exit status: 0 success; 1 the build failed (a step or a policy check failed,\n"
               "or kiln could not complete it); 2 bad usage or bad input (unknown flag, parse\n"
               "error, missing file, corrupt base image).\n");
}

int cli_fail(kiln_error_t *err)
{
    /* the message may quote a step's output or names from a base image */
    const char *msg = err ? err->msg : "unknown error";
    cleanup_free char *safe = termsafe_escape(msg, strlen(msg));
    fprintf(stderr, "kiln: %s\n", safe);
    int status = kiln_error_exit_status(err);
    kiln_error_free(err);
    return status ? status : 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kiln %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nSee 'kiln %s --help'.\n", cmd);
    va_end(ap);
    return 2;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("kiln %s\n", kiln_version());
    return 0;
}

/* Before anything is read: no core dump, and no other process of this user may read kiln's
 * memory, environment or descriptors through /proc or ptrace (secrets, the cache key and
 * registry tokens live there). Children that must be dumpable say so themselves. */
static void harden_process(void)
{
    struct rlimit core = {0, 0};
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setrlimit(RLIMIT_CORE, &core) < 0) {
        fprintf(stderr, "kiln: cannot make the process non-dumpable: %s\n", strerror(errno));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    harden_process();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kiln: unknown command '%s'\nSee 'kiln --help'.\n", argv[1]);
    return 2;
}
