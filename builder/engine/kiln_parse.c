/* kiln parse (kiln/dockerfile.h): a Dockerfile through the frontend, as BuildKit's dump or as
 * the stages it holds. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "buf.h"
#include "dockerfile.h"
#include "kiln/dockerfile.h"
#include "util.h"

#define PARSE_MAX_LISTING (16u * DF_MAX_FILE_SIZE) /* the stage listing of one Dockerfile */

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
    const char *path = o->dockerfile ? o->dockerfile : "Dockerfile";
    size_t len = 0;
    cleanup_free char *data = read_input(path, &len, err);
    if (!data)
        return -1;
    const char *name = strcmp(path, "-") == 0 ? "Dockerfile" : path;
    if ((o->dump ? dump(name, data, len, r, err) : summary(name, data, len, r, err)) < 0) {
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
