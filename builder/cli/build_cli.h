/* kiln build's command line, shared by the files of builder/cli that parse and report it
 * (cmd_build.c: the option table; build_output.c: --output/--push/--load; build_result.c:
 * stdout, --iidfile and --metadata-file). */
#ifndef KILN_CLI_BUILD_CLI_H
#define KILN_CLI_BUILD_CLI_H

#include <stdbool.h>

#include "kiln/kiln.h"

struct build_cli {
    struct kiln_build_opts o;
    enum kiln_progress_mode progress;
    bool progress_set;
    bool epoch_set;
    const char *flag; /* the long name of the flag being applied */
    char **owned;     /* strings the options point to, freed at the end */
    size_t nowned;
    const char *insecure[KILN_MAX_INSECURE_REGISTRIES]; /* o.registry.insecure */
    bool output_set;                                    /* --output given */
    bool output_image; /* type=image: pushed with push=true or --push, else kept in the store */
    bool output_push;  /* push=true */
    bool push, load;   /* --push, --load */
    bool quiet;        /* -q: only the image ID on stdout */
    bool check;        /* --check: the build checks only, no build */
    struct kiln_build_report report; /* --iidfile, --metadata-file */
};

/* build_output.c */
/* One --output value (buildx's forms, "-o DIR" and "-o -" shorthands included). */
int cli_output_parse(struct build_cli *c, const char *v, kiln_error_t **err);
/* Once every flag is read: --push/--load, destinations, names, --iidfile with local/tar. */
int cli_output_finish(struct build_cli *c, kiln_error_t **err);
/* Whether the output itself goes to stdout (then nothing else may). */
bool cli_output_to_stdout(const struct kiln_output *out);

/* build_result.c */
/* After a successful build: stdout, --iidfile, --metadata-file. */
int cli_result_report(const struct build_cli *c, const struct kiln_build_result *res,
                      kiln_error_t **err);

#endif
