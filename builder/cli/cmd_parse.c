/* kiln parse [--dump] [-f FILE]: parses a Dockerfile with the frontend and prints it.
 *   --dump   the syntax tree in BuildKit's Node.Dump() format (as BuildKit's dumper tool:
 *            parser level only, instructions are not validated)
 *   default  validates every instruction and prints the stages
 * -f - reads standard input; without -f, ./Dockerfile. Errors: "kiln: <message>", exit 2. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "cli.h"
#include "commands.h"
#include "dockerfile.h"
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

/* Reads at most DF_MAX_FILE_SIZE + 1 bytes, so that a larger file is reported by the parser. */
static char *read_input(const char *path, size_t *len, kiln_error_t **err)
{
    bool std = strcmp(path, "-") == 0;
    FILE *f = std ? stdin : fopen(path, "rb");
    if (!f)
        return kiln_err_errno(err, KILN_EINPUT, "open '%s'", path), NULL;
    size_t cap = (size_t)DF_MAX_FILE_SIZE + 1;
    char *data = xmalloc(cap + 1);
    *len = fread(data, 1, cap, f);
    int failed = ferror(f);
    if (!std)
        fclose(f);
    if (failed) {
        free(data);
        return kiln_err(err, KILN_EINPUT, EIO, "read '%s'", path), NULL;
    }
    data[*len] = '\0';
    return data;
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
    cleanup_free char *d = df_ast_dump(ast, err);
    if (!d)
        return -1;
    printf("%s\n", d);
    return 0;
}

int cmd_parse(int argc, char **argv)
{
    struct parse_cli o = {.file = "Dockerfile"};
    kiln_error_t *perr = NULL;
    int first;
    int pr = cli_parse_args(&cli_parse, argc, argv, &o, &first, &perr);
    if (pr != 0)
        return cli_parse_failed(&cli_parse, pr, perr);
    cleanup_error kiln_error_t *err = NULL;
    size_t len = 0;
    cleanup_free char *data = read_input(o.file, &len, &err);
    const char *name = strcmp(o.file, "-") == 0 ? "Dockerfile" : o.file;
    if (data && (o.dump ? dump(name, data, len, &err) : summary(name, data, len, &err)) == 0)
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
    .opts = parse_opts,
    .nopts = ARRAY_SIZE(parse_opts),
    .stride = sizeof(parse_opts[0]),
    .apply = parse_apply,
    .min_args = 0,
    .max_args = 0,
    .run = cmd_parse,
};
