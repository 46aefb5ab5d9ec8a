/* kiln parse [--dump] [-f FILE]: parses a Dockerfile with the frontend and prints it.
 *   --dump   the syntax tree in BuildKit's Node.Dump() format (as BuildKit's dumper tool:
 *            parser level only, instructions are not validated)
 *   default  validates every instruction and prints the stages
 * -f - reads standard input; without -f, ./Dockerfile. Errors: "kiln: <message>", exit 2. */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "cli.h"
#include "commands.h"
#include "dockerfile.h"
#include "engine/input.h"
#include "util.h"

struct parse_opts {
    bool dump;
    const char *file;
};

static const struct cli_opt parse_opts_table[] = {
    {"dump", 0, false, NULL,
     "The syntax tree in BuildKit's Node.Dump() format (parser level: instructions are not "
     "validated)",
     NULL},
    {"file", 'f', true, "PATH", "Dockerfile (default ./Dockerfile; - for stdin)", "@file"},
};

static int usage(void)
{
    fprintf(stderr, "usage: %s\n", cli_parse.usage);
    return 2;
}

/* -1: bad usage; 1: --help. */
static int parse_args(int argc, char **argv, struct parse_opts *o)
{
    o->dump = false;
    o->file = NULL; /* ./Dockerfile (input.h) */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return 1;
        if (strcmp(a, "--dump") == 0) {
            o->dump = true;
        } else if ((strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) && i + 1 < argc) {
            o->file = argv[++i];
        } else if (str_has_prefix(a, "--file=")) {
            o->file = a + strlen("--file=");
        } else {
            return -1;
        }
    }
    return 0;
}

static void print_stage(const struct df_stage *s)
{
    printf("stage %d", s->index);
    if (s->name)
        printf(" %s", s->name);
    printf(": FROM %s", s->base);
    if (s->platform)
        printf(" --platform=%s", s->platform);
    printf(" (line %d, %zu instructions)\n", s->from->line, s->ninstrs);
    for (size_t i = 0; i < s->ninstrs; i++)
        printf("  %d: %s\n", s->instrs[i]->line, df_cmd_name(s->instrs[i]->cmd));
}

static int summary(const char *name, const char *data, size_t len, kiln_error_t **err)
{
    cleanup_df_file struct df_file *f = NULL;
    if (df_parse(name, data, len, &f, err) < 0)
        return -1;
    for (size_t i = 0; i < f->nmeta_args; i++)
        printf("global %d: ARG %s\n", f->meta_args[i]->line, f->meta_args[i]->args[0]);
    for (size_t i = 0; i < f->nstages; i++)
        print_stage(&f->stages[i]);
    for (size_t i = 0; i < f->nwarnings; i++)
        fprintf(stderr, "kiln: warning: %s:%d: %s (%s)\n", name, f->warnings[i].line,
                f->warnings[i].msg, f->warnings[i].rule);
    return 0;
}

static int dump(const char *name, const char *data, size_t len, kiln_error_t **err)
{
    cleanup_df_ast struct df_ast *ast = NULL;
    if (df_ast_parse(name, data, len, &ast, err) < 0)
        return -1;
    cleanup_free char *d = df_ast_dump(ast);
    printf("%s\n", d);
    return 0;
}

int cmd_parse(int argc, char **argv)
{
    struct parse_opts o;
    int pr = parse_args(argc, argv, &o);
    if (pr > 0)
        return cli_print_help(stdout, &cli_parse), 0;
    if (pr < 0)
        return usage();
    cleanup_error kiln_error_t *err = NULL;
    struct input_opts io = {o.file ? NULL : ".", o.file, true};
    __attribute__((cleanup(input_release))) struct input in = {0};
    const char *name = o.file && strcmp(o.file, "-") != 0 ? o.file : "Dockerfile";
    if (input_load(&io, &in, &err) == 0 &&
        (o.dump ? dump(name, in.data, in.len, &err) : summary(name, in.data, in.len, &err)) == 0)
        return fflush(stdout) == 0 ? 0 : 1;
    fprintf(stderr, "kiln: %s\n", err->msg);
    return 2;
}

const struct cli_command cli_parse = {
    .name = "parse",
    .summary = "Print a Dockerfile's syntax tree (BuildKit's dump format)",
    .usage = "kiln parse [--dump] [-f FILE]",
    .description = "Parses a Dockerfile with kiln's frontend: by default every instruction is "
                   "validated and the stages are printed; --dump prints the syntax tree as "
                   "BuildKit's dumper tool does. Errors: \"kiln: <message>\", exit 2.",
    .opts = parse_opts_table,
    .nopts = ARRAY_SIZE(parse_opts_table),
    .stride = sizeof(parse_opts_table[0]),
    .run = cmd_parse,
};
