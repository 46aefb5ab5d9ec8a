/* kiln parse (kiln/dockerfile.h): a Dockerfile through the frontend, as BuildKit's dump or as
 * the stages it holds. */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "buf.h"
#include "dockerfile.h"
#include "input.h"
#include "kiln/dockerfile.h"
#include "util.h"

#define PARSE_MAX_LISTING (16u * DF_MAX_FILE_SIZE) /* the stage listing of one Dockerfile */

static int list_stage(struct buf *b, const struct df_stage *s)
{
    if (buf_addf(b, NULL, "stage %d", s->index) < 0 ||
        (s->name && buf_addf(b, NULL, " %s", s->name) < 0) ||
        buf_addf(b, NULL, ": FROM %s", s->base) < 0 ||
        (s->platform && buf_addf(b, NULL, " --platform=%s", s->platform) < 0) ||
        buf_addf(b, NULL, " (line %d, %zu instructions)\n", s->from->line, s->ninstrs) < 0)
        return -1;
    for (size_t i = 0; i < s->ninstrs; i++)
        if (buf_addf(b, NULL, "  %d: %s\n", s->instrs[i]->line, df_cmd_name(s->instrs[i]->cmd)) < 0)
            return -1;
    return 0;
}

static char *listing(const struct df_file *f, kiln_error_t **err)
{
    cleanup_buf struct buf b = BUF_INIT(PARSE_MAX_LISTING);
    for (size_t i = 0; i < f->nmeta_args; i++)
        if (buf_addf(&b, NULL, "global %d: ARG %s\n", f->meta_args[i]->line,
                     f->meta_args[i]->args[0]) < 0)
            return kiln_err(err, KILN_ELIMIT, 0, "listing over %u bytes", PARSE_MAX_LISTING), NULL;
    for (size_t i = 0; i < f->nstages; i++)
        if (list_stage(&b, &f->stages[i]) < 0)
            return kiln_err(err, KILN_ELIMIT, 0, "listing over %u bytes", PARSE_MAX_LISTING), NULL;
    return buf_detach(&b);
}

static int summary(const char *name, const char *data, size_t len, struct kiln_parse_result *r,
                   kiln_error_t **err)
{
    cleanup_df_file struct df_file *f = NULL;
    if (df_parse(name, data, len, &f, err) < 0 || !(r->output = listing(f, err)))
        return -1;
    for (size_t i = 0; i < f->nwarnings; i++)
        strv_push(&r->warnings, &r->nwarnings,
                  xasprintf("%s:%d: %s (%s)", name, f->warnings[i].line, f->warnings[i].msg,
                            f->warnings[i].rule));
    return 0;
}

static int dump(const char *name, const char *data, size_t len, struct kiln_parse_result *r,
                kiln_error_t **err)
{
    cleanup_df_ast struct df_ast *ast = NULL;
    if (df_ast_parse(name, data, len, &ast, err) < 0)
        return -1;
    cleanup_free char *d = df_ast_dump(ast, err);
    if (!d)
        return -1;
    r->output = xasprintf("%s\n", d);
    return 0;
}

int kiln_parse(const struct kiln_parse_opts *o, struct kiln_parse_result *r, kiln_error_t **err)
{
    memset(r, 0, sizeof(*r));
    struct input_opts io = {o->dockerfile ? NULL : ".", o->dockerfile, true};
    __attribute__((cleanup(input_release))) struct input in = {0};
    if (input_load(&io, &in, err) < 0)
        return -1;
    const char *name =
        o->dockerfile && strcmp(o->dockerfile, "-") != 0 ? o->dockerfile : "Dockerfile";
    if ((o->dump ? dump(name, in.data, in.len, r, err) : summary(name, in.data, in.len, r, err)) <
        0) {
        kiln_parse_result_release(r);
        return -1;
    }
    return 0;
}

void kiln_parse_result_release(struct kiln_parse_result *r)
{
    free(r->output);
    strv_free(r->warnings);
    memset(r, 0, sizeof(*r));
}
