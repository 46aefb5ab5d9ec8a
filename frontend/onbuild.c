/* ONBUILD triggers of a base image: BuildKit's initOnBuildTriggers. */
#include <string.h>
#include <strings.h>

#include "ast.h"
#include "instr_internal.h"
#include "stages.h"
#include "util.h"

void df_instrs_free(struct df_instr *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        instr_release(&v[i]);
    free(v);
}

static int trigger_allowed(const char *kw, kiln_error_t **err)
{
    if (strcasecmp(kw, "ONBUILD") == 0)
        return kiln_err(err, KILN_EINPUT, 0,
                        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (strcasecmp(kw, "MAINTAINER") == 0 || strcasecmp(kw, "FROM") == 0)
        return kiln_err(err, KILN_EINPUT, 0, "%s isn't allowed as an ONBUILD trigger",
                        strcasecmp(kw, "FROM") == 0 ? "FROM" : "MAINTAINER");
    return 0;
}

static int one_trigger(const char *trigger, int line, struct df_instr *out, kiln_error_t **err)
{
    cleanup_df_ast struct df_ast *ast = NULL;
    if (df_ast_parse("ONBUILD trigger", trigger, strlen(trigger), &ast, err) < 0)
        return -1;
    if (ast->nnodes != 1)
        return kiln_err(err, KILN_EINPUT, 0, "onbuild trigger should be a single expression");
    struct df_node *nd = &ast->nodes[0];
    nd->start_line = nd->end_line = line;
    if (trigger_allowed(nd->value, err) < 0 ||
        instr_from_node(nd, ast->escape, NULL, NULL, out, err) < 0)
        return kiln_err_wrap(err, "ONBUILD trigger");
    return 0;
}

int df_onbuild_parse(const char *name, char *const *triggers, size_t n, int line,
                     struct df_instr **out, size_t *nout, kiln_error_t **err)
{
    if (n > DF_MAX_TRIGGERS)
        return kiln_err(err, KILN_ELIMIT, 0, "%s:%d: more than %u ONBUILD triggers", name, line,
                        DF_MAX_TRIGGERS);
    struct df_instr *v = xcalloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        if (one_trigger(triggers[i], line, &v[i], err) < 0) {
            df_instrs_free(v, i);
            return kiln_err_wrap(err, "%s:%d", name, line);
        }
    }
    *out = v;
    *nout = n;
    return 0;
}
