/* df_ast_parse: BuildKit's parser.Parse. Logical lines from the lexer become nodes; heredoc
 * bodies are read right after the line that names them. */
#include <string.h>

#include "ast.h"
#include "buf.h"
#include "heredoc.h"
#include "instr_internal.h"
#include "lexer.h"
#include "lineparse.h"
#include "util.h"

struct parser {
    const char *name;
    struct lexer lx;
    struct df_ast *ast;
    size_t cap;
};

static int located(struct parser *p, int line, kiln_error_t **err)
{
    return kiln_err_wrap(err, "%s:%d", p->name, line);
}

static void add_warning(struct df_ast *a, int line, const char *rule, char *msg)
{
    warning_add(&a->warnings, &a->nwarnings, line, rule, msg);
}

static bool can_contain_heredoc(const struct df_node *nd)
{
    if (lineparse_cmd(nd->value) == DF_ONBUILD && nd->sub)
        nd = nd->sub;
    int cmd = lineparse_cmd(nd->value);
    return (cmd == DF_ADD || cmd == DF_COPY || cmd == DF_RUN) && !nd->json;
}

/* Reads the body of h up to its terminator line. */
static int read_heredoc_body(struct parser *p, struct df_heredoc *h, kiln_error_t **err)
{
    cleanup_buf struct buf body = BUF_INIT(DF_MAX_HEREDOC);
    const char *raw = NULL;
    size_t n = 0, tlen = strlen(h->name);
    int r;
    while ((r = lexer_raw_line(&p->lx, &raw, &n, err)) > 0) {
        p->lx.line++;
        size_t len = n;
        while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
            len--;
        size_t lead = 0;
        while (h->chomp && lead < len && raw[lead] == '\t')
            lead++;
        if (len - lead == tlen && memcmp(raw + lead, h->name, tlen) == 0) {
            h->content = buf_detach(&body);
            return 0;
        }
        if (buf_add(&body, raw, n, err) < 0) {
            p->lx.err_line = p->lx.line;
            return -1;
        }
    }
    if (r < 0)
        return -1;
    return kiln_err(err, KILN_EINPUT, 0, "unterminated heredoc");
}

static int read_heredocs(struct parser *p, struct df_node *nd, const char *line, kiln_error_t **err)
{
    if (!can_contain_heredoc(nd) || !strstr(line, "<<"))
        return 0;
    if (heredoc_from_line(line, &nd->heredocs, &nd->nheredocs, err) < 0)
        return located(p, nd->start_line, err);
    for (size_t i = 0; i < nd->nheredocs; i++) {
        if (read_heredoc_body(p, &nd->heredocs[i], err) < 0) {
            if ((*err)->code == KILN_ELIMIT)
                return located(p, p->lx.err_line ? p->lx.err_line : p->lx.line, err);
            return located(p, nd->start_line, err);
        }
    }
    return 0;
}

static int parse_line(struct parser *p, struct lexer_line *ll, kiln_error_t **err)
{
    struct df_ast *a = p->ast;
    if (a->nnodes >= DF_MAX_INSTRS) {
        kiln_err(err, KILN_ELIMIT, 0, "more than %u instructions", DF_MAX_INSTRS);
        return located(p, ll->start_line, err);
    }
    xgrow(&a->nodes, &p->cap, a->nnodes + 1, sizeof(*a->nodes));
    struct df_node *nd = &a->nodes[a->nnodes++];
    memset(nd, 0, sizeof(*nd));
    nd->comments = steal_ptr(ll->comments);
    nd->ncomments = ll->ncomments;
    ll->ncomments = 0;
    nd->start_line = ll->start_line;
    if (ll->empty_continuation)
        add_warning(a, ll->end_line, "NoEmptyContinuation",
                    xasprintf("Empty continuation line found in: %s", buf_str(&ll->text)));
    if (lineparse_node(nd, buf_str(&ll->text), p->lx.escape, 0, err) < 0)
        return located(p, ll->start_line, err);
    if (read_heredocs(p, nd, buf_str(&ll->text), err) < 0)
        return -1;
    nd->end_line = p->lx.line;
    if (a->start_line < 0)
        a->start_line = nd->start_line;
    a->end_line = nd->end_line;
    return 0;
}

static int parse_all(struct parser *p, kiln_error_t **err)
{
    struct lexer_line ll;
    int r;
    while ((r = lexer_next(&p->lx, &ll, err)) > 0) {
        r = parse_line(p, &ll, err);
        lexer_line_release(&ll);
        if (r < 0)
            return -1;
    }
    if (r < 0)
        return located(p, p->lx.err_line, err);
    if (p->ast->start_line < 0) {
        kiln_err(err, KILN_EINPUT, 0, "file with no instructions");
        return located(p, p->lx.line, err);
    }
    return 0;
}

int df_ast_parse(const char *name, const char *data, size_t len, struct df_ast **out,
                 kiln_error_t **err)
{
    if (len > DF_MAX_FILE_SIZE)
        return kiln_err(err, KILN_ELIMIT, 0, "%s: larger than %u bytes", name, DF_MAX_FILE_SIZE);
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *c = data; c < nul; c++)
            line += *c == '\n';
        return kiln_err(err, KILN_EINPUT, 0, "%s:%d: NUL byte in the file", name, line);
    }
    struct parser p = {.name = name};
    p.ast = xcalloc(1, sizeof(*p.ast));
    p.ast->start_line = -1;
    lexer_init(&p.lx, data, len);
    int r = parse_all(&p, err);
    p.ast->escape = p.lx.escape;
    p.ast->syntax = steal_ptr(p.lx.syntax);
    p.ast->check = steal_ptr(p.lx.check);
    lexer_release(&p.lx);
    if (r < 0) {
        df_ast_free(p.ast);
        return -1;
    }
    *out = p.ast;
    return 0;
}
