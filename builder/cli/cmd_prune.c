/* kiln prune [--all] [--keep-storage SIZE] [--root DIR] */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "kiln/kiln.h"
#include "util.h"

static void waiting(void *ctx)
{
    (void)ctx;
    fprintf(stderr, "kiln prune: waiting for running builds to finish\n");
}

struct prune_cli {
    struct kiln_prune_opts o;
};

static int opt_all(struct prune_cli *c, const char *v, kiln_error_t **err)
{
    (void)v, (void)err;
    c->o.all = true;
    return 0;
}

static int opt_keep_storage(struct prune_cli *c, const char *v, kiln_error_t **err)
{
    if (parse_size(v, &c->o.keep_storage) < 0 || !c->o.keep_storage)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "invalid value '%s' for --keep-storage: expected a size such as 10g", v);
    return 0;
}

static int opt_root(struct prune_cli *c, const char *v, kiln_error_t **err)
{
    (void)err;
    c->o.root = v;
    return 0;
}

static const struct prune_opt {
    struct cli_opt o; /* first: the table is also cli_prune's */
    int (*apply)(struct prune_cli *c, const char *v, kiln_error_t **err);
} prune_opts[] = {
    {{"all", 0, false, NULL, "Remove everything (the whole cache)", NULL}, opt_all},
    {{"keep-storage", 0, true, "SIZE",
      "Also drop the least recently used cache records until the store fits in SIZE (e.g. 10g)",
      NULL},
     opt_keep_storage},
    {{"root", 0, true, "DIR", "The store (default: as kiln build)", "@dir"}, opt_root},
};

static int prune_apply(void *state, size_t i, const char *v, kiln_error_t **err)
{
    return prune_opts[i].apply(state, v, err);
}

int cmd_prune(int argc, char **argv)
{
    struct prune_cli c = {.o.waiting = waiting};
    kiln_error_t *err = NULL;
    int first;
    int r = cli_parse_args(&cli_prune, argc, argv, &c, &first, &err);
    if (r != 0)
        return cli_parse_failed(&cli_prune, r, err);
    struct kiln_prune_result res;
    if (kiln_prune(&c.o, &res, &err) < 0)
        return cli_fail(err);
    printf("removed %llu blobs, %llu snapshots, %llu cache records; reclaimed %.1f MiB; "
           "%.1f MiB kept\n",
           (unsigned long long)res.blobs, (unsigned long long)res.snapshots,
           (unsigned long long)res.records, (double)res.bytes_freed / 1048576.0,
           (double)res.bytes_kept / 1048576.0);
    return 0;
}

const struct cli_command cli_prune = {
    .name = "prune",
    .summary = "Remove unused data from the store",
    .usage = "kiln prune [--all] [--keep-storage SIZE] [--root DIR]",
    .description = "Remove unused blobs, snapshots and cache records from the store. It waits "
                   "for running builds and never removes what a cache record uses, unless "
                   "--all or --keep-storage say so.",
    .opts = prune_opts,
    .nopts = ARRAY_SIZE(prune_opts),
    .stride = sizeof(prune_opts[0]),
    .apply = prune_apply,
    .min_args = 0,
    .max_args = 0,
    .run = cmd_prune,
};
