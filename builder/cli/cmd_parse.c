/* kiln parse [--dump] [-f FILE]: parses a Dockerfile with the frontend and prints it.
 *   --dump   the syntax tree in BuildKit's Node.Dump() format (as BuildKit's dumper tool:
 *            parser level only, instructions are not validated)
 *   default  validates every instruction and prints the stages
 * -f - reads standard input; without -f, ./Dockerfile. Errors: "kiln: <message>", exit 2. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "kiln/kiln.h"
#include "util.h"

struct parse_cli {
    bool dump;
    const char *file;
};

static int opt_dump(struct parse_cli *c, const char *v, kiln_error_t **err)
{
    (void)v, (void)err;
    c->dump = true;
    return 0;
}

static int opt_file(struct parse_cli *c, const char *v, kiln_error_t **err)
{
    (void)err;
    c->file = v;
    return 0;
}

static const struct parse_opt {
    struct cli_opt o; /* first: the table is also cli_parse's */
    int (*apply)(struct parse_cli *c, const char *v, kiln_error_t **err);
} parse_opts[] = {
    {{"dump", 0, false, NULL,
      "The syntax tree in BuildKit's Node.Dump() format (parser level: instructions are not "
      "validated)",
      NULL},
     opt_dump},
    {{"file", 'f', true, "PATH", "Dockerfile (default ./Dockerfile; - for stdin)", "@file"},
     opt_file},
};

static int parse_apply(void *state, size_t i, const char *v, kiln_error_t **err)
{
    return parse_opts[i].apply(state, v, err);
}

int cmd_parse(int argc, char **argv)
{
    struct parse_cli c = {0};
    kiln_error_t *perr = NULL;
    int first;
    int pr = cli_parse_args(&cli_parse, argc, argv, &c, &first, &perr);
    if (pr != 0)
        return cli_parse_failed(&cli_parse, pr, perr);
    cleanup_error kiln_error_t *err = NULL;
    struct kiln_parse_opts o = {.dockerfile = c.file, .dump = c.dump};
    struct kiln_parse_result r;
    if (kiln_parse(&o, &r, &err) < 0) {
        fprintf(stderr, "kiln: %s\n", err->msg);
        return 2;
    }
    fputs(r.output, stdout);
    for (size_t i = 0; i < r.nwarnings; i++)
        fprintf(stderr, "kiln: warning: %s\n", r.warnings[i]);
    kiln_parse_result_release(&r);
    return fflush(stdout) == 0 ? 0 : 1;
}

const struct cli_command cli_parse = {
    .name = "parse",
    .summary = "Print a Dockerfile's syntax tree (BuildKit's dump format)",
    .usage = "kiln parse [--dump] [-f FILE]",
    .description = "Parses a Dockerfile with kiln's frontend: by default every instruction is "
                   "validated and the stages are printed; --dump prints the syntax tree as "
                   "BuildKit's dumper tool does. Errors: \"kiln: <message>\", exit 2.",
    .opts = parse_opts,
    .nopts = ARRAY_SIZE(parse_opts),
    .stride = sizeof(parse_opts[0]),
    .apply = parse_apply,
    .min_args = 0,
    .max_args = 0,
    .run = cmd_parse,
};
