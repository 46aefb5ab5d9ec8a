/* kiln's entry point: dispatches to a subcommand (cli_commands, cli_doc.c). */
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

const char cli_description[] =
    "kiln builds container images from Dockerfiles without a daemon. Each RUN step runs in fresh "
    "Linux namespaces (user, mount, pid, network, ipc, uts, cgroup) with a seccomp filter; the "
    "result is a content-addressed, reproducible OCI image with an SBOM and SLSA provenance "
    "attached, written as an OCI layout, a docker-load tarball, the final stage's files, or "
    "pushed to a registry. Flags and outputs are spelled as docker buildx build spells them.";

const char cli_exit_status[] =
    "0 success; 1 the build failed (a step or a policy check failed, or kiln could not complete "
    "it; kiln build --check and kiln lint: a check is an error); 2 bad usage or bad input "
    "(unknown flag, parse error, missing file, corrupt base image).";

const char cli_environment[] =
    "SOURCE_DATE_EPOCH: timestamps in the image (default 0). KILN_ROOT: the store (default "
    "/var/lib/kiln for root, else $XDG_DATA_HOME/kiln or ~/.local/share/kiln). "
    "KILN_IDMAP_RANGES: the list of host id ranges given to stores (default "
    "/var/lib/kiln/idmap-ranges). KILN_PASTA: the pasta binary of the default network (else "
    "pasta in PATH). KILN_SNAPSHOTTER: overlay or copy (default: overlay when it can be "
    "mounted). SSH_AUTH_SOCK: the agent of --ssh default. REGISTRY_AUTH_FILE: registry "
    "credentials (else the Docker config). https_proxy, no_proxy (libcurl's): the proxy for "
    "registries (loopback registries never go through it). "
    "TMPDIR: where the ssh-agent of --ssh ID=KEY keeps its socket.";

static void usage(FILE *f)
{
    fprintf(f, "Usage: kiln COMMAND [OPTIONS]\n\n"
               "A daemonless, secure container image builder.\n\nCommands:\n");
    for (size_t i = 0; cli_commands[i]; i++)
        fprintf(f, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fprintf(f, "\nRun 'kiln COMMAND --help' for more on a command.\n\nExit status: %s\n",
            cli_exit_status);
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
    kiln_error_t *err = NULL;
    int first;
    int r = cli_parse_args(&cli_version, argc, argv, NULL, &first, &err);
    if (r != 0)
        return cli_parse_failed(&cli_version, r, err);
    printf("kiln %s\n", kiln_version());
    return 0;
}

const struct cli_command cli_version = {
    .name = "version",
    .summary = "Print kiln's version",
    .usage = "kiln version",
    .description = "Prints kiln's version.",
    .min_args = 0,
    .max_args = 0,
    .run = cmd_version,
};

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

/* libarchive is loaded here, in the main thread before any thread or child exists, for every
 * command that may read a layer or an archive; the commands that read only a Dockerfile start
 * without it (dynlib.h). libcurl is loaded when a registry or a URL is first used. */
static int load_libraries(const char *cmd)
{
    static const char *const light[] = {"version", "parse", "lint", "completion", "man"};
    for (size_t i = 0; i < ARRAY_SIZE(light); i++)
        if (!strcmp(cmd, light[i]))
            return 0;
    kiln_error_t *err = NULL;
    if (kiln_load_archive(&err) < 0) {
        cli_fail(err);
        return -1;
    }
    return 0;
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
        return cmd_version(1, argv + 1);
    for (size_t i = 0; cli_commands[i]; i++)
        if (!strcmp(argv[1], cli_commands[i]->name))
            return load_libraries(argv[1]) < 0 ? 1 : cli_commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "kiln: unknown command '%s'\nSee 'kiln --help'.\n", argv[1]);
    return 2;
}
