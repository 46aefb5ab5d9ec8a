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

static void prune_usage(FILE *f)
{
    fprintf(f, "Usage: kiln prune [--all] [--keep-storage SIZE] [--root DIR]\n\n"
               "Remove unused blobs, snapshots and cache records from the store. It waits for\n"
               "running builds and never removes what a cache record uses, unless:\n"
               "  --all                 remove everything (the whole cache)\n"
               "  --keep-storage SIZE   also drop the least recently used cache records until\n"
               "                        the store fits in SIZE (e.g. 10g, 512m)\n"
               "  --root DIR            the store (default: as kiln build)\n");
}

int cmd_prune(int argc, char **argv)
{
    static const struct option longs[] = {{"all", no_argument, NULL, 'a'},
                                          {"keep-storage", required_argument, NULL, 'k'},
                                          {"root", required_argument, NULL, 'r'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    struct prune_opts o = {.waiting = waiting};
    cleanup_free char *root = NULL;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (ch == 'h')
            return prune_usage(stdout), 0;
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
