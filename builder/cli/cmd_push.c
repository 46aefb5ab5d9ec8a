/* kiln push LAYOUT[:TAG|@DIGEST] REG/REPO[:TAG]: an OCI layout (an image, or an index with its
 * attestations) to a registry, through the content store. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "kiln/kiln.h"
#include "util.h"

struct push_cli {
    struct kiln_push_opts o;
    const char *insecure[KILN_MAX_INSECURE_REGISTRIES];
};

typedef int (*push_opt_fn)(struct push_cli *c, const char *v, kiln_error_t **err);

static int bad(kiln_error_t **err, const char *flag, const char *v, const char *want)
{
    return kiln_err(err, KILN_EUSAGE, 0, "invalid value '%s' for %s: %s", v, flag, want);
}

static int opt_root(struct push_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--root", v, "expected a directory");
    c->o.root = v;
    return 0;
}

static int opt_ca(struct push_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--registry-ca", v, "expected a PEM file");
    c->o.registry.ca_file = v;
    return 0;
}

static int opt_insecure(struct push_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v || strchr(v, '/'))
        return bad(err, "--insecure-registry", v, "expected HOST[:PORT]");
    if (c->o.registry.ninsecure >= KILN_MAX_INSECURE_REGISTRIES)
        return kiln_err(err, KILN_EUSAGE, 0, "too many --insecure-registry flags");
    c->insecure[c->o.registry.ninsecure++] = v;
    return 0;
}

static int opt_authfile(struct push_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--authfile", v, "expected a file");
    c->o.registry.auth_file = v;
    return 0;
}

static int opt_chunk(struct push_cli *c, const char *v, kiln_error_t **err)
{
    uint64_t n;
    if (parse_size(v, &n) < 0 || (n && n < 1024) || n > (1ull << 32))
        return bad(err, "--chunk-size", v, "expected 0 (one PUT) or a size from 1k to 4g");
    c->o.registry.chunk_size = n;
    return 0;
}

static int opt_parallel(struct push_cli *c, const char *v, kiln_error_t **err)
{
    uint64_t n;
    if (parse_u64(v, KILN_MAX_REGISTRY_PARALLEL, &n) < 0 || n == 0)
        return bad(err, "--parallel", v, "expected 1 to 16");
    c->o.registry.parallel = (unsigned)n;
    return 0;
}

static const struct push_opt {
    struct cli_opt o; /* first: the table is also cli_push's */
    push_opt_fn apply;
} push_opts[] = {
    {{"root", 0, true, "DIR", "State: the content store the layout is imported into", "@dir"},
     opt_root},
    {{"registry-ca", 0, true, "FILE", "Also trust this CA bundle (PEM) for registry TLS", "@file"},
     opt_ca},
    {{"insecure-registry", 0, true, "HOST[:PORT]",
      "Allow plain HTTP and unverified TLS for this registry (repeatable)", NULL},
     opt_insecure},
    {{"authfile", 0, true, "FILE",
      "Credentials file (default $REGISTRY_AUTH_FILE, else the Docker config)", "@file"},
     opt_authfile},
    {{"chunk-size", 0, true, "SIZE", "Upload blobs in chunks of SIZE (default: one PUT)", NULL},
     opt_chunk},
    {{"parallel", 0, true, "N", "Concurrent blob uploads (default 4)", NULL}, opt_parallel},
};

static int push_apply(void *state, size_t i, const char *v, kiln_error_t **err)
{
    return push_opts[i].apply(state, v, err);
}

int cmd_push(int argc, char **argv)
{
    struct push_cli c = {0};
    c.o.registry.insecure = c.insecure;
    kiln_error_t *err = NULL;
    int first;
    int r = cli_parse_args(&cli_push, argc, argv, &c, &first, &err);
    if (r != 0)
        return cli_parse_failed(&cli_push, r, err);
    c.o.layout = argv[first];
    c.o.ref = argv[first + 1];
    struct kiln_push_result res;
    if (kiln_push(&c.o, &res, &err) < 0)
        return cli_fail(err);
    fprintf(stderr, "pushed %s: %zu blobs uploaded, %zu mounted, %zu already there%s\n", c.o.ref,
            res.blobs_uploaded, res.blobs_mounted, res.blobs_present,
            res.referrers_tagged ? "; referrers tagged" : "");
    printf("%s\n", res.digest);
    return 0;
}

const struct cli_command cli_push = {
    .name = "push",
    .summary = "Push an image from an OCI layout to a registry",
    .usage = "kiln push [OPTIONS] LAYOUT[:TAG|@DIGEST] REGISTRY/REPOSITORY[:TAG]",
    .description = "Push an image or index from an OCI layout to a registry: missing blobs "
                   "only, then the manifests; attestations with a subject are made findable as "
                   "referrers. Prints the pushed digest on stdout.",
    .opts = push_opts,
    .nopts = ARRAY_SIZE(push_opts),
    .stride = sizeof(push_opts[0]),
    .apply = push_apply,
    .min_args = 2,
    .max_args = 2,
    .args_what = "the layout and the reference",
    .args_complete = "@dir",
    .run = cmd_push,
};
