/* df_parse: the syntax tree, each node validated as an instruction, grouped into stages
 * (BuildKit's instructions.Parse). */
#include <string.h>

#include "ast.h"
#include "instr_internal.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

void df_file_free(struct df_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ninstrs; i++)
        instr_release(&f->instrs[i]);
    free(f->instrs);
    free(f->meta_args);
    for (size_t i = 0; i < f->nstages; i++) {
        free(f->stages[i].name);
        free(f->stages[i].base);
        free(f->stages[i].platform);
        free(f->stages[i].instrs);
    }
    free(f->stages);
    free(f->name);
    free(f->syntax);
    free(f->check);
    for (size_t i = 0; i < f->nwarnings; i++) {
        free(f->warnings[i].rule);
        free(f->warnings[i].msg);
    }
    free(f->warnings);
    free(f);
}

static void add_stage(struct df_file *f, struct df_instr *from)
{
    vec_reserve(&f->stages, f->nstages, sizeof(*f->stages));
    struct df_stage *s = &f->stages[f->nstages];
    memset(s, 0, sizeof(*s));
    s->index = (int)f->nstages++;
    s->base = xstrdup(from->args[0]);
    s->name = from->nargs == 3 ? unicode_lower(from->args[2]) : NULL;
    const char *plat = df_instr_flag(from, "platform", NULL);
    s->platform = plat ? xstrdup(plat) : NULL;
    s->from = from;
}

static int build_stages(const char *name, struct df_file *f, kiln_error_t **err)
{
    for (size_t i = 0; i < f->ninstrs; i++) {
        struct df_instr *in = &f->instrs[i];
        if (in->cmd == DF_FROM) {
            add_stage(f, in);
        } else if (f->nstages == 0 && in->cmd == DF_ARG) {
            vec_reserve(&f->meta_args, f->nmeta_args, sizeof(void *));
            f->meta_args[f->nmeta_args++] = in;
        } else if (f->nstages == 0) {
            return kiln_err(err, KILN_EINPUT, 0, "%s:%d: no build stage in current context", name,
                            in->line);
        } else {
            struct df_stage *s = &f->stages[f->nstages - 1];
            vec_reserve(&s->instrs, s->ninstrs, sizeof(void *));
            s->instrs[s->ninstrs++] = in;
        }
    }
    if (f->nstages == 0)
        return kiln_err(err, KILN_EINPUT, 0, "%s: dockerfile contains no stages to build", name);
    return 0;
}

static int convert_all(const char *name, struct df_ast *ast, struct df_file *f, kiln_error_t **err)
{
    f->instrs = xcalloc(ast->nnodes, sizeof(*f->instrs));
    for (size_t i = 0; i < ast->nnodes; i++) {
        const struct df_node *nd = &ast->nodes[i];
        if (instr_from_node(nd, ast->escape, &f->warnings, &f->nwarnings, &f->instrs[i], err) < 0)
            return kiln_err_wrap(err, "%s:%d", name, nd->start_line);
        f->ninstrs++;
    }
    return 0;
}

int df_parse(const char *name, const char *data, size_t len, struct df_file **out,
             kiln_error_t **err)
{
    cleanup_df_ast struct df_ast *ast = NULL;
    if (df_ast_parse(name, data, len, &ast, err) < 0)
        return -1;
    struct df_file *f = xcalloc(1, sizeof(*f));
    f->name = xstrdup(name);
    f->escape = ast->escape;
    f->syntax = steal_ptr(ast->syntax);
    f->check = steal_ptr(ast->check);
    f->warnings = steal_ptr(ast->warnings);
    f->nwarnings = ast->nwarnings;
    ast->nwarnings = 0;
    if (convert_all(name, ast, f, err) < 0 || build_stages(name, f, err) < 0) {
        df_file_free(f);
        return -1;
    }
    *out = f;
    return 0;
}
