/* kiln inspect LAYOUT[:TAG|@DIGEST]: a summary of an image in an OCI layout. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "kiln/kiln.h"
#include "util.h"

static void print_sbom(const struct kiln_sbom_summary *s)
{
    printf("SBOM packages: %zu", s->packages);
    for (size_t i = 0; i < s->ntypes; i++)
        printf(" %s=%zu", s->types[i].name, s->types[i].n);
    printf("\n");
}

static void print_summary(const struct kiln_inspect_result *r)
{
    if (*r->index_digest)
        printf("Index: %s\n", r->index_digest);
    printf("Digest: %s\nPlatform: %s/%s\nCreated: %s\nLayers: %zu (%.1f MiB compressed)\n",
           r->manifest_digest, r->os ? r->os : "?", r->architecture ? r->architecture : "?",
           r->created ? r->created : "?", r->nlayers, (double)r->layers_size / 1048576.0);
    printf("User: %s\n", r->user && *r->user ? r->user : "(none: root)");
    printf("Attestations: %zu\n", r->nattestations);
    for (size_t i = 0; i < r->nsboms; i++)
        print_sbom(&r->sboms[i]);
}

int cmd_inspect(int argc, char **argv)
{
    kiln_error_t *err = NULL;
    int first;
    int pr = cli_parse_args(&cli_inspect, argc, argv, NULL, &first, &err);
    if (pr != 0)
        return cli_parse_failed(&cli_inspect, pr, err);
    struct kiln_inspect_result r;
    if (kiln_inspect(argv[first], &r, &err) < 0)
        return cli_fail(err);
    print_summary(&r);
    kiln_inspect_result_release(&r);
    return 0;
}

const struct cli_command cli_inspect = {
    .name = "inspect",
    .summary = "Summarise an image in an OCI layout",
    .usage = "kiln inspect LAYOUT[:TAG|@sha256:DIGEST]",
    .description = "Summary of an image in an OCI layout: digest, platform, layers, user, SBOM.",
    .min_args = 1,
    .max_args = 1,
    .args_complete = "@dir",
    .run = cmd_inspect,
};
