/* kiln prune [--all] [--keep-storage SIZE] [--root DIR] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cache/prune.h"
#include "cli.h"
#include "commands.h"
#include "store/store.h"
#include "util.h"

static void waiting(void)
{
    fprintf(stderr, "kiln prune: waiting for running builds to finish\n");
}

static const struct cli_opt prune_opts[] = {
    {"all", 0, false, NULL, "Remove everything (the whole cache)", NULL},
    {"keep-storage", 0, true, "SIZE",
     "Also drop the least recently used cache records until the store fits in SIZE (e.g. 10g)",
     NULL},
    {"root", 0, true, "DIR", "The store (default: as kiln build)", "@dir"},
};

int cmd_prune(int argc, char **argv)
{
    struct option longs[ARRAY_SIZE(prune_opts) + 2];
    for (size_t i = 0; i < ARRAY_SIZE(prune_opts); i++)
        longs[i] =
            (struct option){prune_opts[i].name, prune_opts[i].arg ? required_argument : no_argument,
                            NULL, prune_opts[i].name[0]}; /* 'a', 'k', 'r' */
    longs[ARRAY_SIZE(prune_opts)] = (struct option){"help", no_argument, NULL, 'h'};
    longs[ARRAY_SIZE(prune_opts) + 1] = (struct option){0};
    struct prune_opts o = {.waiting = waiting};
    cleanup_free char *root = NULL;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (ch == 'h')
            return cli_print_help(stdout, &cli_prune), 0;
        if (ch == 'a')
            o.all = true;
        else if (ch == 'r')
            free(root), root = xstrdup(optarg);
        else if (ch == 'k' && parse_size(optarg, &o.keep_storage) == 0 && o.keep_storage)
            continue;
        else if (ch == 'k')
            return cli_usage_error(
                "prune", "invalid value '%s' for --keep-storage: expected a size such as 10g",
                optarg);
        else
            return cli_usage_error("prune", "unknown flag: %s", argv[optind - 1]);
    }
    if (optind != argc)
        return cli_usage_error("prune", "\"kiln prune\" accepts no arguments");
    kiln_error_t *err = NULL;
    if (!root && !(root = store_default_root(&err)))
        return cli_fail(err);
    o.root = root;
    struct prune_result r;
    if (prune_store(&o, &r, &err) < 0)
        return cli_fail(err);
    printf("removed %llu blobs, %llu snapshots, %llu cache records; reclaimed %.1f MiB; "
           "%.1f MiB kept\n",
           (unsigned long long)r.blobs, (unsigned long long)r.snapshots,
           (unsigned long long)r.records, (double)r.bytes_freed / 1048576.0,
           (double)r.bytes_kept / 1048576.0);
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
    .run = cmd_prune,
};
