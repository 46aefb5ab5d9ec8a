/* Freeing the syntax tree. */
#include "ast.h"
#include "heredoc.h"
#include "util.h"

static void node_release(struct df_node *nd)
{
    free(nd->value);
    free(nd->original);
    strv_free(nd->flags);
    for (size_t i = 0; i < nd->nargs; i++)
        free(nd->args[i].s);
    free(nd->args);
    if (nd->sub) {
        node_release(nd->sub);
        free(nd->sub);
    }
    for (size_t i = 0; i < nd->nheredocs; i++)
        heredoc_release(&nd->heredocs[i]);
    free(nd->heredocs);
    strv_free(nd->comments);
}

void df_ast_free(struct df_ast *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nnodes; i++)
        node_release(&a->nodes[i]);
    free(a->nodes);
    free(a->syntax);
    free(a->check);
    for (size_t i = 0; i < a->nwarnings; i++) {
        free(a->warnings[i].rule);
        free(a->warnings[i].msg);
    }
    free(a->warnings);
    free(a);
}
